"""Zoho Books (API v3): client, endpoints, paging, mapping, write-backs, errors, `ZohoLedger`.

Official reference: https://www.zoho.com/books/api/v3/introduction/ ; research notes in
docs/zoho-books.md. The fake Zoho on loopback for tests and the demo is `sandboxes.zoho`, in the
sandboxes distribution beside the product (sandboxes/).
"""

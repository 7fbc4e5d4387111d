"""Zoho Books API reference list (data; see zoho-books-api.json `_about`)."""

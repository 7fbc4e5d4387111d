"""Exact Online adapter: API client, mapping, write-backs, webhooks.

The local fake of the platform is `sandboxes.exact`, in the sandboxes distribution beside the
product (sandboxes/).
"""

"""Exact Online API reference lists (data; see exact-fields.json `_about`)."""

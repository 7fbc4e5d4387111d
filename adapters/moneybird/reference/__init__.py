"""Moneybird API reference lists (data; see moneybird-fields.json `_about`)."""

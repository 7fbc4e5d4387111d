"""Mollie API reference list (data; see mollie-payment-links.json `_about`)."""

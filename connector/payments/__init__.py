"""Pay links from a payment provider (Mollie Payment Links), for platforms without their own.

Infrastructure, beside `connector.http` and `connector.store`: `mollie.py` speaks Mollie's API
(only the names in `reference/mollie-payment-links.json`), `links.py` makes, keeps and confirms
one client's links. The dispatcher asks for a reminder's link; `dunning serve`'s webhook
listener passes Mollie's notifications to `PaymentLinks.confirm`.
"""

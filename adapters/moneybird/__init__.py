"""Moneybird adapter (issue #17), under construction: not a registered platform yet.

What exists: the documented field lists (`reference/`) and the field contract (`contract`,
`endpoints`), the client file's ``moneybird:`` section (`settings`), and the read side: the HTTP
client (`client`), ``Link``-header paging (`paging`) and the mapping of sales invoices, contacts
and payments to `connector.domain` objects (`mapping`), and the incremental read over the
synchronization API (`sync`).

It is deliberately NOT declared in pyproject's ``dunning_connector.platforms`` entry points:
a platform whose write-back (``send_reminders``, pausing Moneybird's own reminder workflow,
to-do notes) does not exist yet must not be configurable by users, or customers would be
reminded twice or not at all. Register it (``moneybird = "adapters.moneybird.platform:PLATFORM"``)
together with `platform.py`, the `Ledger` and the write-back.
"""

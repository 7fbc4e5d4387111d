"""Moneybird adapter (issue #17): a registered platform (``platform: moneybird``).

`platform` is what the core sees; `adapter` the `Ledger` (sync through the synchronization API,
Moneybird's own workflow paused for managed invoices, write-back); `writeback` which step goes
which way (reminders sent by Moneybird itself, to-do notes, SMTP for the rest); `auth` and
`login` the OAuth flow and the administration choice; `client`, `paging`, `errors` the HTTP
side; `mapping` the only place that knows Moneybird's field names; `endpoints` and `contract`
the documented field lists they are checked against (``reference/moneybird-fields.json``).
"""

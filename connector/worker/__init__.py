"""Scale-out: client runs as jobs of a PostgreSQL task queue (procrastinate), many workers.

`dunning serve` stays the embedded single-process default; `dunning worker` is for many clients
on many machines. Guarantees come from the database, not from the workers agreeing:
* procrastinate's queueing lock keeps at most one waiting run per client, and its lock keeps
  one client's runs from executing at the same time on two workers;
* the tenant lease (connector.store.leases) still guards every run, so `serve` or `dunning run`
  beside the workers is safe;
* `tenant_round` records each schedule slot once, so a job retried after its worker died
  finishes the slot instead of running it again;
* the outbox's unique live items make a second reminder impossible whatever happens above.
"""

"""Sample documents from a tenant's stored data: one of each PDF (statement, notice of default,
fourteen-day letter, collection dossier with its CSV), for `make demo` and for a consultant
who wants to see what a client's customers would receive."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from connector.config.loader import Installation
from connector.documents import dossier, last_statement_day, letter_pdf, settings_for, statement_pdf
from connector.domain import ActionKind, CustomerProfile
from connector.store import ledger_repo, outbox, pauses
from connector.store.db import session_scope


def write_samples(app: Installation, slug: str, today: date, out: Path) -> list[Path]:
    """Write the samples for the customer with the most open (else any) invoices."""
    client = app.config.clients[slug]
    with session_scope(app.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, slug)
        history = outbox.history(session, slug)
        all_pauses = pauses.history(session, slug)
    if not snapshot.invoices:
        return []
    counts: dict[str, tuple[int, int]] = {}
    for inv in snapshot.invoices.values():
        n_open, n_all = counts.get(inv.customer_ref, (0, 0))
        counts[inv.customer_ref] = (n_open + inv.is_open, n_all + 1)
    ref = max(sorted(counts), key=lambda r: counts[r])
    customer = snapshot.customers.get(ref)
    open_ = [i for i in snapshot.invoices_of(ref) if i.is_open]
    settings = settings_for(client)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(name: str, data: bytes | str) -> None:
        path = out / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        written.append(path)

    put(
        "statement.pdf",
        statement_pdf(settings, snapshot, ref, today, since=last_statement_day(history, ref)),
    )
    if customer is not None and open_:
        put(
            "notice_of_default.pdf",
            letter_pdf(settings, ActionKind.NOTICE_OF_DEFAULT, customer, open_, today),
        )
        put(
            "fourteen_day_letter.pdf",
            letter_pdf(
                settings,
                ActionKind.FOURTEEN_DAY_LETTER,
                customer,
                open_,
                today,
                profile=CustomerProfile.CONSUMER,
            ),
        )
    result = dossier(settings, snapshot, history, all_pauses, ref, today)
    put("handoff_dossier.pdf", result.pdf)
    put("handoff_dossier.csv", result.csv)
    return written

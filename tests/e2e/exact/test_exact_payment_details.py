"""Exact Online over 90 days (issue #16): every reminder, statement and letter the connector
mails itself names the configured IBAN and the invoice numbers, in the mail and in its PDFs
(text read with pypdf); and a consumer marked in the client file (Exact documents no property
that tells a person from a company) gets the fourteen-day letter before anything costly."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from e2e_exact_support import MakeExactScenario
from pypdf import PdfReader

DUE = date(2026, 1, 5)
IBAN = "NL91 ABNA 0417 1643 00"


def pdf_text(data: bytes) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    return " ".join(raw.split())


def test_ninety_days_of_exact_mails_and_pdfs_all_say_where_to_pay(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(DUE)
    jan = s.customer("Jan Jansen")
    firm = s.customer("Groothandel BV")
    s.invoice(jan, "300.00", DUE, number=2026101)
    s.invoice(firm, "2420.00", DUE, number=2026102)
    s.invoice(firm, "95.00", date(2026, 1, 12), number=2026103)
    path = s.world.root / "config" / "clients" / "demo.yaml"
    path.write_text(path.read_text() + f'customers:\n  "{jan.id}": {{profile: consumer}}\n')
    from connector.config import load_config

    s.world.app.config = load_config(s.world.root / "config", s.world.env)
    s.world.reload()

    s.days(DUE, 90)

    mails = s.mails_to(jan) + s.mails_to(firm)
    assert len(mails) >= 6
    pdfs = 0
    for mail in mails:
        text = " ".join(mail.text().split())
        assert IBAN in text, mail.subject
        numbers = [n for n in ("2026101", "2026102", "2026103") if n in text]
        assert numbers, mail.subject
        for name, data in mail.attachments():
            if not name.endswith(".pdf"):
                continue
            pdfs += 1
            content = pdf_text(data)
            assert IBAN in content, name
            for number in numbers:
                assert number in content, (name, number)
    assert pdfs >= 3, "statements and letters travel as PDFs"
    kinds = [
        a["kind"]
        for a in s.world.actions()
        if a["status"] == "sent" and a["customer_ref"] == jan.id
    ]
    assert "fourteen_day_letter" in kinds, kinds
    assert "notice_of_default" not in kinds[: kinds.index("fourteen_day_letter")]
    for mail in s.mails_to(jan):
        assert "handelsrente" not in mail.text()

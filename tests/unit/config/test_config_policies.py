"""Client settings of issue #4: policies per profile, the late-payer rule, VAT on collection
costs, customer profile and postal address."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from connector.config import ConfigError, load_config
from connector.config.models import ClientConfig, LatePayerRule
from connector.customers.behaviour import behaviour
from connector.domain import Customer, Invoice, InvoiceStatus, Money, Snapshot

BASE = """\
display_name: Acme
platform: zoho
zoho: {data_center: eu, organization_id: "1", client_id: x, client_secret: "${ACME_SECRET}"}
sender: {name: Acme, email: ar@acme.example}
"""


def load(tmp_path: Path, extra: str) -> ClientConfig | ConfigError:
    (tmp_path / "clients").mkdir(exist_ok=True)
    (tmp_path / "connector.yaml").write_text("database_url: sqlite:///x.db\n")
    (tmp_path / "clients" / "acme.yaml").write_text(BASE + extra)
    loaded = load_config(tmp_path, {"ACME_SECRET": "acme-secret"})
    return loaded.clients.get("acme") or loaded.errors["acme"]


def test_defaults_change_nothing_for_existing_clients(tmp_path: Path) -> None:
    client = load(tmp_path, "")
    assert isinstance(client, ClientConfig)
    assert client.policies == {} and client.legal.vat_on_collection_costs is False
    assert client.late_payers == LatePayerRule()


def test_policies_per_profile_customer_profile_and_address(tmp_path: Path) -> None:
    client = load(
        tmp_path,
        "policies: {consumer: nl-b2c-wik}\ncustomers:\n"
        "  '42': {profile: government, address: 'Markt 1, 1234 AB Stad'}\n",
    )
    assert isinstance(client, ClientConfig)
    assert client.policies == {"consumer": "nl-b2c-wik"}
    assert client.customers["42"].profile == "government"
    assert client.customers["42"].address == "Markt 1, 1234 AB Stad"


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("policies: {vip: nl-b2b-standard}\n", "policies.vip"),
        ("late_payers: {share_late: 1.5}\n", "late_payers.share_late"),
        ("late_payers: {min_invoices: 0}\n", "late_payers.min_invoices"),
        ("legal: {vat_rate: 0.21}\n", "legal.vat_rate"),
        ("legal: {vat_on_costs: true}\n", "legal.vat_on_costs"),
    ],
)
def test_mistakes_name_the_file_and_key(tmp_path: Path, extra: str, key: str) -> None:
    problem = load(tmp_path, extra)
    assert isinstance(problem, ConfigError)
    assert problem.key_path == key and problem.line == 5, str(problem)


def test_the_late_payer_rule_flags_chronic_late_payers() -> None:
    today = date(2026, 3, 1)

    def paid(ref: str, days_late: int) -> Invoice:
        due = date(2026, 1, 1)
        zero = Money.of("0", "EUR")
        return Invoice(
            ref,
            ref,
            "C1",
            InvoiceStatus.PAID,
            due - timedelta(days=30),
            due,
            Money.of("100", "EUR"),
            zero,
            last_payment_date=due + timedelta(days=days_late),
        )

    def snap(*invoices: Invoice) -> Snapshot:
        return Snapshot({"C1": Customer("C1", "C")}, {i.ref: i for i in invoices}, [])

    rule = LatePayerRule(min_invoices=3, share_late=Decimal("0.5"), average_days_late=20)
    late = behaviour(snap(paid("a", 10), paid("b", 12), paid("c", -3)), "C1", today, rule)
    assert late.chronic_late_payer and late.paid_late == 2 and late.share_late == Decimal("0.67")
    assert late.average_days_late == Decimal("7.3")
    punctual = behaviour(snap(paid("a", 0), paid("b", 1), paid("c", -3)), "C1", today, rule)
    assert not punctual.chronic_late_payer
    too_few = behaviour(snap(paid("a", 30)), "C1", today, rule)
    assert not too_few.chronic_late_payer and "too few" in too_few.reason
    slow = behaviour(
        snap(paid("a", 0), paid("b", 0), paid("c", 0), paid("d", 90)), "C1", today, rule
    )
    assert slow.chronic_late_payer and "on average" in slow.reason

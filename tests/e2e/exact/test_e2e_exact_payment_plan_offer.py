"""The payment-plan offer in the ladder (issue #14), end to end on the Exact sandbox with real
SMTP on loopback: a client's business customers are on the standard ladder with
`payment_plan_offer: second`; the offer is in the firm reminder's mail and in no other."""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from e2e_exact_support import ExactScenario, empty_ledger

from sandboxes.exact.world import ExactWorld
from sandboxes.world import local_moment

MONDAY = date(2026, 1, 5)


def test_the_offer_is_in_the_second_reminder_only(tmp_path: Path) -> None:
    standard = resources.files("connector.policy") / "ladders" / "nl-b2b-standard.yaml"
    policies = tmp_path / "world" / "config" / "policies"
    policies.mkdir(parents=True)
    (policies / "with-offer.yaml").write_text(
        standard.read_text().replace("name: nl-b2b-standard", "name: with-offer")
        + "payment_plan_offer: second\n"
    )
    world = ExactWorld.open(
        tmp_path / "world",
        start=local_moment(MONDAY, 8),
        populate=empty_ledger,
        client_overrides={"demo": "policies: {business: with-offer}\n"},
    )
    try:
        s = ExactScenario(world)
        late = s.customer("Laat Betaler BV")
        s.invoice(late, "800.00", MONDAY + timedelta(days=3), number=2026010)

        s.days(MONDAY, 30)

        first, second = s.mails_to(late)
        assert "betalingsregeling" not in first.text()
        assert "betalingsregeling" in second.text()
        assert "Beantwoord deze e-mail of bel ons op +31 20 123 4567" in second.text()
        assert "Betaling factuur" in second.subject  # the firm reminder
    finally:
        world.close()

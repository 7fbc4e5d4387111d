"""What `dunning sync`, `plan` and `run` do per client, as library functions a console can call
(`sync.sync_client`, `status.plan.client_plan`, `status.plan.run_client`): against the Zoho
sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from connector.app import ClientUnavailable
from connector.status.plan import client_plan, run_client
from connector.sync import sync_client
from sandboxes.world import local_moment
from sandboxes.zoho.generate import seed_demo
from sandboxes.zoho.world import ZohoWorld


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ZohoWorld]:
    def small(state, org, seed):  # type: ignore[no-untyped-def]
        return seed_demo(state, seed=seed, customers=4, invoices=12, organization_id=org)

    world = ZohoWorld.open(
        tmp_path, start=local_moment(date(2026, 1, 6), 10), seed=5, slugs=("acme",), populate=small
    )
    yield world
    world.close()


def test_a_sync_brings_the_clients_ledger_into_the_store(world: ZohoWorld) -> None:
    stats = sync_client(world.app, "acme", world.clock)
    assert stats.customers == 4 and stats.invoices == 12


def test_the_plan_is_a_table_of_the_open_invoices_after_a_sync(world: ZohoWorld) -> None:
    table = client_plan(world.app, "acme", world.clock)
    assert table[0].split()[:3] == ["customer", "invoice", "balance"]
    assert len(table) > 2 and "(no open invoices)" not in table  # a line per open invoice
    assert any("INV-" in line and "DUE NOW" in line for line in table[2:])


def test_without_a_sync_the_plan_shows_only_what_the_store_holds(world: ZohoWorld) -> None:
    assert client_plan(world.app, "acme", world.clock, sync_first=False)[2:] == [
        "(no open invoices)"
    ]


def test_a_dry_run_says_what_it_would_do_and_sends_nothing(world: ZohoWorld) -> None:
    done = run_client(world.app, "acme", world.clock, dry_run=True)
    assert done.result.ok
    assert done.would_do and all("INV-" in line for line in done.would_do), done.would_do
    assert done.waiting == []
    assert world.actions("acme", status="sent") == []


def test_a_real_run_reports_only_its_result(world: ZohoWorld) -> None:
    done = run_client(world.app, "acme", world.clock)
    assert done.result.ok and done.would_do == [] and done.waiting == []
    assert world.actions("acme", status="sent")


def test_a_client_without_a_file_cannot_run_and_the_known_ones_are_named(
    world: ZohoWorld,
) -> None:
    with pytest.raises(ClientUnavailable, match=r"nosuch: no such client .*known: acme"):
        run_client(world.app, "nosuch", world.clock, dry_run=True)

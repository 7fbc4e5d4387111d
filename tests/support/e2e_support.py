"""Helpers shared by the end-to-end tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sandboxes.world import local_moment
from sandboxes.zoho import ZohoState
from sandboxes.zoho.generate import DemoInfo, seed_demo
from sandboxes.zoho.world import ZohoWorld


def empty_ledger(state: ZohoState, org: str, seed: int) -> DemoInfo:
    return seed_demo(state, seed=seed, customers=0, invoices=0, organization_id=org)


def empty_two_tenants(root: Path) -> ZohoWorld:
    return ZohoWorld.open(
        root, start=local_moment(date(2026, 1, 5), 8), slugs=("a", "b"), populate=empty_ledger
    )

"""`dunning demo`: the connector against a sandbox ledger (the `sandboxes` distribution), no
network."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from connector.cli._common import fail, globals_of


def register(app: typer.Typer) -> None:
    app.command()(demo)


def demo(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the report and database.")
    ] = Path("demo-output"),
    days: Annotated[int, typer.Option("--days", help="Simulated days.")] = 90,
    seed: Annotated[int, typer.Option("--seed", help="Sample-data seed.")] = 7,
    platform: Annotated[str, typer.Option("--platform", help="zoho, exact or moneybird")] = "zoho",
) -> None:
    """Run the connector against the bundled sandbox ledger for 90 simulated days; no network."""
    # The sandboxes are a distribution of their own beside the product (not in its wheel or
    # image); this command is the one place the product reaches into them.
    try:
        from sandboxes.demo import DemoFolderError, UnknownPlatform, run_demo
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != "sandboxes":
            raise
        fail(
            "the demo needs the sandboxes, which are not installed: from a checkout of the "
            "repository, run `make demo` or `pip install -e sandboxes`"
        )
    if globals_of(ctx).verbose == 0:  # the day-by-day lines are the output; logs only if asked
        logging.getLogger().setLevel(logging.WARNING)
    try:
        run_demo(out, platform=platform, days=days, seed=seed, echo=typer.echo)
    except (DemoFolderError, UnknownPlatform) as exc:
        fail(str(exc))

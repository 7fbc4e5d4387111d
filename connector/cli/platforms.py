"""`dunning <platform> ...`: each installed platform's own commands (`Platform.cli`), found
through the registry, e.g. `dunning exact webhooks subscribe`."""

from __future__ import annotations

import typer

from connector.platforms import platforms


def register(app: typer.Typer) -> None:
    for name, platform in sorted(platforms().items()):
        if platform.cli is not None:
            app.add_typer(platform.cli(), name=name)

"""Every text a console template shows through `_()` has its Dutch (connector/console/messages),
so a Dutch page never falls back to English halfway."""

from __future__ import annotations

import re
from pathlib import Path

from connector.console.i18n import dutch, translate

TEMPLATES = Path(__file__).parents[3] / "connector" / "console" / "templates"
#: _("text") or _('text'), with or without placeholders after it
CALL = re.compile(r"""_\(\s*(?P<q>["'])(?P<text>.+?)(?P=q)\s*[,)]""")


def test_every_template_text_has_its_dutch() -> None:
    missing = sorted(
        f"{path.relative_to(TEMPLATES)}: {m.group('text')}"
        for path in TEMPLATES.rglob("*.html")
        for m in CALL.finditer(path.read_text(encoding="utf-8"))
        if m.group("text") not in dutch()
    )
    assert missing == []


def test_placeholders_are_filled_after_translating() -> None:
    assert translate("en", "%(n)s waiting", n=3) == "3 waiting"
    assert translate("nl", "Overview") == "Overzicht"
    assert translate("en", "Overview") == "Overview"

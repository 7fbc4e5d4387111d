"""The field contract: every Exact resource, property and parameter the adapter sends, in one place.

Exact answers HTTP 400 "No property 'X' exists in type 'Exact.Web.Api.Models…' at position 0."
to a ``$select``, ``$filter`` or ``$orderby`` naming a property its resource does not have, so
every name the adapter sends must come from Exact's API reference. The reference's property list
per resource is kept in ``adapters/exact/reference/exact-fields.json`` (its ``_about`` names the
source); the few function parameters (``read/financial/ReceivablesListByAccount?accountId=``) are
in ``adapters/exact/reference/exact-parameters.json``.

Every declaration the adapter sends from registers itself here when it is created:
`adapters.exact.endpoints.Endpoint` (path, ``$select``, the properties a ``$filter`` may name,
``$orderby``, parameters) and `adapters.exact.endpoints.PostSpec` (path and the properties a POST
body may carry). Filters are built only from an endpoint's declared filter properties and POST
bodies only from a spec's declared properties (both refuse anything else at run time), and the
client only sends what those build, so `uses` is everything the adapter can put on the wire.
``tests/adapters/contract`` checks `uses` of the real modules against the reference with
`violations`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Protocol

#: how a property is used on the wire
SELECT, FILTER, ORDERBY, BODY, PARAMETER = (
    "$select",
    "$filter",
    "$orderby",
    "POST body",
    "parameter",
)

#: the adapter modules whose import registers every declaration (webhook: the subscription set-up)
MODULES = (
    "adapters.exact.endpoints",
    "adapters.exact.client",
    "adapters.exact.adapter",
    "adapters.exact.writeback",
    "adapters.exact.auth",
    "adapters.exact.consent",
    "adapters.exact.webhook",
)


@dataclass(frozen=True, slots=True)
class Use:
    """One name the adapter sends: `resource` path, `prop`erty (or parameter), `how`, `by` (the
    declaration's name, for messages)."""

    resource: str
    prop: str
    how: str
    by: str


class Declaration(Protocol):
    def uses(self) -> Iterable[Use]: ...


class Contract:
    """The declarations of one adapter (the real one is `EXACT`; tests make their own)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._declarations: list[Declaration] = []

    def register(self, declaration: Declaration) -> None:
        self._declarations.append(declaration)

    def __contains__(self, declaration: object) -> bool:
        return any(d is declaration for d in self._declarations)

    def declarations(self) -> list[Declaration]:
        return list(self._declarations)

    def uses(self) -> list[Use]:
        return [use for d in self._declarations for use in d.uses()]


EXACT = Contract("exact")


@dataclass(frozen=True, slots=True)
class Reference:
    """Exact's reference: property names per resource path, parameters per function resource."""

    fields: Mapping[str, frozenset[str]]
    parameters: Mapping[str, frozenset[str]]
    source: str


def _load(name: str) -> dict[str, object]:
    text = resources.files("adapters.exact").joinpath("reference", name).read_text("utf-8")
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


@cache
def reference() -> Reference:
    """The lists kept in ``adapters/exact/reference/`` (read once)."""
    raw = _load("exact-fields.json")
    fields: dict[str, frozenset[str]] = {}
    for path, entry in raw.items():
        if path.startswith("_") or not isinstance(entry, dict):
            continue
        fields[path] = frozenset(str(f) for f in entry.get("fields", ()))
    params_raw = _load("exact-parameters.json")
    parameters = {
        path: frozenset(str(p) for p in entry.get("parameters", ()))
        for path, entry in params_raw.items()
        if not path.startswith("_") and isinstance(entry, dict)
    }
    return Reference(fields, parameters, str(raw.get("_about", "")))


def key_of(path: str) -> str | None:
    """The key property of a resource in the reference (``ID``, ``HID``, ``Timestamp``…)."""
    entry = _load("exact-fields.json").get(path)
    return str(entry.get("key")) if isinstance(entry, dict) and entry.get("key") else None


def violations(uses: Iterable[Use], ref: Reference | None = None) -> list[str]:
    """One line per use outside the reference, naming resource and property; [] when all fit."""
    ref = ref or reference()
    out: list[str] = []
    for use in uses:
        known = ref.fields.get(use.resource)
        if known is None:
            out.append(f"{use.resource}: no such resource in Exact's reference ({use.by})")
        elif use.how == PARAMETER:
            if use.prop not in ref.parameters.get(use.resource, frozenset()):
                out.append(f"{use.resource}: no parameter '{use.prop}' ({use.by})")
        elif use.prop not in known:
            out.append(f"{use.resource}: no property '{use.prop}' in {use.how} ({use.by})")
    return sorted(set(out))


def load_all() -> Contract:
    """Import every adapter module (which registers its declarations) and return `EXACT`."""
    import importlib

    for module in MODULES:
        importlib.import_module(module)
    return EXACT

"""The field contract: every Moneybird endpoint, parameter, filter key, body property and record
property the adapter uses, in one place, checked against Moneybird's documentation.

Moneybird's request bodies allow no unknown attributes (the API description marks them
``unevaluatedProperties: false``) and a record property that is not documented may be absent or
mean something else, so every name the adapter sends or reads must come from the documentation.
The documented lists are kept in ``adapters/moneybird/reference/moneybird-fields.json`` (its
``_about`` names the source, each entry its page on developer.moneybird.com).

Every declaration registers itself here when it is created: `adapters.moneybird.endpoints.Endpoint`
(method and path, query parameters, filter keys, body properties, the record it answers with) and
`adapters.moneybird.endpoints.Record` (the properties the mapping reads from a record). Query
parameters, filters and bodies are built only from declared names, and records are read only
through their declared properties (both refuse anything else at run time), so `uses` is
everything the adapter can put on the wire or take from it. ``tests/adapters/moneybird`` checks
`uses` of the real modules against the reference with `violations`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Protocol

#: how a name is used
PARAMETER, FILTER, BODY, READ, RETURNS = (
    "query parameter",
    "filter key",
    "body property",
    "property",
    "record",
)

#: the adapter modules whose import registers every declaration
MODULES = (
    "adapters.moneybird.endpoints",
    "adapters.moneybird.mapping",
    "adapters.moneybird.client",
)


@dataclass(frozen=True, slots=True)
class Use:
    """One name the adapter uses: on `resource` (an endpoint such as ``GET sales_invoices`` or a
    record such as ``sales_invoice``), `prop` used as `how`; `by` names the declaration."""

    resource: str
    prop: str
    how: str
    by: str


class Declaration(Protocol):
    def uses(self) -> Iterable[Use]: ...


class Contract:
    """The declarations of one adapter (the real one is `MONEYBIRD`; tests make their own)."""

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


MONEYBIRD = Contract("moneybird")


@dataclass(frozen=True, slots=True)
class EndpointReference:
    """What the documentation says of one endpoint (``METHOD path``)."""

    returns: str | None
    parameters: frozenset[str]
    filter_keys: frozenset[str]
    body: frozenset[str]
    source: str
    max_ids: int | None = None
    max_per_page: int | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """Moneybird's documentation as kept in the repo: record properties and endpoints."""

    records: Mapping[str, frozenset[str]]
    endpoints: Mapping[str, EndpointReference]
    source: str


def _names(entry: Mapping[str, Any], key: str) -> frozenset[str]:
    return frozenset(str(n) for n in entry.get(key) or ())


def _optional_int(value: object) -> int | None:
    return int(value) if isinstance(value, int) else None


@cache
def reference() -> Reference:
    """The lists kept in ``adapters/moneybird/reference/`` (read once)."""
    text = resources.files("adapters.moneybird").joinpath("reference", "moneybird-fields.json")
    raw = json.loads(text.read_text("utf-8"))
    assert isinstance(raw, dict)
    records = {name: _names(entry, "fields") for name, entry in raw["records"].items()}
    endpoints = {
        key: EndpointReference(
            returns=entry.get("returns"),
            parameters=_names(entry, "parameters"),
            filter_keys=_names(entry, "filter_keys"),
            body=_names(entry, "body"),
            source=str(entry.get("source", "")),
            max_ids=_optional_int(entry.get("max_ids")),
            max_per_page=_optional_int(entry.get("max_per_page")),
        )
        for key, entry in raw["endpoints"].items()
    }
    return Reference(records, endpoints, str(raw.get("_about", "")))


def violations(uses: Iterable[Use], ref: Reference | None = None) -> list[str]:
    """One line per use outside the reference, naming resource and property; [] when all fit."""
    ref = ref or reference()
    out: list[str] = []
    for use in uses:
        where = f"{use.resource}: "
        if use.how == READ:
            known = ref.records.get(use.resource)
            if known is None:
                out.append(f"{where}no such record in Moneybird's reference ({use.by})")
            elif use.prop not in known:
                out.append(f"{where}no property '{use.prop}' ({use.by})")
            continue
        endpoint = ref.endpoints.get(use.resource)
        if endpoint is None:
            out.append(f"{where}no such endpoint in Moneybird's reference ({use.by})")
        elif use.how == RETURNS:
            if use.prop != (endpoint.returns or ""):
                documented = endpoint.returns or "nothing"
                out.append(f"{where}answers with {documented}, not '{use.prop}' ({use.by})")
        else:
            allowed = {
                PARAMETER: endpoint.parameters,
                FILTER: endpoint.filter_keys,
                BODY: endpoint.body,
            }[use.how]
            if use.prop not in allowed:
                out.append(f"{where}no {use.how} '{use.prop}' ({use.by})")
    return sorted(set(out))


def load_all() -> Contract:
    """Import every adapter module (which registers its declarations) and return `MONEYBIRD`."""
    import importlib

    for module in MODULES:
        importlib.import_module(module)
    return MONEYBIRD

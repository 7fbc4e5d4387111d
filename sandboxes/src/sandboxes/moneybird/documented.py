"""What the fake Moneybird serves, generated from Moneybird's documentation as kept in
``adapters/moneybird/reference/moneybird-fields.json`` (the list the adapter's contract test
checks the adapter against).

- Endpoints: the fake answers only the endpoints the reference lists (`match` finds one from a
  method and path); anything else is 404, as an endpoint the adapter may not use.
- Query parameters, ``filter`` keys and body properties: only those the reference lists for that
  endpoint (`refusals` names the first one that is not), plus its ``required`` ones.
- Records: a record shows exactly the reference's properties (`record_fields`), those the fake
  keeps no data for as null; a getter for a property the reference does not list fails at import,
  so the fake cannot drift from the documentation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from adapters.moneybird.contract import EndpointReference, reference

Getter = Callable[[Any], Any]


def NULL(record: Any) -> Any:
    """The getter of a documented property the fake keeps no data for."""
    return None


def record_fields(name: str, getters: Mapping[str, Getter]) -> dict[str, Getter]:
    """The reference's properties of record `name`, each shown by its getter or as null."""
    known = reference().records.get(name)
    if known is None:
        raise ValueError(f"{name} is not a record in Moneybird's reference")
    extra = sorted(set(getters) - known)
    if extra:
        raise ValueError(f"{name}: not in Moneybird's reference: {', '.join(extra)}")
    out: dict[str, Getter] = dict.fromkeys(sorted(known), NULL)
    out.update(getters)
    return out


def render(fields: Mapping[str, Getter], record: Any) -> dict[str, Any]:
    return {name: getter(record) for name, getter in fields.items()}


@cache
def _required() -> dict[str, frozenset[str]]:
    text = resources.files("adapters.moneybird").joinpath("reference", "moneybird-fields.json")
    raw = json.loads(text.read_text("utf-8"))
    return {
        key: frozenset(str(n) for n in entry.get("required") or ())
        for key, entry in raw["endpoints"].items()
    }


@dataclass(frozen=True)
class Endpoint:
    """A documented endpoint: its key (``POST sales_invoices/{id}/pause``) and what the
    reference says of it."""

    key: str
    method: str
    template: tuple[str, ...]
    spec: EndpointReference

    @property
    def required(self) -> frozenset[str]:
        return _required().get(self.key, frozenset())

    @property
    def administration(self) -> bool:
        """Under ``/api/v2/{administration_id}/`` (all but ``administrations``)."""
        return self.template != ("administrations",)


@cache
def endpoints() -> tuple[Endpoint, ...]:
    out = []
    for key, spec in reference().endpoints.items():
        method, _, path = key.partition(" ")
        out.append(Endpoint(key, method, tuple(path.split("/")), spec))
    return tuple(out)


def match(method: str, segments: list[str]) -> tuple[Endpoint, dict[str, str]] | None:
    """The documented endpoint for `method` and path `segments` (after the administration id,
    ``.json`` removed) and its path parameters; literal segments win over placeholders
    (``sales_invoices/synchronization`` is not the invoice ``synchronization``)."""
    best: tuple[int, Endpoint, dict[str, str]] | None = None
    for endpoint in endpoints():
        if endpoint.method != method or len(endpoint.template) != len(segments):
            continue
        params: dict[str, str] = {}
        literals = 0
        for want, got in zip(endpoint.template, segments, strict=True):
            if want.startswith("{"):
                params[want.strip("{}")] = got
            elif want == got:
                literals += 1
            else:
                break
        else:
            if best is None or literals > best[0]:
                best = (literals, endpoint, params)
    return None if best is None else (best[1], best[2])


def filter_pairs(raw: str) -> list[tuple[str, str]]:
    """``state:open|late,period:this_year`` as (key, value) pairs (a time's ``:`` kept)."""
    out: list[tuple[str, str]] = []
    for part in raw.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition(":")
        out.append((key.strip(), value.strip() if sep else ""))
    return out


def body_paths(value: Any, prefix: str = "") -> list[str]:
    """Every property path of a request body (``note.todo``,
    ``sales_invoice_reminders[].contact_id``)."""
    out: list[str] = []
    if isinstance(value, Mapping):
        for name, inner in value.items():
            path = f"{prefix}{name}"
            out.append(path)
            out.extend(body_paths(inner, f"{path}."))
    elif isinstance(value, list):
        base = prefix[:-1] if prefix.endswith(".") else prefix
        for item in value:
            if isinstance(item, Mapping):
                out.extend(body_paths(item, f"{base}[]."))
    return out


def refusal(endpoint: Endpoint, query: Mapping[str, str], body: Any) -> tuple[str, str] | None:
    """The first undocumented name the request uses, as (kind, name): a query parameter, a
    ``filter`` key or a body property; or None when every name is documented."""
    for name in query:
        if name not in endpoint.spec.parameters:
            return ("parameter", name)
    if "filter" in query:
        for key, _ in filter_pairs(query["filter"]):
            if key not in endpoint.spec.filter_keys:
                return ("filter", key)
    for path in dict.fromkeys(body_paths(body)):
        if path not in endpoint.spec.body:
            return ("body", path)
    return None


def missing(endpoint: Endpoint, body: Any) -> str | None:
    """The first required body property the request leaves out (in every list item)."""
    present = body_paths(body)
    for path in sorted(endpoint.required, key=lambda p: p.count(".")):
        head, _, _ = path.rpartition(".")
        if head and head.endswith("[]"):
            items = _items(body, head[:-2])
            name = path.rpartition(".")[2]
            if any(not isinstance(i, Mapping) or i.get(name) in (None, "") for i in items):
                return path
        elif path not in present:
            return path
    return None


def _items(body: Any, path: str) -> list[Any]:
    value = body
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value if isinstance(value, list) else []

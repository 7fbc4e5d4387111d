"""The Zoho Books contract: every operation, query parameter, body property and response field
the adapter relies on, declared once and checked against Zoho's published API documentation.

``adapters/zoho/reference/zoho-books-api.json`` lists, per operation (``GET /invoices``), the
query parameters, request body properties and response properties (nested ones as dotted paths)
of Zoho's OpenAPI documents (its ``_about`` names the source). Its ``_undocumented`` part lists
what the adapter relies on although the documents do not list it, each with a note on the source
and on what the adapter does about it (docs/zoho-books.md repeats them).

Each `Operation` registers itself in `ZOHO` when created (adapters/zoho/endpoints.py). The client
checks every request against them (`check_request`): a path no operation declares, or a query
parameter or body property the operation does not declare, is refused before anything is sent.
``tests/adapters/contract/test_zoho_contract.py`` checks the declarations against the reference,
and the field names the mapping reads against the declared response fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

QUERY, BODY, RESPONSE = "query", "body", "response"
#: sent with every request by the client (Zoho: "organization_id … with every request")
ALWAYS = ("organization_id",)


class UndeclaredUse(ValueError):
    """A request naming an operation, parameter or body property no declaration lists."""


@dataclass(frozen=True, slots=True)
class Use:
    operation: str
    name: str
    how: str


class Contract:
    def __init__(self, name: str) -> None:
        self.name = name
        self.operations: list[Operation] = []

    def register(self, operation: Operation) -> None:
        self.operations.append(operation)

    def uses(self) -> list[Use]:
        return [use for op in self.operations for use in op.uses()]

    def find(self, method: str, path: str) -> Operation | None:
        for op in self.operations:
            if op.method == method and op.matches(path):
                return op
        return None


ZOHO = Contract("zoho")


@dataclass(frozen=True, slots=True)
class Operation:
    """One Zoho call: `method`, `path` template (``/invoices/{invoice_id}/comments``), the query
    parameters and body properties it may carry, and the response fields read from it (dotted
    from the answer's top level: ``invoices.balance``, ``page_context.has_more_page``)."""

    method: str
    path: str
    query: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    response: tuple[str, ...] = ()
    contract: Contract = field(default=ZOHO, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.contract.register(self)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def matches(self, path: str) -> bool:
        pattern = re.sub(r"\\\{[a-z_]+\\\}", r"[A-Za-z0-9_-]+", re.escape(self.path))
        return re.fullmatch(pattern, path) is not None

    def uses(self) -> Iterable[Use]:
        for how, names in ((QUERY, (*ALWAYS, *self.query)), (BODY, self.body)):
            for name in names:
                yield Use(self.key, name, how)
        for name in self.response:
            yield Use(self.key, name, RESPONSE)


def check_request(
    method: str,
    path: str,
    params: Mapping[str, Any] | None,
    body: Any,
    contract: Contract = ZOHO,
) -> Operation:
    """The declared operation of this request, or `UndeclaredUse` naming what is not declared."""
    op = contract.find(method, path)
    if op is None:
        raise UndeclaredUse(f"Zoho {method} {path}: no declared operation")
    allowed = {*ALWAYS, *op.query}
    extra = sorted(set(params or {}) - allowed)
    if extra:
        raise UndeclaredUse(f"Zoho {op.key}: undeclared query parameter {', '.join(extra)}")
    if isinstance(body, Mapping):
        extra = sorted(set(body) - set(op.body))
        if extra:
            raise UndeclaredUse(f"Zoho {op.key}: undeclared body property {', '.join(extra)}")
    return op


@dataclass(frozen=True, slots=True)
class Reference:
    documented: Mapping[str, Mapping[str, frozenset[str]]]
    #: operation -> how -> name -> note
    undocumented: Mapping[str, Mapping[str, Mapping[str, str]]]
    source: str

    def accepts(self, operation: str, how: str, name: str) -> bool:
        return name in self.documented.get(operation, {}).get(how, frozenset()) or name in (
            self.undocumented.get(operation, {}).get(how, {})
        )


@cache
def reference() -> Reference:
    text = resources.files("adapters.zoho").joinpath("reference", "zoho-books-api.json")
    raw = json.loads(text.read_text("utf-8"))
    documented: dict[str, dict[str, frozenset[str]]] = {}
    for key, entry in raw.items():
        if key.startswith("_"):
            continue
        documented[key] = {how: frozenset(entry.get(how, ())) for how in (QUERY, BODY, RESPONSE)}
    undocumented = {
        key: {how: dict(names) for how, names in hows.items()}
        for key, hows in raw.get("_undocumented", {}).items()
    }
    return Reference(documented, undocumented, str(raw.get("_about", "")))


def violations(uses: Iterable[Use], ref: Reference | None = None) -> list[str]:
    """One line per use neither documented nor listed as undocumented with a note."""
    ref = ref or reference()
    out: list[str] = []
    for use in uses:
        if use.operation not in ref.documented and use.operation not in ref.undocumented:
            out.append(f"{use.operation}: not an operation of Zoho's documentation")
        elif not ref.accepts(use.operation, use.how, use.name):
            out.append(f"{use.operation}: {use.how} '{use.name}' is not documented")
    return sorted(set(out))


def load_all() -> Contract:
    import importlib

    for module in ("adapters.zoho.endpoints", "adapters.zoho.writeback", "adapters.zoho.adapter"):
        importlib.import_module(module)
    return ZOHO

"""The OData v2 dialect Exact Online speaks: `$filter` subset, `/Date(ms)/` values, envelopes.

Exact stores and shows times as Dutch wall-clock time (CET/CEST) and encodes that wall time as if it
were UTC: `/Date(ms)/` is the epoch value of the Amsterdam wall clock read as UTC, and `datetime'…'`
literals in `$filter` carry no zone and mean Amsterdam time. Inside this module every temporal
value is therefore compared as a *naive Amsterdam wall time*.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_EPOCH = datetime(1970, 1, 1)


class ODataError(ValueError):
    """A query Exact would refuse with 400; `str(error)` is the message Exact shows."""


# --- values ---------------------------------------------------------------------------------


def wall_time(value: datetime | date) -> datetime:
    """The naive Amsterdam wall time of an aware UTC datetime, or midnight of a date."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value
        return value.astimezone(AMSTERDAM).replace(tzinfo=None)
    return datetime.combine(value, time())


def odata_date(value: datetime | date) -> str:
    """`/Date(ms)/` holding the Dutch wall time dressed as UTC."""
    ms = int((wall_time(value) - _EPOCH).total_seconds() * 1000)
    return f"/Date({ms})/"


def parse_odata_date(text: str) -> datetime:
    """Inverse of `odata_date`: the naive Amsterdam wall time."""
    m = re.fullmatch(r"/Date\((-?\d+)([+-]\d{4})?\)/", text)
    if not m:
        raise ValueError(f"not an OData date: {text!r}")
    return datetime.fromtimestamp(int(m.group(1)) / 1000, UTC).replace(tzinfo=None)


def parse_local_datetime(text: str) -> datetime:
    """A JSON date as clients post it (`2025-03-01T10:00`, zone-less = Amsterdam; or `/Date()/`)."""
    if text.startswith("/Date("):
        return parse_odata_date(text)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return wall_time(parsed) if parsed.tzinfo else parsed


def to_json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return odata_date(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


# --- $filter ----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<guid>guid'(?P<guidv>[^']*)')
      | (?P<dt>datetime'(?P<dtv>[^']*)')
      | (?P<str>'(?P<strv>(?:[^']|'')*)')
      | (?P<num>-?\d+(?:\.\d+)?)(?P<suffix>[LlMmDdFf])?
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_/]*)
    )""",
    re.VERBOSE,
)

_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


Node = Literal | Field | Call | Binary | Not

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "trim": lambda s: s.strip() if isinstance(s, str) else s,
    "tolower": lambda s: s.lower() if isinstance(s, str) else s,
    "toupper": lambda s: s.upper() if isinstance(s, str) else s,
    "substringof": lambda needle, hay: (
        isinstance(hay, str) and isinstance(needle, str) and needle.lower() in hay.lower()
    ),
    "startswith": lambda hay, p: isinstance(hay, str) and hay.lower().startswith(str(p).lower()),
}


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ODataError(f"Syntax error at position {pos} in '{text}'.")
        pos = m.end()
        if m.group("guid"):
            tokens.append(("lit", m.group("guidv").lower()))
        elif m.group("dt"):
            try:
                tokens.append(("lit", parse_local_datetime(m.group("dtv"))))
            except ValueError as exc:
                raise ODataError(f"Unrecognized 'Edm.DateTime' literal '{m.group(0)}'.") from exc
        elif m.group("str") is not None and m.group("strv") is not None:
            tokens.append(("lit", m.group("strv").replace("''", "'")))
        elif m.group("num"):
            raw, suffix = m.group("num"), (m.group("suffix") or "").upper()
            if suffix == "L" or ("." not in raw and suffix == ""):
                tokens.append(("lit", int(raw)))
            else:
                tokens.append(("lit", Decimal(raw)))
        elif m.group("punct"):
            tokens.append((m.group("punct"), None))
        else:
            word = m.group("word")
            low = word.lower()
            if low in ("true", "false"):
                tokens.append(("lit", low == "true"))
            elif low == "null":
                tokens.append(("lit", None))
            elif low in _COMPARISONS or low in ("and", "or", "not"):
                tokens.append((low, None))
            else:
                tokens.append(("word", word))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, kind: str | None = None) -> tuple[str, Any]:
        if self.i >= len(self.tokens):
            raise ODataError(f"Syntax error: unexpected end of '{self.text}'.")
        tok = self.tokens[self.i]
        if kind is not None and tok[0] != kind:
            raise ODataError(f"Syntax error: expected '{kind}' in '{self.text}'.")
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_expr()
        if self.i != len(self.tokens):
            raise ODataError(f"Syntax error at token {self.i} in '{self.text}'.")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.peek() == "or":
            self.take()
            node = Binary("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while self.peek() == "and":
            self.take()
            node = Binary("and", node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == "not":
            self.take()
            return Not(self.unary())
        left = self.primary()
        op = self.peek()
        if op in _COMPARISONS:
            self.take()
            return Binary(op, left, self.primary())
        return left

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "lit":
            return Literal(value)
        if kind == "(":
            node = self.or_expr()
            self.take(")")
            return node
        if kind == "word":
            if self.peek() == "(":
                name = str(value).lower()
                if name not in _FUNCTIONS:
                    raise ODataError(f"Unknown function '{value}'.")
                self.take("(")
                args = [self.or_expr()]
                while self.peek() == ",":
                    self.take(",")
                    args.append(self.or_expr())
                self.take(")")
                return Call(name, tuple(args))
            return Field(str(value))
        raise ODataError(f"Syntax error near '{kind}' in '{self.text}'.")


def parse_filter(text: str) -> Node:
    return _Parser(text).parse()


def fields_of(node: Node) -> set[str]:
    if isinstance(node, Field):
        return {node.name}
    if isinstance(node, Call):
        return set().union(*(fields_of(a) for a in node.args))
    if isinstance(node, Binary):
        return fields_of(node.left) | fields_of(node.right)
    if isinstance(node, Not):
        return fields_of(node.operand)
    return set()


def required_values(node: Node) -> tuple[str, frozenset[Any]] | None:
    """A field and the values it must equal for `node` to hold, when the filter says so at the
    top level (``(Account eq guid'a' or Account eq guid'b') and …``); None otherwise. Lets a
    list narrow its records by one field before evaluating the whole filter on each: a record
    whose value is not among them cannot match (values compared as `evaluate` compares them)."""
    if isinstance(node, Binary) and node.op == "and":
        return required_values(node.left) or required_values(node.right)
    terms: list[Node] = []
    pending: list[Node] = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, Binary) and item.op == "or":
            pending += (item.left, item.right)
        else:
            terms.append(item)
    field: str | None = None
    values: set[Any] = set()
    for term in terms:
        if not (
            isinstance(term, Binary)
            and term.op == "eq"
            and isinstance(term.left, Field)
            and isinstance(term.right, Literal)
            and term.right.value is not None
            and field in (None, term.left.name)
        ):
            return None
        field = term.left.name
        values.add(norm(term.right.value))
    return (field, frozenset(values)) if field is not None else None


def lower_bound(node: Node, field: str) -> int | None:
    """`n` when the filter implies `field > n` at the top level (`Timestamp gt 123L and …`)."""
    if isinstance(node, Binary) and node.op == "and":
        bounds = [b for b in (lower_bound(node.left, field), lower_bound(node.right, field)) if b]
        return max(bounds) if bounds else None
    if (
        isinstance(node, Binary)
        and isinstance(node.left, Field)
        and node.left.name == field
        and isinstance(node.right, Literal)
        and isinstance(node.right.value, int)
        and not isinstance(node.right.value, bool)
    ):
        if node.op == "gt":
            return node.right.value
        if node.op == "ge":
            return node.right.value - 1
    return None


def norm(value: Any) -> Any:
    """A value as filters compare it (dates at wall time, text case-insensitively)."""
    if isinstance(value, datetime | date):
        return wall_time(value)
    if isinstance(value, str):
        return value.lower()  # Exact's SQL collation compares text case-insensitively
    if isinstance(value, float):
        return Decimal(str(value))
    return value


Getter = Callable[[str], Any]


def evaluate(node: Node, get: Getter) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Field):
        return get(node.name)
    if isinstance(node, Call):
        return _FUNCTIONS[node.name](*(evaluate(a, get) for a in node.args))
    if isinstance(node, Not):
        return not evaluate(node.operand, get)
    if node.op == "and":
        return bool(evaluate(node.left, get)) and bool(evaluate(node.right, get))
    if node.op == "or":
        return bool(evaluate(node.left, get)) or bool(evaluate(node.right, get))
    left, right = norm(evaluate(node.left, get)), norm(evaluate(node.right, get))
    if node.op == "eq":
        return left == right
    if node.op == "ne":
        return left != right
    if left is None or right is None:
        return False
    try:
        if node.op == "gt":
            return left > right
        if node.op == "ge":
            return left >= right
        if node.op == "lt":
            return left < right
        return left <= right
    except TypeError as exc:
        raise ODataError(f"Operator '{node.op}' incompatible with operand types.") from exc


def no_property(name: str, type_name: str) -> ODataError:
    """Exact's answer to a ``$select``/``$filter``/``$orderby`` naming an unknown property."""
    return ODataError(f"No property '{name}' exists in type '{type_name}' at position 0.")


def check_fields(node: Node, known: Mapping[str, Any], type_name: str) -> None:
    unknown = sorted(fields_of(node) - set(known))
    if unknown:
        raise no_property(unknown[0], type_name)


def parse_decimal(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ODataError(f"Error converting value for property '{name}' to Edm.Double.") from exc


# --- envelopes ---------------------------------------------------------------------------------


def error_body(message: str) -> dict[str, Any]:
    return {"error": {"code": "", "message": {"lang": "", "value": message}}}


def atom_feed(rows: list[dict[str, Any]], title: str, next_url: str | None) -> bytes:
    """The XML Exact answers when the client forgot `Accept: application/json` (minimal Atom)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" '
        'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">',
        f'<title type="text">{escape(title)}</title>',
    ]
    for row in rows:
        meta = row.get("__metadata", {})
        parts.append(f"<entry><id>{escape(str(meta.get('uri', '')))}</id>")
        parts.append('<content type="application/xml"><m:properties>')
        for key, value in row.items():
            if key == "__metadata":
                continue
            text = "" if value is None else escape(str(value))
            parts.append(f"<d:{key}>{text}</d:{key}>")
        parts.append("</m:properties></content></entry>")
    if next_url:
        parts.append(f'<link rel="next" href="{escape(next_url)}"/>')
    parts.append("</feed>")
    return "".join(parts).encode()


def atom_error(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><error xmlns="http://schemas.microsoft.com/ado/2007/'
        f'08/dataservices/metadata"><code></code><message xml:lang="">{escape(message)}</message>'
        "</error>"
    ).encode()


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, default=to_json_value).encode()

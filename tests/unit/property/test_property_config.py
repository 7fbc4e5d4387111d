"""Property: the config loader takes any YAML (a document of any shape, a valid client file
with any key replaced by anything, or plain text) and either returns a configuration or raises
a `ConfigError` naming the file, never another exception (issue #15)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.config import ConfigError, load_client, load_config

QUICK = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENV = {"ACME_CLIENT_ID": "1000.ACMEID", "ACME_CLIENT_SECRET": "acme-very-secret-value"}

VALID: dict[str, Any] = {
    "display_name": "Acme B.V.",
    "platform": "zoho",
    "zoho": {
        "data_center": "eu",
        "organization_id": "20061234567",
        "client_id": "${ACME_CLIENT_ID}",
        "client_secret": "${ACME_CLIENT_SECRET}",
    },
    "sender": {"name": "Acme", "email": "ar@acme.example"},
}
KEYS = [
    "display_name",
    "platform",
    "zoho",
    "exact",
    "sender",
    "policy",
    "language",
    "timezone",
    "sending_window",
    "customers",
    "mail",
    "approval",
    "enabled",
    "legal",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["${ACME_CLIENT_ID}", "${MISSING}", "$${X}", "eu", "zoho", "exact", "nl"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=3),
    ),
    max_leaves=10,
)


def loads(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "clients").mkdir()
        (root / "connector.yaml").write_text("timezone: Europe/Amsterdam\n")
        (root / "clients" / "acme.yaml").write_text(text, encoding="utf-8")
        try:
            load_client(root, "acme", ENV)
        except ConfigError as exc:
            assert "acme.yaml" in str(exc), "the error names the file"
        loaded = load_config(root, ENV)  # a broken client file never breaks the whole load
        assert set(loaded.clients) | set(loaded.errors) == {"acme"}


@QUICK
@given(values)
def test_any_yaml_document_is_a_client_or_a_located_error(document: Any) -> None:
    loads(yaml.safe_dump(document, allow_unicode=True))


@QUICK
@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=3))
def test_a_valid_client_file_with_keys_replaced_by_anything(junk: dict[str, Any]) -> None:
    loads(yaml.safe_dump({**VALID, **junk}, allow_unicode=True))


@QUICK
@given(st.text(max_size=200))
def test_any_text_is_a_client_or_a_located_error(text: str) -> None:
    loads(text)

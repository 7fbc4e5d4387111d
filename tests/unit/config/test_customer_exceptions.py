"""The client file's exceptions per customer (`customers:`), resolved in one place on
`ClientConfig`: the profile, the language of documents and the postal address for letters."""

from __future__ import annotations

from typing import Any

from connector.config import ClientConfig
from connector.domain import CustomerProfile


def client(customers: dict[Any, Any], language: str = "nl") -> ClientConfig:
    return ClientConfig.model_validate(
        {
            "display_name": "Acme B.V.",
            "platform": "zoho",
            "zoho": {
                "data_center": "eu",
                "organization_id": "2006",
                "client_id": "i",
                "client_secret": "s",
            },
            "sender": {"name": "Acme", "email": "ar@acme.example"},
            "language": language,
            "customers": customers,
        }
    )


def test_a_profile_in_the_client_file_wins_over_the_ledgers() -> None:
    cfg = client({"46001": {"profile": "consumer"}})
    assert cfg.profile_for("46001", CustomerProfile.BUSINESS) is CustomerProfile.CONSUMER


def test_without_a_profile_in_the_client_file_the_ledgers_stands() -> None:
    cfg = client({"46001": {"address": "Dorpsstraat 1\n1234 AB Ergens"}})
    assert cfg.profile_for("46001", CustomerProfile.GOVERNMENT) is CustomerProfile.GOVERNMENT
    assert cfg.profile_for("46002", CustomerProfile.BUSINESS) is CustomerProfile.BUSINESS


def test_documents_are_in_the_customers_language_else_the_clients() -> None:
    cfg = client({"46001": {"language": "en"}, "46002": {"profile": "business"}}, language="nl")
    assert cfg.language_for("46001") == "en"
    assert cfg.language_for("46002") == "nl"
    assert cfg.language_for("unknown") == "nl"


def test_a_postal_address_comes_from_the_client_file_or_not_at_all() -> None:
    cfg = client({"46001": {"address": "Postbus 12\n1000 AA Amsterdam"}, "46002": {}})
    assert cfg.address_for("46001") == "Postbus 12\n1000 AA Amsterdam"
    assert cfg.address_for("46002") is None
    assert cfg.address_for("46003") is None


def test_customer_ids_written_as_numbers_are_found_by_their_text() -> None:
    cfg = client({46001: {"profile": "consumer", "language": "en"}})
    assert cfg.profile_for("46001", CustomerProfile.BUSINESS) is CustomerProfile.CONSUMER
    assert cfg.language_for("46001") == "en"

"""Zoho data centres and the sandbox overrides; Exact hosts."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import ValidationError

from adapters.exact.settings import ExactSettings, exact_host
from adapters.zoho.settings import ZohoSettings, zoho_hosts

# docs/zoho-books.md
TABLE = [
    ("com", "https://accounts.zoho.com", "https://www.zohoapis.com/books/v3"),
    ("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu/books/v3"),
    ("in", "https://accounts.zoho.in", "https://www.zohoapis.in/books/v3"),
    ("com.au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au/books/v3"),
    ("jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp/books/v3"),
    ("ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca/books/v3"),
    ("com.cn", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn/books/v3"),
    ("sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa/books/v3"),
]


def zoho(**overrides: Any) -> ZohoSettings:
    data = {"data_center": "eu", "organization_id": "1", "client_id": "c", "client_secret": "s"}
    return ZohoSettings.model_validate({**data, **overrides})


@pytest.mark.parametrize(("dc", "accounts", "api"), TABLE)
def test_each_data_centre_has_its_accounts_server_and_books_api(
    dc: str, accounts: str, api: str
) -> None:
    assert zoho_hosts(dc) == (accounts, api)
    settings = zoho(data_center=dc)
    assert (settings.effective_accounts_url, settings.effective_api_url) == (accounts, api)


def test_every_allowed_data_centre_is_in_the_table() -> None:
    allowed = ZohoSettings.model_fields["data_center"].annotation
    assert set(get_args(allowed)) == {dc for dc, _, _ in TABLE}


def test_an_unknown_data_centre_is_rejected() -> None:
    with pytest.raises(KeyError):
        zoho_hosts("uk")
    with pytest.raises(ValidationError):
        zoho(data_center="uk")


def test_a_sandbox_overrides_both_hosts_and_books_v3_is_appended() -> None:
    settings = zoho(accounts_url="http://127.0.0.1:8080/", api_url="http://127.0.0.1:8080")
    assert settings.effective_accounts_url == "http://127.0.0.1:8080"
    assert settings.effective_api_url == "http://127.0.0.1:8080/books/v3"
    assert zoho(api_url="http://localhost:9/zoho").effective_api_url == (
        "http://localhost:9/zoho/books/v3"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8080/books/v3", "leave off /books/v3: it is appended"),
        ("127.0.0.1:8080", "expected an http(s) URL such as https://example.com"),
        ("https://x.example/?a=1", "the URL must not have a query string or fragment"),
    ],
)
def test_a_wrong_api_url_is_explained(url: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        zoho(api_url=url)
    assert caught.value.errors()[0]["msg"] == f"Value error, {message}"


def test_the_plan_is_case_insensitive() -> None:
    assert zoho(plan="PROFESSIONAL").plan == "professional"


@pytest.mark.parametrize("country", ["nl", "be", "de", "fr", "es", "co.uk", "com"])
def test_exact_hosts_are_per_country(country: str) -> None:
    assert exact_host(country) == f"https://start.exactonline.{country}"
    settings = ExactSettings.model_validate(
        {"country": country, "division": 1, "client_id": "c", "client_secret": "s"}
    )
    assert settings.effective_base_url == f"https://start.exactonline.{country}"

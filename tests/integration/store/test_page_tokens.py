"""Links to a customer's own page: only the token's hash opens a row; a link ends when it
expires or is revoked; the next mail reuses a customer's fresh link instead of minting one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from connector.domain import Customer
from connector.store import page_tokens
from connector.store.crypto import Cipher
from connector.store.db import session_scope
from connector.store.models import CustomerPageToken

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_token_opens_its_customer_and_only_its_hash_is_stored(engine: Engine) -> None:
    with session_scope(engine) as session:
        token = page_tokens.issue(session, "acme", "4600001", now=NOW, days=60)
    assert len(token) >= 43  # 32 random bytes
    with session_scope(engine) as session:
        access = page_tokens.find(session, token, now=NOW + timedelta(days=59))
        rows = session.exec(select(CustomerPageToken)).all()
    assert access is not None
    assert (access.tenant, access.customer_ref) == ("acme", "4600001")
    assert [r.token_hash for r in rows] == [page_tokens.digest(token)]
    assert all(token not in (r.sealed or "") for r in rows)


def test_an_expired_revoked_or_guessed_token_opens_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        token = page_tokens.issue(session, "acme", "4600001", now=NOW, days=60)
        other = page_tokens.issue(session, "acme", "4600002", now=NOW, days=60)
    with session_scope(engine) as session:
        assert page_tokens.find(session, token, now=NOW + timedelta(days=60)) is None
        assert page_tokens.find(session, token[:-1] + "x", now=NOW) is None
        assert page_tokens.find(session, "", now=NOW) is None
        assert page_tokens.revoke(session, "acme", "4600002", now=NOW) == 1
    with session_scope(engine) as session:
        assert page_tokens.find(session, other, now=NOW) is None
        assert page_tokens.find(session, token, now=NOW) is not None


def test_the_next_mail_reuses_the_fresh_link_and_a_new_one_is_made_near_its_end(
    engine: Engine, cipher: Cipher
) -> None:
    jansen = Customer("4600001", "Drukkerij Jansen B.V.")
    first = page_tokens.PageLinks(engine, "acme", "https://pay.example/", now=NOW, cipher=cipher)
    url = first(jansen)
    assert url.startswith("https://pay.example/p/")
    assert first(jansen) == url
    week_later = page_tokens.PageLinks(
        engine, "acme", "https://pay.example", now=NOW + timedelta(days=7), cipher=cipher
    )
    assert week_later(jansen) == url  # the next run's mail: the same link
    late = page_tokens.PageLinks(
        engine, "acme", "https://pay.example", now=NOW + timedelta(days=45), cipher=cipher
    )
    renewed = late(jansen)
    assert renewed != url  # less than a third of its life left: a new one
    with session_scope(engine) as session:
        token = url.rsplit("/", 1)[1]
        assert page_tokens.find(session, token, now=NOW + timedelta(days=45)) is not None
        assert page_tokens.revoke(session, "acme", jansen.ref, now=NOW) == 2
    assert page_tokens.PageLinks(engine, "acme", "https://pay.example", now=NOW, cipher=cipher)(
        jansen
    ) not in (url, renewed)

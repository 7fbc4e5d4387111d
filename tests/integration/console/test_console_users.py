"""Console users as the `dunning users` command manages them: argon2id hashes, roles, the
clients each may see; a reset or removal ends their sessions at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from console_support import NOW, PASSWORD
from sqlmodel import select

from connector.app import App
from connector.console.sessions import IDLE, MAX_AGE, resume_session, start_session
from connector.console.users import (
    Role,
    UserError,
    add_user,
    authenticate,
    list_users,
    remove_user,
    reset_password,
)
from connector.store.db import session_scope
from connector.store.models import ConsoleSession, ConsoleUser


def test_a_password_is_stored_as_an_argon2id_hash_never_as_typed(console_app: App) -> None:
    with session_scope(console_app.engine) as session:
        rows = session.exec(select(ConsoleUser)).all()
    assert rows and all(r.password_hash.startswith("$argon2id$") for r in rows)
    assert all(PASSWORD not in r.password_hash for r in rows)


def test_login_needs_the_right_password_and_ignores_the_case_of_the_address(
    console_app: App,
) -> None:
    assert authenticate(console_app.engine, "ACME@Console.example", PASSWORD) is not None
    assert authenticate(console_app.engine, "acme@console.example", "wrong password!") is None
    assert authenticate(console_app.engine, "nobody@console.example", PASSWORD) is None
    assert authenticate(console_app.engine, "not an address", PASSWORD) is None


def test_an_owner_sees_only_their_own_client_and_an_admin_every_client(console_app: App) -> None:
    by_email = {a.email: a for a in list_users(console_app.engine)}
    assert by_email["acme@console.example"].visible(["acme", "bakker"]) == ["acme"]
    assert by_email["admin@console.example"].visible(["acme", "bakker"]) == ["acme", "bakker"]


@pytest.mark.parametrize(
    ("role", "clients", "password", "problem"),
    [
        (Role.OWNER, (), PASSWORD, "needs at least one --client"),
        (Role.OWNER, ("nope",), PASSWORD, r"no such client: nope \(known: acme, bakker\)"),
        (Role.ADMIN, ("acme",), PASSWORD, "leave out --client"),
        (Role.CONSULTANT, ("acme",), "short", "at least 12 characters"),
    ],
)
def test_a_user_that_cannot_be_added_is_refused_with_the_reason(
    console_app: App, role: Role, clients: tuple[str, ...], password: str, problem: str
) -> None:
    with pytest.raises(UserError, match=problem):
        add_user(
            console_app.engine,
            "new@console.example",
            role,
            password,
            clients=clients,
            known_clients=console_app.config.clients,
            now=NOW,
        )


def test_the_same_address_cannot_be_added_twice(console_app: App) -> None:
    with pytest.raises(UserError, match="already exists"):
        add_user(
            console_app.engine,
            "Acme@console.example",
            Role.OWNER,
            PASSWORD,
            clients=["acme"],
            known_clients=console_app.config.clients,
            now=NOW,
        )


def test_a_session_ends_after_its_maximum_age_and_after_being_idle(console_app: App) -> None:
    account = authenticate(console_app.engine, "acme@console.example", PASSWORD)
    assert account is not None
    signed = start_session(console_app.engine, account, now=NOW)
    assert resume_session(console_app.engine, signed.session_id, now=NOW) is not None
    assert resume_session(console_app.engine, signed.session_id, now=NOW + IDLE) is None
    busy = start_session(console_app.engine, account, now=NOW)
    moment = NOW
    while moment + timedelta(hours=1) < NOW + MAX_AGE:
        moment += timedelta(hours=1)
        assert resume_session(console_app.engine, busy.session_id, now=moment) is not None
    assert resume_session(console_app.engine, busy.session_id, now=NOW + MAX_AGE) is None


def test_only_a_hash_of_the_session_id_is_stored(console_app: App) -> None:
    account = authenticate(console_app.engine, "acme@console.example", PASSWORD)
    assert account is not None
    signed = start_session(console_app.engine, account, now=NOW)
    with session_scope(console_app.engine) as session:
        stored = [row.id_hash for row in session.exec(select(ConsoleSession)).all()]
    assert stored and signed.session_id not in stored


def test_a_password_reset_and_a_removal_end_the_users_sessions(console_app: App) -> None:
    account = authenticate(console_app.engine, "acme@console.example", PASSWORD)
    assert account is not None
    signed = start_session(console_app.engine, account, now=NOW)
    reset_password(console_app.engine, "acme@console.example", "another long password", now=NOW)
    assert resume_session(console_app.engine, signed.session_id, now=NOW) is None
    assert authenticate(console_app.engine, "acme@console.example", PASSWORD) is None
    assert authenticate(console_app.engine, "acme@console.example", "another long password")

    account = authenticate(console_app.engine, "bakker@console.example", PASSWORD)
    assert account is not None
    signed = start_session(console_app.engine, account, now=NOW)
    remove_user(console_app.engine, "bakker@console.example")
    assert resume_session(console_app.engine, signed.session_id, now=NOW) is None
    with pytest.raises(UserError, match="no console user"):
        remove_user(console_app.engine, "bakker@console.example")


def test_ended_sessions_are_deleted_not_kept(console_app: App) -> None:
    from connector.console.sessions import purge_expired

    account = authenticate(console_app.engine, "acme@console.example", PASSWORD)
    assert account is not None
    start_session(console_app.engine, account, now=NOW)
    live = start_session(console_app.engine, account, now=NOW + MAX_AGE)
    assert purge_expired(console_app.engine, now=NOW + MAX_AGE) == 1
    assert resume_session(console_app.engine, live.session_id, now=NOW + MAX_AGE) is not None

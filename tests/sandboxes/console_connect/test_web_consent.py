"""Connecting a client from the web console (issue #13): consent on the sandbox's page, the
callback on the console's own URL, state bound to the session and client and used once, tokens
stored as `dunning auth login` stores them; Zoho's data centre picked before consent, Exact's
division after it, both written into the client file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import yaml
from exact_world import DIVISION, ExactWorld, make_world
from sqlalchemy import Engine
from zoho_sandbox_harness import Zoho

from adapters.exact.platform import PLATFORM as EXACT
from adapters.zoho.platform import PLATFORM as ZOHO
from connector.auth.web import ConnectError, ConsentStates, Target
from connector.config import load_client
from connector.domain.clock import ManualClock
from connector.store.crypto import Cipher
from connector.store.tokens import TokenRepository
from sandboxes.exact.generate import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

CONSOLE = "https://console.example"
OTHER = 7654321
SESSION = "session-of-the-consultant"


def _consent(url: str) -> dict[str, str]:
    """What the browser brings back to the console: the consent page's redirect, followed up to
    the console's callback (the sandbox approves at once)."""
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["Location"]
    assert location.startswith(CONSOLE + "/oauth/callback/")
    return dict(parse_qsl(urlsplit(location).query))


# -- Zoho ---------------------------------------------------------------------------------------
@pytest.fixture
def zoho_target(
    zoho: Zoho, tmp_path: Path, sqlite_engine: Engine, cipher: Cipher
) -> Iterator[Target]:
    zoho.state.clients[zoho.info.client_id].redirect_uris.append(f"{CONSOLE}/oauth/callback/zoho")
    config = tmp_path / "config"
    (config / "clients").mkdir(parents=True)
    (config / "connector.yaml").write_text("timezone: Europe/Amsterdam\n")
    (config / "clients" / "acme.yaml").write_text(
        yaml.safe_dump(
            {
                "display_name": "Acme B.V.",
                "platform": "zoho",
                "zoho": {
                    "data_center": "eu",
                    "organization_id": zoho.org,
                    "client_id": zoho.info.client_id,
                    "client_secret": "${ACME_SECRET}",
                    "accounts_url": zoho.url,
                    "api_url": zoho.url,
                },
                "sender": {"name": "Acme", "email": "ar@acme.example"},
            }
        )
    )
    env = {"ACME_SECRET": zoho.info.client_secret}
    yield Target(
        "acme",
        load_client(config, "acme", env),
        TokenRepository(sqlite_engine, cipher),
        _clock(zoho),
        config,
        env,
    )


def _clock(zoho: Zoho) -> ManualClock:
    return ManualClock(zoho.clock.now())


def test_zoho_connects_through_the_consent_page_and_the_data_centre_goes_into_the_file(
    zoho_target: Target,
) -> None:
    states = ConsentStates()
    url = states.start(
        ZOHO,
        zoho_target,
        redirect_uri=f"{CONSOLE}/oauth/callback/zoho",
        binding=SESSION,
        before="com",
    )
    assert f"redirect_uri={CONSOLE.replace(':', '%3A').replace('/', '%2F')}" in url
    params = _consent(url)
    now = zoho_target.clock.now()
    pending = states.take(params["state"], binding=SESSION, platform="zoho", now=now)
    outcome = states.finish(ZOHO, pending, zoho_target, params)
    assert outcome.question is None
    assert outcome.changed == {"zoho.data_center": "com"}
    record = zoho_target.tokens.get("acme")
    assert record is not None and record.platform == "zoho" and record.state == "ok"
    client = load_client(zoho_target.config_dir, "acme", zoho_target.env)
    assert client.settings.data_center == "com"  # type: ignore[union-attr]


def test_a_state_is_used_once_by_the_session_that_started_it(zoho_target: Target) -> None:
    states = ConsentStates()
    redirect = f"{CONSOLE}/oauth/callback/zoho"
    url = states.start(ZOHO, zoho_target, redirect_uri=redirect, binding=SESSION)
    params = _consent(url)
    now = zoho_target.clock.now()
    with pytest.raises(ConnectError, match="does not belong to a connect started"):
        states.take(params["state"], binding="another-browser", platform="zoho", now=now)
    # refused, and spent all the same (fails closed): the real session starts again
    with pytest.raises(ConnectError):
        states.take(params["state"], binding=SESSION, platform="zoho", now=now)
    url = states.start(ZOHO, zoho_target, redirect_uri=redirect, binding=SESSION)
    params = _consent(url)
    with pytest.raises(ConnectError):
        states.take(params["state"], binding=SESSION, platform="exact", now=now)
    url = states.start(ZOHO, zoho_target, redirect_uri=redirect, binding=SESSION)
    params = _consent(url)
    states.take(params["state"], binding=SESSION, platform="zoho", now=now)
    with pytest.raises(ConnectError, match="used already"):
        states.take(params["state"], binding=SESSION, platform="zoho", now=now)
    assert zoho_target.tokens.get("acme") is None


def test_a_state_expires(zoho_target: Target) -> None:
    from datetime import timedelta

    states = ConsentStates()
    url = states.start(
        ZOHO, zoho_target, redirect_uri=f"{CONSOLE}/oauth/callback/zoho", binding=SESSION
    )
    params = _consent(url)
    later = zoho_target.clock.now() + timedelta(minutes=11)
    with pytest.raises(ConnectError):
        states.take(params["state"], binding=SESSION, platform="zoho", now=later)


def test_a_denied_consent_stores_nothing(zoho_target: Target) -> None:
    states = ConsentStates()
    url = states.start(
        ZOHO, zoho_target, redirect_uri=f"{CONSOLE}/oauth/callback/zoho", binding=SESSION
    )
    params = _consent(url + "&sandbox_deny=1")
    pending = states.take(
        params["state"], binding=SESSION, platform="zoho", now=zoho_target.clock.now()
    )
    with pytest.raises(ConnectError, match="access was not granted"):
        states.finish(ZOHO, pending, zoho_target, params)
    assert zoho_target.tokens.get("acme") is None


def test_an_unknown_data_centre_is_refused(zoho_target: Target) -> None:
    with pytest.raises(ConnectError, match="choose a data centre"):
        ConsentStates().start(
            ZOHO, zoho_target, redirect_uri=f"{CONSOLE}/x", binding=SESSION, before="mars"
        )


# -- Exact --------------------------------------------------------------------------------------
@pytest.fixture
def exact(sqlite_engine: Engine, cipher: Cipher) -> Iterator[ExactWorld]:
    w = make_world(sqlite_engine, cipher, divisions=(DIVISION, OTHER))
    w.state.users[w.user_id].current_division = OTHER
    w.state.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [f"{CONSOLE}/oauth/callback/exact"])
    yield w
    w.server.stop()


def _exact_target(world: ExactWorld, tmp_path: Path, division: int | None) -> Target:
    config = tmp_path / "config"
    (config / "clients").mkdir(parents=True, exist_ok=True)
    (config / "connector.yaml").write_text("timezone: Europe/Amsterdam\n")
    section: dict[str, object] = {
        "base_url": world.server.url,
        "client_id": DEMO_CLIENT_ID,
        "client_secret": "${BETA_SECRET}",
    }
    if division is not None:
        section["division"] = division
    (config / "clients" / "beta.yaml").write_text(
        "# Beta's own notes stay\n"
        + yaml.safe_dump(
            {
                "display_name": "Beta B.V.",
                "platform": "exact",
                "exact": section,
                "mail": {"smtp_host": "127.0.0.1", "from": "ar@beta.example"},
                "sender": {"name": "Beta", "email": "ar@beta.example"},
            },
            sort_keys=False,
        )
    )
    env = {"BETA_SECRET": DEMO_CLIENT_SECRET}
    return Target("beta", load_client(config, "beta", env), world.tokens, world.clock, config, env)


def test_exact_asks_for_the_divisions_after_consent_and_writes_the_choice(
    exact: ExactWorld, tmp_path: Path
) -> None:
    target = _exact_target(exact, tmp_path, None)
    states = ConsentStates()
    url = states.start(
        EXACT, target, redirect_uri=f"{CONSOLE}/oauth/callback/exact", binding=SESSION
    )
    params = _consent(url)
    pending = states.take(params["state"], binding=SESSION, platform="exact", now=exact.clock.now())
    outcome = states.finish(EXACT, pending, target, params)
    assert outcome.question is not None and outcome.question.multiple
    assert [c.value for c in outcome.question.choices] == [str(DIVISION), str(OTHER)]
    assert not any(c.selected for c in outcome.question.choices)  # never Exact's last-opened
    last_opened = outcome.question.choices[1]
    assert last_opened.notes == ("last opened in Exact",)
    assert load_client(target.config_dir, "beta", target.env).settings.division_list == ()  # type: ignore[union-attr]

    with pytest.raises(ConnectError, match="not reachable"):
        states.choose(EXACT, target, SESSION, ["999"])
    with pytest.raises(ConnectError, match="no connect is waiting"):
        states.choose(EXACT, target, "another-browser", [str(OTHER)])
    done = states.choose(EXACT, target, SESSION, [str(OTHER)])
    assert done.changed == {"exact.division": OTHER, "exact.divisions": None}
    reloaded = load_client(target.config_dir, "beta", target.env)
    assert reloaded.settings.division_list == (OTHER,)  # type: ignore[union-attr]
    text = (target.config_dir / "clients" / "beta.yaml").read_text()
    assert text.startswith("# Beta's own notes stay\n")
    record = exact.tokens.get("beta")
    assert record is not None and record.extra["divisions"] == [OTHER]
    with pytest.raises(ConnectError, match="no connect is waiting"):
        states.choose(EXACT, target, SESSION, [str(OTHER)])


def test_exact_marks_the_divisions_of_the_client_file(exact: ExactWorld, tmp_path: Path) -> None:
    target = _exact_target(exact, tmp_path, DIVISION)
    states = ConsentStates()
    url = states.start(
        EXACT, target, redirect_uri=f"{CONSOLE}/oauth/callback/exact", binding=SESSION
    )
    params = _consent(url)
    pending = states.take(params["state"], binding=SESSION, platform="exact", now=exact.clock.now())
    outcome = states.finish(EXACT, pending, target, params)
    assert outcome.question is not None
    first = outcome.question.choices[0]
    assert first.selected and first.notes == ("in the client file",)
    both = states.choose(EXACT, target, SESSION, [str(DIVISION), str(OTHER)])
    assert both.changed == {"exact.division": None, "exact.divisions": [DIVISION, OTHER]}


def test_an_exact_client_without_a_division_does_not_run(exact: ExactWorld, tmp_path: Path) -> None:
    from adapters.exact.consent import require_divisions
    from connector.platforms.spec import ConnectionIncomplete

    target = _exact_target(exact, tmp_path, None)
    with pytest.raises(ConnectionIncomplete, match="choose it on the console's connect page"):
        require_divisions(target.client.settings)  # type: ignore[arg-type]

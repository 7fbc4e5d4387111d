"""Which policy a client uses for which customer profile, resolved from its configuration.

A client names a default `policy` and, optionally, one per profile (`policies: {consumer:
nl-b2c-wik}`). A name is looked up as:

1. a path ending in ``.yaml``/``.yml``: a file relative to the configuration directory;
2. ``<config dir>/policies/<name>.yaml`` when it exists (a consultant's own ladder, or a
   changed copy of a built-in under the same name);
3. a built-in policy shipped in the package (`connector.config.policy_builtin`).

Every problem is a `ConfigError` naming the file and key: the policy file's own key for a broken
ladder, the client file's ``policies.consumer`` for an unknown name or a consumer ladder that
would charge collection costs without a fourteen-day letter first.

Consumer law by default (issue #16): a client that names no consumer ladder does not hand its
consumers the business ladder. If the default ladder is fit for consumers it is used; otherwise
a Dutch client's consumers get the built-in ``nl-b2c-wik`` (fourteen-day letter before any
costs, art. 6:96 lid 6 BW), and any other client's consumers get the default ladder cut short
after its reminders (`reminders_only`): they are not dunned further, and an alert names them
(`connector.doctor.consumers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from connector.config.errors import ConfigError
from connector.config.models import ClientConfig
from connector.config.policy_builtin import BUILTIN
from connector.config.policy_schema import known_templates, load_policy_file
from connector.domain import CustomerProfile
from connector.policy.consumer import consumer_ladder_problem, reminders_only
from connector.policy.model import Policy, with_overrides

POLICIES_DIR = "policies"
#: the built-in consumer ladder a Dutch client's consumers get when none is configured
CONSUMER_LADDER_NL = "nl-b2c-wik"


@dataclass(frozen=True)
class ClientPolicies:
    """The default ladder and the ladders per profile of one client."""

    default: Policy
    by_profile: dict[CustomerProfile, Policy] = field(default_factory=dict)
    #: how the consumer ladder was chosen: "configured", "default" (the default ladder is fit
    #: for consumers), "nl-b2c-wik" (built-in for a Dutch client) or "reminders-only"
    consumer_source: str = "configured"

    def for_profile(self, profile: CustomerProfile) -> Policy:
        return self.by_profile.get(profile, self.default)

    def all(self) -> list[Policy]:
        seen: dict[str, Policy] = {self.default.name: self.default}
        for policy in self.by_profile.values():
            seen.setdefault(policy.name, policy)
        return list(seen.values())


def client_file(config_dir: Path, slug: str) -> Path:
    return Path(config_dir) / "clients" / f"{slug}.yaml"


def resolve_policy(
    name: str, config_dir: Path | None, *, templates: frozenset[str], where: tuple[Path, str]
) -> Policy:
    """One policy by name (see the module docstring); `where` is the (file, key) naming it."""
    if name.endswith((".yaml", ".yml")):
        if config_dir is None:
            raise ConfigError(where[0], where[1], f"policy file {name!r} needs a config directory")
        path = Path(config_dir) / name
        if not path.is_file():
            raise ConfigError(where[0], where[1], f"policy file {path} does not exist")
        return load_policy_file(path, templates=templates)
    if config_dir is not None:
        own = Path(config_dir) / POLICIES_DIR / f"{name}.yaml"
        if own.is_file():
            return load_policy_file(own, templates=templates, expect_name=name)
    if name in BUILTIN:
        return BUILTIN[name]
    raise ConfigError(
        where[0],
        where[1],
        f"unknown policy {name!r}; built-in: {', '.join(sorted(BUILTIN))} (or a file in "
        f"{POLICIES_DIR}/ or a .yaml path)",
    )


def resolve_client_policies(
    slug: str, client: ClientConfig, config_dir: Path | None
) -> ClientPolicies:
    """The client's ladders with its overrides applied.

    Raises:
        ConfigError: a policy that cannot be found or is invalid, or a ladder mapped to
            consumers that hands off (charges costs) without a fourteen-day letter before.
    """
    file = client_file(config_dir, slug) if config_dir is not None else Path(f"{slug}.yaml")
    template_dir = Path(config_dir) / "templates" / slug if config_dir is not None else None
    templates = known_templates(template_dir)
    overrides = client.policy_overrides
    set_keys = overrides.model_fields_set

    def load(name: str, key: str) -> Policy:
        policy = resolve_policy(name, config_dir, templates=templates, where=(file, key))
        return with_overrides(
            policy,
            min_balance=overrides.min_balance if "min_balance" in set_keys else None,
            thank_you=overrides.thank_you if "thank_you" in set_keys else None,
        )

    default = load(client.policy, "policy")
    by_profile = {
        CustomerProfile(profile): load(name, f"policies.{profile}")
        for profile, name in client.policies.items()
    }
    consumer = by_profile.get(CustomerProfile.CONSUMER)
    if consumer is not None:
        problem = consumer_ladder_problem(consumer)
        if problem:
            raise ConfigError(file, "policies.consumer", problem)
        return ClientPolicies(default, by_profile)
    if consumer_ladder_problem(default) is None:
        return ClientPolicies(default, by_profile, consumer_source="default")
    if is_dutch(client):
        by_profile[CustomerProfile.CONSUMER] = load(CONSUMER_LADDER_NL, "policies.consumer")
        return ClientPolicies(default, by_profile, consumer_source=CONSUMER_LADDER_NL)
    cut = reminders_only(default)
    if cut is None:
        raise ConfigError(
            file,
            "policies.consumer",
            f"policy {default.name} has no reminder step a consumer may receive and no consumer "
            "ladder is named: name one under policies.consumer",
        )
    by_profile[CustomerProfile.CONSUMER] = cut
    return ClientPolicies(default, by_profile, consumer_source="reminders-only")


def is_dutch(client: ClientConfig) -> bool:
    """A client under Dutch law: it writes Dutch or runs a Dutch (``nl-``) ladder."""
    return client.language == "nl" or client.policy.startswith("nl-")

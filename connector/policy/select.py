"""Which policy a client uses for which customer profile, resolved from its configuration.

A client names a default `policy` and, optionally, one per profile (`policies: {consumer:
nl-b2c-wik}`). A name is looked up as:

1. a path ending in ``.yaml``/``.yml``: a file relative to the configuration directory;
2. ``<config dir>/policies/<name>.yaml`` when it exists (a consultant's own ladder, or a
   changed copy of a built-in under the same name);
3. a built-in policy shipped in the package (`connector.policy.builtin`).

Every problem is a `ConfigError` naming the file and key: the policy file's own key for a broken
ladder, the client file's ``policies.consumer`` for an unknown name or a consumer ladder that
would charge collection costs without a fourteen-day letter first.

Consumer law by default (issue #16): a client that names no consumer ladder does not hand its
consumers the business ladder. If the default ladder is fit for consumers it is used; otherwise
a Dutch client's consumers get the built-in ``nl-b2c-wik`` (fourteen-day letter before any
costs, art. 6:96 lid 6 BW), and any other client's consumers get the default ladder cut short
after its reminders (`reminders_only`): they are not dunned further, and an alert names them
(`connector.consumers`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from connector.config.errors import ConfigError
from connector.config.models import ClientConfig
from connector.domain import ActionKind, CustomerProfile
from connector.policy.builtin import BUILTIN, with_overrides
from connector.policy.model import Policy
from connector.policy.schema import known_templates, load_policy_file

POLICIES_DIR = "policies"


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


#: the built-in consumer ladder a Dutch client's consumers get when none is configured
CONSUMER_LADDER_NL = "nl-b2c-wik"
#: steps a consumer may get without a fourteen-day letter: nothing that states a default,
#: interest or costs
REMINDER_KINDS = frozenset(
    {
        ActionKind.PRE_DUE_NOTICE,
        ActionKind.REMINDER,
        ActionKind.STATEMENT,
        ActionKind.FIRM_REMINDER,
        ActionKind.CALL_TASK,
    }
)
#: steps that state a default, interest or costs: for a consumer only after a fourteen-day
#: letter (art. 6:96 lid 6 BW)
AFTER_LETTER_KINDS = frozenset({ActionKind.NOTICE_OF_DEFAULT, ActionKind.HANDOFF})


def is_dutch(client: ClientConfig) -> bool:
    """A client under Dutch law: it writes Dutch or runs a Dutch (``nl-``) ladder."""
    return client.language == "nl" or client.policy.startswith("nl-")


def reminders_only(policy: Policy) -> Policy | None:
    """The ladder cut short after its reminders (no notice of default, letter or hand-off);
    None when nothing is left."""
    steps = tuple(s for s in policy.steps if s.kind in REMINDER_KINDS)
    if not steps:
        return None
    return dataclasses.replace(
        policy,
        name=f"{policy.name} (reminders only)",
        steps=steps,
        description=f"{policy.description}; consumers: reminders only, then an alert",
    )


def consumer_ladder_problem(policy: Policy) -> str | None:
    """Why a ladder is unfit for consumers, or None: a notice of default (which threatens
    interest and costs) or a hand-off (where collection costs are charged) must come after a
    fourteen-day letter (art. 6:96 lid 6 BW). Steps limited to other profiles do not count."""
    letter_seen = False
    for step in policy.steps:
        profiles = step.conditions.profiles
        if profiles and CustomerProfile.CONSUMER not in profiles:
            continue
        if step.kind is ActionKind.FOURTEEN_DAY_LETTER:
            letter_seen = True
        if step.kind in AFTER_LETTER_KINDS and not letter_seen:
            what = "hands off" if step.kind is ActionKind.HANDOFF else "sends a notice of default"
            return (
                f"policy {policy.name} {what} (step {step.id}) without a fourteen-day letter "
                "before it: consumers owe no collection costs then; use nl-b2c-wik or add a "
                "fourteen_day_letter step"
            )
    return None

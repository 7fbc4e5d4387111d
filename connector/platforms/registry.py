"""The installed platforms, found through package entry points.

A distribution declares its platform in its metadata::

    [project.entry-points."dunning_connector.platforms"]
    zoho = "adapters.zoho.platform:PLATFORM"

The entry point's name is the `platform:` value of a client file; its object is a
`connector.platforms.Platform` of that name. They are loaded once per process (`platforms`);
`refresh` forgets them (a test that installs a platform on ``sys.path``). A platform that fails
to load does not take the others down: a client file naming it gets the reason.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from connector.platforms.spec import Platform

log = logging.getLogger("connector.platforms")

GROUP = "dunning_connector.platforms"


class UnknownPlatform(LookupError):
    """No installed platform of that name; the message lists the known ones."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name


@dataclass(frozen=True)
class Installed:
    """The loaded platforms by name, and those that failed to load with the reason."""

    platforms: Mapping[str, Platform]
    broken: Mapping[str, str]


def load_platforms(found: Iterable[EntryPoint]) -> Installed:
    """Load each entry point; refuse objects that are not a `Platform` of the entry's name."""
    from connector.config.models import ClientConfig

    loaded: dict[str, Platform] = {}
    broken: dict[str, str] = {}
    for point in sorted(found, key=lambda p: p.name):
        if point.name in loaded or point.name in broken:
            broken[point.name] = f"declared twice ({point.value})"
            loaded.pop(point.name, None)
            continue
        try:
            platform = point.load()
        except Exception as exc:
            broken[point.name] = f"{point.value} cannot be loaded ({type(exc).__name__}: {exc})"
            log.error("platform %s: %s", point.name, broken[point.name])
            continue
        if not isinstance(platform, Platform) or platform.name != point.name:
            broken[point.name] = f"{point.value} is not the Platform named {point.name!r}"
        elif point.name in ClientConfig.model_fields or hasattr(ClientConfig, point.name):
            broken[point.name] = "its name is taken by a key or attribute of every client file"
        if point.name in broken:
            log.error("platform %s: %s", point.name, broken[point.name])
            continue
        loaded[point.name] = platform
    return Installed(loaded, broken)


@functools.cache
def installed() -> Installed:
    """The platforms of the installed distributions (cached)."""
    return load_platforms(entry_points(group=GROUP))


def platforms() -> Mapping[str, Platform]:
    """The installed platforms by name."""
    return installed().platforms


def refresh() -> None:
    """Forget the loaded platforms: the next look-up reads the entry points again."""
    installed.cache_clear()


def known_names() -> str:
    """``exact, zoho`` (for messages)."""
    return ", ".join(sorted(platforms())) or "none installed"


def get_platform(name: str) -> Platform:
    """The installed platform `name`.

    Raises:
        UnknownPlatform: none of that name (the message lists the known ones), or it is
            installed but failed to load (the message says why).
    """
    found = installed()
    if name in found.platforms:
        return found.platforms[name]
    if name in found.broken:
        raise UnknownPlatform(name, f"platform {name!r} is installed but {found.broken[name]}")
    raise UnknownPlatform(name, f"unknown platform {name!r} (known: {known_names()})")

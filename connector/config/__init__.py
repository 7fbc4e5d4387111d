"""Configuration: `connector.yaml` and `clients/<slug>.yaml`, validated, with located errors.

See `connector.config.loader` for the directory layout, environment references and the rules for
disabled clients, and `connector.config.sample` for the files `dunning init` writes.
"""

from __future__ import annotations

from connector.config.errors import ConfigError
from connector.config.loader import (
    LoadedConfig,
    client_slugs,
    load_client,
    load_config,
    load_connector,
    resolve_config_dir,
    resolve_sqlite_url,
)
from connector.config.models import (
    AlertSettings,
    ClientConfig,
    ConnectorConfig,
    CustomerOverride,
    HolidaySettings,
    HttpSettings,
    PolicyOverrides,
    ScheduleSettings,
    Sender,
    SmtpSettings,
)

__all__ = [
    "AlertSettings",
    "ClientConfig",
    "ConfigError",
    "ConnectorConfig",
    "CustomerOverride",
    "HolidaySettings",
    "HttpSettings",
    "LoadedConfig",
    "PolicyOverrides",
    "ScheduleSettings",
    "Sender",
    "SmtpSettings",
    "client_slugs",
    "load_client",
    "load_config",
    "load_connector",
    "resolve_config_dir",
    "resolve_sqlite_url",
]

"""Settings the OAuth domain reads, built from the configuration JSON the host sends.

The host sends Mattermost's configuration (only `ServiceSettings` is read here) and the plugin's own settings
from `PluginSettings.Plugins[<id>]`. Mattermost stores plugin setting keys lower-cased, so plugin keys are
looked up case-insensitively. Missing, null or ill-typed values fall back to the defaults.

Every value, its key, kind and default is declared once, in `table.py`; the `Settings` fields and
`Settings.from_config` are built from it. `python -m plugin.oauth.settings` prints plugin.json's settings_schema.
"""
from __future__ import annotations

from dataclasses import dataclass

from .table import PLUGIN_SETTINGS, SERVICE_SETTINGS, ConfigValue, PluginSetting, manifest_schema

__all__ = ["PLUGIN_SETTINGS", "SERVICE_SETTINGS", "ConfigValue", "PluginSetting", "Settings", "manifest_schema"]

# The values that are Settings fields, in field order: ServiceSettings first, then the plugin's own.
_FIELDS: tuple[ConfigValue, ...] = tuple(v for v in SERVICE_SETTINGS + PLUGIN_SETTINGS if v.attr)


def _fields_from_table(cls: type) -> type:
    """A frozen dataclass with one field per row of the table, its type from the row's kind and its default."""
    annotations = dict(cls.__dict__.get("__annotations__", {}))
    for value in _FIELDS:
        annotations[value.attr] = value.kind.annotation
        setattr(cls, value.attr, value.default)
    cls.__annotations__ = annotations
    return dataclass(frozen=True)(cls)


@_fields_from_table
class Settings:
    """One field per row of the table (e.g. `enable_implicit_grant`, `refresh_grace_seconds`, `site_url`)."""

    @classmethod
    def from_config(cls, config: dict | None, plugin_settings: dict | None = None) -> "Settings":
        config = config if isinstance(config, dict) else {}
        service = config.get("ServiceSettings")
        service = service if isinstance(service, dict) else {}
        plugin = {
            str(key).lower(): value
            for key, value in (plugin_settings if isinstance(plugin_settings, dict) else {}).items()
        }
        values = {v.attr: v.parse(service.get(v.key)) for v in SERVICE_SETTINGS if v.attr}
        values.update({s.attr: s.parse(plugin.get(s.config_key)) for s in PLUGIN_SETTINGS if s.attr})
        return cls(**values)

    @property
    def access_token_lifetime_seconds(self) -> int:
        """Access tokens live as long as Mattermost's SSO sessions (`SessionLengthSSOInHours`)."""
        return self.session_length_sso_in_hours * 3600

    @property
    def refresh_token_idle_ms(self) -> int:
        """A refresh token expires when unused this long. Every refresh issues a new one with a new window, so a
        client in regular use keeps its grant, and an abandoned refresh token dies (RFC 9700 §4.14.2).
        Mattermost's refresh tokens never expire."""
        return self.refresh_idle_timeout_hours * 3_600_000

    @property
    def refresh_absolute_ms(self) -> int:
        """No refresh token of a grant outlives the grant's creation by more than this."""
        return self.refresh_absolute_lifetime_hours * 3_600_000

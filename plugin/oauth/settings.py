"""Settings the OAuth domain reads, built from the configuration JSON the host sends.

The host sends Mattermost's configuration (only `ServiceSettings` is read here) and the plugin's own settings
from `PluginSettings.Plugins[<id>]`. Mattermost stores plugin setting keys lower-cased, so plugin keys are
looked up case-insensitively. Missing, null or ill-typed values fall back to Mattermost's defaults.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_SESSION_LENGTH_SSO_IN_HOURS = 720


def _as_bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return default


def _as_positive_int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if value > 0 else default
    if isinstance(value, float) and value.is_integer():
        return int(value) if value > 0 else default
    if isinstance(value, str):
        try:
            parsed = int(value.strip())
        except ValueError:
            return default
        return parsed if parsed > 0 else default
    return default


def _as_count(value: Any, default: int) -> int:
    """A whole number >= 0 (0 switches the thing off); anything else is the default."""
    if value == 0 and not isinstance(value, bool):
        return 0
    if isinstance(value, str) and value.strip() == "0":
        return 0
    return _as_positive_int(value, default)


def _as_str(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _as_str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(item for item in value if isinstance(item, str))


@dataclass(frozen=True)
class Settings:
    site_url: str = ""
    enable_oauth_service_provider: bool = True
    session_length_sso_in_hours: int = DEFAULT_SESSION_LENGTH_SSO_IN_HOURS
    enable_dynamic_client_registration: bool = False
    dcr_redirect_uri_allowlist: tuple[str, ...] = ()
    # Plugin setting. The implicit grant is off unless an admin turns it on (RFC 9700 §2.1.2: SHOULD NOT).
    enable_implicit_grant: bool = False
    # Plugin settings for refresh tokens: reuse of a rotated one within the grace window gets the same successor;
    # a refresh token dies when unused for the idle timeout, and its grant at the absolute lifetime.
    refresh_grace_seconds: int = 30
    refresh_idle_timeout_hours: int = 1440
    refresh_absolute_lifetime_hours: int = 8760
    # Plugin settings: requests per minute to the token, revocation, introspection and registration endpoints
    # (0: no limit), and what a failed client authentication counts for.
    rate_limit_per_client_per_minute: int = 600
    rate_limit_per_address_per_minute: int = 1200
    rate_limit_failure_cost: int = 5
    # Plugin settings for housekeeping: how often expired rows are removed, and how long audit events are kept.
    cleanup_interval_seconds: int = 300
    audit_retention_days: int = 90

    @classmethod
    def from_config(cls, config: dict | None, plugin_settings: dict | None = None) -> "Settings":
        config = config if isinstance(config, dict) else {}
        service = config.get("ServiceSettings")
        service = service if isinstance(service, dict) else {}
        plugin = {
            str(key).lower(): value
            for key, value in (plugin_settings if isinstance(plugin_settings, dict) else {}).items()
        }
        return cls(
            site_url=_as_str(service.get("SiteURL")),
            enable_oauth_service_provider=_as_bool(service.get("EnableOAuthServiceProvider"), True),
            session_length_sso_in_hours=_as_positive_int(
                service.get("SessionLengthSSOInHours"), DEFAULT_SESSION_LENGTH_SSO_IN_HOURS
            ),
            enable_dynamic_client_registration=_as_bool(service.get("EnableDynamicClientRegistration"), False),
            dcr_redirect_uri_allowlist=_as_str_list(service.get("DCRRedirectURIAllowlist")),
            enable_implicit_grant=_as_bool(plugin.get("enableimplicitgrant"), False),
            refresh_grace_seconds=_as_count(plugin.get("refreshtokengraceperiodseconds"), 30),
            refresh_idle_timeout_hours=_as_positive_int(plugin.get("refreshtokenidletimeouthours"), 1440),
            refresh_absolute_lifetime_hours=_as_positive_int(plugin.get("refreshtokenabsolutelifetimehours"), 8760),
            rate_limit_per_client_per_minute=_as_count(plugin.get("ratelimitperclientperminute"), 600),
            rate_limit_per_address_per_minute=_as_count(plugin.get("ratelimitperaddressperminute"), 1200),
            rate_limit_failure_cost=_as_positive_int(plugin.get("ratelimitfailurecost"), 5),
            cleanup_interval_seconds=_as_positive_int(plugin.get("cleanupintervalseconds"), 300),
            audit_retention_days=_as_positive_int(plugin.get("auditretentiondays"), 90),
        )

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

"""Settings from the host's configuration JSON."""
from __future__ import annotations

import pytest

from plugin.oauth.settings import PLUGIN_SETTINGS, Settings


def test_defaults_follow_mattermost():
    s = Settings.from_config({}, {})
    assert s == Settings()
    assert s.enable_oauth_service_provider is True
    assert s.session_length_sso_in_hours == 720
    assert s.enable_dynamic_client_registration is False
    assert s.dcr_redirect_uri_allowlist == ()
    assert s.enable_implicit_grant is False  # RFC 9700: implicit is off unless an admin turns it on


def test_values_are_read_from_service_settings_and_plugin_settings():
    config = {
        "ServiceSettings": {
            "SiteURL": "https://mm.example.com",
            "EnableOAuthServiceProvider": False,
            "SessionLengthSSOInHours": 24,
            "EnableDynamicClientRegistration": True,
            "DCRRedirectURIAllowlist": ["https://a.com/**", 5],
        },
        "TeamSettings": {"SiteName": "ignored"},
    }
    s = Settings.from_config(config, {"enableimplicitgrant": "true"})
    assert s == Settings(
        site_url="https://mm.example.com",
        enable_oauth_service_provider=False,
        session_length_sso_in_hours=24,
        enable_dynamic_client_registration=True,
        dcr_redirect_uri_allowlist=("https://a.com/**",),
        enable_implicit_grant=True,
    )


def test_plugin_setting_keys_are_case_insensitive():
    assert Settings.from_config({}, {"EnableImplicitGrant": True}).enable_implicit_grant is True


def test_null_and_ill_typed_values_fall_back_to_defaults():
    config = {"ServiceSettings": {"SiteURL": None, "EnableOAuthServiceProvider": "maybe",
                                  "SessionLengthSSOInHours": -5, "EnableDynamicClientRegistration": None,
                                  "DCRRedirectURIAllowlist": "https://a.com/**"}}
    assert Settings.from_config(config, None) == Settings()
    assert Settings.from_config(None, None) == Settings()
    assert Settings.from_config({"ServiceSettings": {"SessionLengthSSOInHours": "48"}}, {}).session_length_sso_in_hours == 48


def test_token_lifetimes_derive_from_session_length():
    s = Settings(session_length_sso_in_hours=10)
    assert s.access_token_lifetime_seconds == 36_000
    assert s.refresh_token_idle_ms == 1440 * 3_600_000, "the idle timeout is its own setting (60 days)"


@pytest.mark.parametrize("key, value, expected", [
    # a count: 0 switches the thing off; negatives, fractions, bools and junk are the default
    ("RefreshTokenGracePeriodSeconds", 0, 0), ("RefreshTokenGracePeriodSeconds", "0", 0),
    ("RefreshTokenGracePeriodSeconds", " 0 ", 0), ("RefreshTokenGracePeriodSeconds", 0.0, 0),
    ("RefreshTokenGracePeriodSeconds", 12.0, 12), ("RefreshTokenGracePeriodSeconds", " 12 ", 12),
    ("RefreshTokenGracePeriodSeconds", -1, 30), ("RefreshTokenGracePeriodSeconds", 1.5, 30),
    ("RefreshTokenGracePeriodSeconds", False, 30), ("RefreshTokenGracePeriodSeconds", None, 30),
    ("RateLimitPerClientPerMinute", "0", 0), ("RateLimitPerAddressPerMinute", 0, 0),
    # a positive int: 0 is the default too
    ("RateLimitFailureCost", 0, 5), ("RateLimitFailureCost", "0", 5), ("RateLimitFailureCost", True, 5),
    ("RateLimitFailureCost", "x", 5), ("RateLimitFailureCost", "7", 7), ("CleanupIntervalSeconds", 60.0, 60),
    # a bool: true/false or their strings in any case
    ("EnableImplicitGrant", " TRUE ", True), ("EnableImplicitGrant", 1, False), ("EnableImplicitGrant", "yes", False),
])
def test_plugin_values_parse_by_their_kind(key, value, expected):
    attr = next(row.attr for row in PLUGIN_SETTINGS if row.key == key)
    parsed = getattr(Settings.from_config({}, {key.lower(): value}), attr)
    assert parsed == expected and type(parsed) is type(expected)


def test_settings_that_are_read_elsewhere_are_no_fields():
    """DriverName and DataSource are read by plugin.rpc.runtime.open_store when the plugin activates."""
    s = Settings.from_config({}, {"drivername": "postgres", "datasource": "postgres://u:pw@db/oauth"})
    assert s == Settings() and "postgres" not in repr(s)

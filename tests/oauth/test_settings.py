"""Settings from the host's configuration JSON."""
from __future__ import annotations

from plugin.oauth.settings import Settings


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

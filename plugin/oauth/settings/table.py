"""The one table of settings: every value the plugin reads from Mattermost's configuration, with its default.

`PLUGIN_SETTINGS` is the plugin's own settings, in the order of plugin.json's `settings_schema.settings`, with
all the manifest says of each; `manifest_schema()` builds that section (`python -m plugin.oauth.settings` prints
it) and tests/oauth/test_settings_table.py fails when plugin.json disagrees. `SERVICE_SETTINGS` is what is read
from Mattermost's `ServiceSettings`. The `Settings` object and its parsing are built from both (`__init__.py`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .kinds import BOOL, COUNT, DROPDOWN, POSITIVE_INT, STR_LIST, TEXT, Kind

HEADER = (
    "OAuth 2.0 service provider settings. The master switch, the token lifetime and dynamic client registration "
    "are in **System Console > Integrations > Integration Management** (ServiceSettings)."
)
FOOTER = "Secrets, codes and tokens are stored only as SHA-256 hashes."


@dataclass(frozen=True)
class ConfigValue:
    """A value of Mattermost's configuration: `key` as Mattermost spells it, `attr` the Settings attribute it
    fills (None: not a Settings field, read where the comment of its row says)."""

    key: str
    attr: str | None
    kind: Kind
    default: Any

    def parse(self, value: Any) -> Any:
        return self.kind.parse(value, self.default)


@dataclass(frozen=True)
class Option:
    display_name: str
    value: str


@dataclass(frozen=True)
class PluginSetting(ConfigValue):
    """A setting of plugin.json's settings_schema, with what the admin's settings page shows of it. The help
    text is written as a wrapped paragraph: its white space is folded to single spaces."""

    display_name: str = ""
    help_text: str = ""
    placeholder: str = ""
    options: tuple[Option, ...] = ()
    secret: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "help_text", " ".join(self.help_text.split()))

    @property
    def config_key(self) -> str:
        """The key in the plugin's configuration: Mattermost lower-cases plugin setting keys."""
        return self.key.lower()

    def manifest(self) -> dict:
        """This setting as an entry of plugin.json's `settings_schema.settings` (empty extras left out)."""
        entry: dict[str, Any] = {"key": self.key, "display_name": self.display_name, "type": self.kind.manifest_type,
                                 "help_text": self.help_text}
        if self.placeholder:
            entry["placeholder"] = self.placeholder
        entry["default"] = self.default
        if self.options:
            entry["options"] = [{"display_name": o.display_name, "value": o.value} for o in self.options]
        if self.secret:
            entry["secret"] = True
        return entry


# Mattermost's ServiceSettings, with Mattermost's defaults.
SERVICE_SETTINGS: tuple[ConfigValue, ...] = (
    ConfigValue("SiteURL", "site_url", TEXT, ""),
    ConfigValue("EnableOAuthServiceProvider", "enable_oauth_service_provider", BOOL, True),
    # Access tokens live as long as SSO sessions (Settings.access_token_lifetime_seconds).
    ConfigValue("SessionLengthSSOInHours", "session_length_sso_in_hours", POSITIVE_INT, 720),
    ConfigValue("EnableDynamicClientRegistration", "enable_dynamic_client_registration", BOOL, False),
    ConfigValue("DCRRedirectURIAllowlist", "dcr_redirect_uri_allowlist", STR_LIST, ()),
)

# The database: read by plugin.rpc.runtime.open_store when the plugin activates, not by the domain.
DRIVER_NAME = PluginSetting(
    "DriverName", None, DROPDOWN, "sqlite",
    display_name="Database driver", help_text="""
        Where the provider keeps apps, consents, codes and tokens: an embedded SQLite file, or PostgreSQL shared by
        several nodes.
    """,
    options=(Option("SQLite (embedded)", "sqlite"), Option("PostgreSQL", "postgres")),
)
DATA_SOURCE = PluginSetting(
    "DataSource", None, TEXT, "",
    display_name="Data source", help_text="""
        SQLite: the database file (empty: `plugins/oauth-provider/oauth.db` under the server's file directory).
        PostgreSQL: a connection string such as `postgres://user:password@host:5432/db`.
    """,
    placeholder="postgres://mmuser:password@localhost:5432/oauth",
    secret=True,
)

PLUGIN_SETTINGS: tuple[PluginSetting, ...] = (
    DRIVER_NAME,
    DATA_SOURCE,
    # The implicit grant is off unless an admin turns it on (RFC 9700 §2.1.2: SHOULD NOT).
    PluginSetting(
        "EnableImplicitGrant", "enable_implicit_grant", BOOL, False,
        display_name="Enable the implicit grant", help_text="""
            Allow `response_type=token`. Off by default: RFC 9700 advises against the implicit grant because it exposes
            access tokens in the browser. Use the authorization code grant with PKCE instead.
        """,
    ),
    # The device authorization grant (RFC 8628, plugin/oauth/grants/device_code.py): off unless an admin turns it
    # on, and then only for the apps allowed to use it.
    PluginSetting(
        "EnableDeviceGrant", "enable_device_grant", BOOL, False,
        display_name="Enable device sign-in", help_text="""
            Let apps allowed to use it sign users in with a code typed on another device (RFC 8628: command-line
            tools, TVs). The device shows a short code; the user enters it at /oauth/device and approves the app.
        """,
    ),
    PluginSetting(
        "DeviceCodeLifetimeSeconds", "device_code_lifetime_seconds", POSITIVE_INT, 600,
        display_name="Device code lifetime (seconds)", help_text="""
            How long a user has to enter a device's code before the device must ask for a new one.
        """,
    ),
    PluginSetting(
        "DevicePollIntervalSeconds", "device_poll_interval_seconds", POSITIVE_INT, 5,
        display_name="Device polling interval (seconds)", help_text="""
            How long a device waits between two polls of the token endpoint. A device that polls sooner is told to
            slow down, and its interval grows by 5 seconds.
        """,
    ),
    PluginSetting(
        "DeviceUserCodeAttemptsPerMinute", "device_user_code_attempts_per_minute", COUNT, 10,
        display_name="Device code attempts per minute", help_text="""
            How many codes one address, and one signed-in session, may enter on the device sign-in page per minute;
            more are refused until the minute is over, so that codes cannot be guessed. 0 means no limit.
        """,
    ),
    # Pushed authorization requests (RFC 9126, plugin/oauth/rfc9126.py).
    PluginSetting(
        "RequirePushedAuthorizationRequests", "require_pushed_authorization_requests", BOOL, False,
        display_name="Require pushed authorization requests", help_text="""
            Accept authorization requests only by reference to parameters the app pushed to `/oauth/par` first (RFC
            9126), so that nothing in the browser's address bar can alter them. An app's own setting can require this
            for that app alone.
        """,
    ),
    PluginSetting(
        "PushedRequestLifetimeSeconds", "pushed_request_lifetime_seconds", POSITIVE_INT, 90,
        display_name="Pushed request lifetime (seconds)", help_text="""
            How long a pushed request's `request_uri` may be used to start an authorization. Once the user's browser
            opens it, it lasts as long as a consent page (10 minutes), and it is used once.
        """,
    ),
    # OpenID Connect (plugin/oauth/oidc/): how ID tokens are signed and how long they live, and the signing keys.
    PluginSetting(
        "OpenIDSigningAlgorithm", "openid_signing_algorithm", DROPDOWN, "RS256",
        display_name="ID token signing algorithm", help_text="""
            The algorithm ID tokens are signed with. RS256 is the one every OpenID Connect relying party accepts;
            ES256 gives shorter tokens and faster signing. Keys of both are published, so changing this does not
            invalidate ID tokens already issued.
        """,
        options=(Option("RS256 (RSA 2048, every relying party)", "RS256"), Option("ES256 (ECDSA P-256)", "ES256")),
    ),
    PluginSetting(
        "IDTokenLifetimeSeconds", "id_token_lifetime_seconds", POSITIVE_INT, 3600,
        display_name="ID token lifetime (seconds)", help_text="""
            How long an ID token is valid (its `exp`). A retired signing key stays published for this long after its
            last use, so that every ID token it signed can still be verified.
        """,
    ),
    PluginSetting(
        "SigningKeyRotationDays", "signing_key_rotation_days", COUNT, 90,
        display_name="Signing key rotation (days)", help_text="""
            A new signing key replaces the current one when it is this many days old; the old key stays published
            until the ID tokens it signed have expired. 0 rotates only when an admin asks
            (`POST /api/v4/oauth/signing_keys/rotate`).
        """,
    ),
    PluginSetting(
        "SigningKeyEncryptionKey", "signing_key_encryption_key", TEXT, "",
        display_name="Signing key encryption key", help_text="""
            The secret the private signing keys are encrypted with in the database (at least 32 characters; a random
            one: `openssl rand -base64 32`). Empty: the plugin generates one into `plugins/oauth-provider/signing.key`
            under the server's file directory, readable only by the server's user. Several nodes sharing a PostgreSQL
            database must use the same key: set it here, or copy that file to every node. Changing it makes the keys
            already stored unusable for signing: rotate the signing keys afterwards.
        """,
        secret=True,
    ),
    # DPoP (RFC 9449, plugin/oauth/rfc9449.py): how old a proof may be, and whether proofs must carry a nonce.
    PluginSetting(
        "DPoPProofWindowSeconds", "dpop_proof_window_seconds", POSITIVE_INT, 60,
        display_name="DPoP proof window (seconds)", help_text="""
            A DPoP proof is accepted when its `iat` is at most this many seconds before or after the server's clock.
            Each proof's `jti` is remembered (in the database, so every node knows it) for twice this long, and a
            proof presented again is refused.
        """,
    ),
    PluginSetting(
        "DPoPRequireNonce", "dpop_require_nonce", BOOL, False,
        display_name="Require DPoP nonces", help_text="""
            Make every DPoP proof carry a nonce the server gave out (the `DPoP-Nonce` header, RFC 9449 section 8):
            a proof without a current one is refused with `use_dpop_nonce` and the nonce to use. This limits proofs
            made in advance by a client whose key was stolen, at the cost of one more round trip now and then.
        """,
    ),
    # Refresh tokens: reuse of a rotated one within the grace window gets the same successor; a refresh token
    # dies when unused for the idle timeout, and its grant at the absolute lifetime.
    PluginSetting(
        "RefreshTokenGracePeriodSeconds", "refresh_grace_seconds", COUNT, 30,
        display_name="Refresh token grace period (seconds)", help_text="""
            A rotated refresh token presented again within this many seconds gets the same new tokens again, so that two
            browser tabs refreshing at once do not sign the user out. After it, reuse revokes every token of the grant.
            0 turns the grace period off.
        """,
    ),
    PluginSetting(
        "RefreshTokenIdleTimeoutHours", "refresh_idle_timeout_hours", POSITIVE_INT, 1440,
        display_name="Refresh token idle timeout (hours)", help_text="""
            A refresh token that is not used for this long expires.
        """,
    ),
    PluginSetting(
        "RefreshTokenAbsoluteLifetimeHours", "refresh_absolute_lifetime_hours", POSITIVE_INT, 8760,
        display_name="Refresh token absolute lifetime (hours)", help_text="""
            No refresh token outlives the user's authorization by more than this, however often it is used; the user
            then signs in to the app again.
        """,
    ),
    # Requests per minute to the token, revocation, introspection and registration endpoints (0: no limit), and
    # what a failed client authentication counts for.
    PluginSetting(
        "RateLimitPerClientPerMinute", "rate_limit_per_client_per_minute", COUNT, 600,
        display_name="Rate limit per client (requests per minute)", help_text="""
            Requests per minute one client may make to the token, revocation and introspection endpoints; only requests
            in which the client authenticates count, so nobody else can use up its budget. 0 means no limit.
        """,
    ),
    PluginSetting(
        "RateLimitPerAddressPerMinute", "rate_limit_per_address_per_minute", COUNT, 1200,
        display_name="Rate limit per address (requests per minute)", help_text="""
            Requests per minute one remote address may make to the token, revocation, introspection and registration
            endpoints. 0 means no limit.
        """,
    ),
    PluginSetting(
        "RateLimitFailureCost", "rate_limit_failure_cost", POSITIVE_INT, 5,
        display_name="Cost of a failed client authentication", help_text="""
            How many requests a failed client authentication counts for in its address's rate limit, to slow down secret
            guessing.
        """,
    ),
    # Housekeeping: how often expired rows are removed, and how long audit events are kept.
    PluginSetting(
        "CleanupIntervalSeconds", "cleanup_interval_seconds", POSITIVE_INT, 300,
        display_name="Cleanup interval (seconds)", help_text="""
            How often expired codes, tokens and audit events are removed.
        """,
    ),
    PluginSetting(
        "AuditRetentionDays", "audit_retention_days", POSITIVE_INT, 90,
        display_name="Audit retention (days)", help_text="""
            How long audit events are kept.
        """,
    ),
)


def manifest_schema() -> dict:
    """plugin.json's `settings_schema`, from the table."""
    return {"header": HEADER, "footer": FOOTER, "settings": [s.manifest() for s in PLUGIN_SETTINGS]}

"""Rows the store keeps. Plain data: the OAuth rules that produce them live in plugin.oauth.

Secrets, codes and tokens never appear here in clear: every `*_hash` field is the hex SHA-256 of the value
that was handed out once. Timestamps are Unix milliseconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class AppRecord:
    id: str
    creator_id: str
    create_at: int
    update_at: int
    name: str
    description: str = ""
    icon_url: str = ""
    homepage: str = ""
    callback_urls: list[str] = field(default_factory=list)
    is_trusted: bool = False
    mattermost_app_id: str = ""
    is_dynamically_registered: bool = False
    # "" for a public client (no secret); otherwise the SHA-256 of the secret.
    client_secret_hash: str = ""
    # The scopes the app may ask for; empty when its registration restricts nothing (plugin/oauth/scopes.py).
    allowed_scopes: list[str] = field(default_factory=list)
    # OpenID Connect: where RP-initiated logout may send the browser back to, and whether OpenID is refused.
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    openid_disabled: bool = False
    # RFC 8628: whether the app may use the device authorization grant.
    device_grant_allowed: bool = False
    # RFC 9126: the app's authorization requests must be pushed.
    require_pushed_authorization_requests: bool = False
    # DPoP (RFC 9449): every token request of the app must carry a proof.
    require_dpop: bool = False


@dataclass
class ConsentRecord:
    """A user's remembered consent for an app (Mattermost keeps it as an `oauth_app` preference)."""
    user_id: str
    client_id: str
    scope: str
    create_at: int


@dataclass
class CodeRecord:
    code_hash: str
    client_id: str
    user_id: str
    redirect_uri: str
    state: str
    scope: str
    create_at: int
    expires_in: int  # seconds
    code_challenge: str = ""
    code_challenge_method: str = ""
    resource: str = ""
    # Set once, atomically, when the code is consumed (successfully or burnt by a failed exchange).
    used_at: int | None = None
    # The grant its exchange created, so that a replay can revoke what it issued.
    grant_id: str = ""
    # DPoP: the thumbprint (RFC 7638) of the key its exchange must prove (`dpop_jkt`); "" when unbound.
    dpop_jkt: str = ""


@dataclass
class GrantRecord:
    """One authorization of one app by one user: the family every token descends from."""
    id: str
    client_id: str
    user_id: str
    scope: str
    audience: str
    redirect_uri: str
    create_at: int
    # The code this grant was created from ("" for implicit grants).
    code_hash: str = ""


@dataclass
class AccessTokenRecord:
    token_hash: str
    grant_id: str
    client_id: str
    user_id: str
    scope: str
    audience: str
    create_at: int
    expires_at: int
    # DPoP: the thumbprint of the key each request with it must prove; "" for a bearer token.
    dpop_jkt: str = ""


@dataclass
class RefreshTokenRecord:
    token_hash: str
    grant_id: str
    client_id: str
    user_id: str
    scope: str
    audience: str
    create_at: int
    expires_at: int  # absolute lifetime; 0 means no absolute limit
    last_used_at: int
    # The access token issued together with this refresh token (revoked when this one is rotated).
    access_token_hash: str = ""
    # Set once, atomically, when this refresh token is exchanged for a successor.
    rotated_at: int | None = None
    successor_hash: str = ""
    # The successor's tokens sealed with this token (see 0002), kept only for the grace window.
    successor_sealed: str = ""
    # DPoP: the key a refresh with it must prove (a public client's; plugin/oauth/policy.py); "" when unbound.
    dpop_jkt: str = ""


@dataclass
class AuditRecord:
    id: str
    create_at: int
    type: str
    user_id: str = ""
    client_id: str = ""
    grant_id: str = ""
    remote_addr: str = ""
    detail: str = "{}"  # JSON object


@dataclass
class SigningKeyRecord:
    """A key the provider signs ID tokens with (OpenID Connect), its private half sealed under the
    key-encryption key `kek_id` names."""
    kid: str
    alg: str
    public_jwk: str  # JSON object, as published in the JWKS
    private_sealed: str
    kek_id: str
    create_at: int
    retired_at: int = 0  # when it stopped signing; 0 while it is its algorithm's current key
    remove_at: int = 0  # when it leaves the JWKS; 0 while it signs


@dataclass
class AuthenticationRecord:
    """The authentication behind an authorization code (OpenID Connect): read when the code's grant gets an ID
    token, at the exchange and at every refresh."""
    code_hash: str
    client_id: str
    user_id: str
    nonce: str
    auth_time: int  # Unix ms: when the user signed in
    sid: str
    expires_at: int


# The states of a device authorization request (RFC 8628): pending until the user decides on the verification
# page, then approved or denied; approved becomes redeemed when the device gets its tokens.
DEVICE_PENDING = "pending"
DEVICE_APPROVED = "approved"
DEVICE_DENIED = "denied"
DEVICE_REDEEMED = "redeemed"


@dataclass
class DeviceCodeRecord:
    """A device authorization request (RFC 8628 section 3.2): the device code and the user code, as hashes."""
    device_code_hash: str
    user_code_hash: str
    client_id: str
    user_id: str  # "" until a user approves or denies
    scope: str  # asked for; once approved, what the user granted
    resource: str
    status: str
    create_at: int
    expires_at: int
    poll_interval: int  # seconds; slow_down adds to it
    last_polled_at: int = 0
    slow_down: bool = False  # the last poll came too soon
    decided_at: int = 0
    grant_id: str = ""  # the grant its redemption created


@dataclass
class PushedRequestRecord:
    """A pushed authorization request (RFC 9126): the parameters as pushed, under the SHA-256 of its request_uri.
    `user_id` is the user whose browser started it at the authorization endpoint ("" until then)."""
    request_hash: str
    client_id: str
    params: dict[str, str]
    create_at: int
    expires_at: int  # Unix ms
    user_id: str = ""
    consumed_at: int | None = None

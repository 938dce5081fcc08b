"""OAuth apps (clients): the JSON shape and Mattermost's OAuthApp.IsValid.

`App` has Mattermost's JSON field names. Its `client_secret` holds the secret in clear only in the results of
create and regenerate-secret (the only moments it exists in clear: the store keeps its SHA-256); everywhere else
it is "". Because of that, `is_public` is carried explicitly (Mattermost derives it from an empty secret) and is
added to the JSON; clients that do not know the field ignore it. So is `allowed_scopes`, the scopes the app may
ask for (empty: its registration restricts nothing; plugin/oauth/scopes.py).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from plugin.store.records import AppRecord

from ..errors import AppError, app_error
from ..ids import is_valid_id
from ..policy import redirect_uri_registered
from ..rfc7591 import is_valid_dcr_redirect_uri
from ..scopes import validate_allowed
from ..urls import go_len, is_valid_http_url

NAME_MAX = 64  # bytes
DESCRIPTION_MAX = 512  # characters (runes)
CLIENT_SECRET_MAX = 128
ICON_URL_MAX = 512
HOMEPAGE_MAX = 256
CALLBACKS_RENDERED_MAX = 1024
MATTERMOST_APP_ID_MAX = 32


@dataclass
class AppRequest:
    """The body of POST /api/v4/oauth/apps. Other fields (id, client_secret, mattermost_app_id) are ignored."""
    name: str = ""
    description: str = ""
    icon_url: str = ""
    callback_urls: list[str] = field(default_factory=list)
    homepage: str = ""
    is_trusted: bool = False
    is_public: bool = False
    allowed_scopes: list[str] = field(default_factory=list)
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    openid_disabled: bool = False
    device_grant_allowed: bool = False
    require_pushed_authorization_requests: bool = False
    require_dpop: bool = False


@dataclass
class App:
    id: str = ""
    creator_id: str = ""
    create_at: int = 0
    update_at: int = 0
    client_secret: str = ""
    name: str = ""
    description: str = ""
    icon_url: str = ""
    callback_urls: list[str] = field(default_factory=list)
    homepage: str = ""
    is_trusted: bool = False
    mattermost_app_id: str = ""
    is_dynamically_registered: bool = False
    is_public: bool = False
    allowed_scopes: list[str] = field(default_factory=list)
    # OpenID Connect (docs/openid.md): RP-initiated logout's registered redirect URIs, and OpenID refused.
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    openid_disabled: bool = False
    # RFC 8628 (docs/provider.md, "Device sign-in"): whether the app may use the device authorization grant.
    device_grant_allowed: bool = False
    # RFC 9126 section 6: its authorization requests must be pushed (plain ones are refused).
    require_pushed_authorization_requests: bool = False
    # DPoP (RFC 9449): every token request must carry a proof, so every token is bound to the app's key.
    require_dpop: bool = False

    @classmethod
    def from_record(cls, record: AppRecord, client_secret: str = "") -> "App":
        return cls(**{name: getattr(record, name) for name in _STORED}, callback_urls=list(record.callback_urls),
                   client_secret=client_secret, is_public=record.client_secret_hash == "",
                   allowed_scopes=list(record.allowed_scopes),
                   post_logout_redirect_uris=list(record.post_logout_redirect_uris))

    def to_record(self, client_secret_hash: str) -> AppRecord:
        """The row for this app; the store keeps the secret's hash, never the secret."""
        return AppRecord(**{name: getattr(self, name) for name in _STORED}, callback_urls=list(self.callback_urls),
                         client_secret_hash=client_secret_hash, allowed_scopes=list(self.allowed_scopes),
                         post_logout_redirect_uris=list(self.post_logout_redirect_uris))

    @property
    def token_endpoint_auth_method(self) -> str:
        return "none" if self.is_public else "client_secret_post"

    def is_valid_redirect_url(self, url: str) -> bool:
        """Exact string equality with a registered callback (RFC 9700 §2.1): no normalisation, no prefix; a
        loopback callback on any port (RFC 8252 §7.3)."""
        return redirect_uri_registered(self.callback_urls, url)

    def to_json(self) -> dict:
        body = dataclasses.asdict(self)
        if not self.is_dynamically_registered:  # omitempty in Mattermost
            del body["is_dynamically_registered"]
        return body


# The fields an app and its row share (the row keeps the secret's hash instead of the secret).
_STORED = ("id", "creator_id", "create_at", "update_at", "name", "description", "icon_url", "homepage", "is_trusted",
           "mattermost_app_id", "is_dynamically_registered", "openid_disabled", "device_grant_allowed",
           "require_pushed_authorization_requests", "require_dpop")


def _go_slice_text_length(items: list[str]) -> int:
    """len(fmt.Sprintf("%s", items)) in Go: "[" + items joined by spaces + "]"."""
    return go_len("[" + " ".join(items) + "]")


def _is_valid_callback(url: str, dynamically_registered: bool) -> bool:
    if is_valid_http_url(url):
        return True
    # Since v11.9 apps made by dynamic client registration may use custom schemes (cursor://host/path).
    return dynamically_registered and is_valid_dcr_redirect_uri(url)


def validate_app(app: App) -> AppError | None:
    """Mattermost's OAuthApp.IsValid: the first failing field, always 400, in Mattermost's order."""
    def fail(name: str) -> AppError:
        return app_error(f"model.oauth.is_valid.{name}.app_error", 400, detailed_error=f"app_id={app.id}")

    if not is_valid_id(app.id):
        return fail("app_id")
    if app.create_at == 0:
        return fail("create_at")
    if app.update_at == 0:
        return fail("update_at")
    if not is_valid_id(app.creator_id) and not app.is_dynamically_registered:
        return fail("creator_id")
    if app.client_secret and go_len(app.client_secret) > CLIENT_SECRET_MAX:
        return fail("client_secret")
    if not app.name or go_len(app.name) > NAME_MAX:
        return fail("name")
    # The length rule measures Go's "%s" rendering of the list ("[a b]"), not the JSON the database stores
    # (["a","b"]); we keep Mattermost's rule so the same apps are accepted.
    if not app.callback_urls or _go_slice_text_length(app.callback_urls) > CALLBACKS_RENDERED_MAX:
        return fail("callback")
    for callback in app.callback_urls:
        if not _is_valid_callback(callback, app.is_dynamically_registered):
            return fail("callback")
    if not app.homepage and not app.is_dynamically_registered:
        return fail("homepage")
    if app.homepage and (go_len(app.homepage) > HOMEPAGE_MAX or not is_valid_http_url(app.homepage)):
        return fail("homepage")
    if len(app.description) > DESCRIPTION_MAX:
        return fail("description")
    if app.icon_url and (go_len(app.icon_url) > ICON_URL_MAX or not is_valid_http_url(app.icon_url)):
        return fail("icon_url")
    if go_len(app.mattermost_app_id) > MATTERMOST_APP_ID_MAX:
        return fail("mattermost_app_id")
    if validate_allowed(app.allowed_scopes) is None:
        return fail("allowed_scopes")
    if _go_slice_text_length(app.post_logout_redirect_uris) > CALLBACKS_RENDERED_MAX or not all(
            _is_valid_callback(uri, app.is_dynamically_registered) for uri in app.post_logout_redirect_uris):
        return fail("post_logout_redirect_uri")
    return None

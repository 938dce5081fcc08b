"""RFC 6749: the authorization request, redirects back to the client, and the token endpoint's messages.

- `AuthorizeRequest` and `validate_authorize_request` (Mattermost's AuthorizeRequest.IsValid, same order, same
  ids, all 400).
- Redirects: parameters are merged into the callback's existing query (Go's `url.Values` semantics: keys
  sorted, values URL-encoded, a parameter the callback already had is replaced), so `state` always round-trips
  exactly and never adds a second `?`. Implicit-grant responses go in the fragment (§4.2.2).
- `TokenRequest`, `TokenResponse`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import AppError, OAuthErrorCode, app_error
from .ids import is_valid_id
from .rfc7591 import is_valid_dcr_redirect_uri
from .rfc7636 import validate_challenge
from .rfc8707 import validate_resource
from .rfc9449 import HttpTarget, is_thumbprint
from .urls import encode_query, go_len, is_valid_http_url, parse_query

RESPONSE_TYPE_CODE = "code"
RESPONSE_TYPE_TOKEN = "token"
TOKEN_TYPE = "bearer"

AUTH_CODE_LIFETIME_SECONDS = 600  # Mattermost's AuthCodeExpireTime; RFC 6749 §4.1.2 recommends at most 10 min

REDIRECT_URI_MAX = 256
STATE_MAX = 1024
SCOPE_MAX = 128

# §4.1.2.1 error codes used in redirects.
ACCESS_DENIED = OAuthErrorCode.ACCESS_DENIED
UNSUPPORTED_RESPONSE_TYPE = OAuthErrorCode.UNSUPPORTED_RESPONSE_TYPE
SERVER_ERROR = OAuthErrorCode.SERVER_ERROR
TEMPORARILY_UNAVAILABLE = OAuthErrorCode.TEMPORARILY_UNAVAILABLE


@dataclass
class AuthorizeRequest:
    response_type: str = ""
    client_id: str = ""
    redirect_uri: str = ""
    scope: str = ""
    state: str = ""
    code_challenge: str = ""
    code_challenge_method: str = ""
    resource: str = ""
    # OpenID Connect Core 1.0 section 3.1.2.1 (plugin/oauth/oidc/authentication.py reads them).
    nonce: str = ""
    prompt: str = ""
    max_age: str = ""
    login_hint: str = ""
    id_token_hint: str = ""
    ui_locales: str = ""
    claims_locales: str = ""
    response_mode: str = ""
    claims: str = ""
    display: str = ""
    # Unix ms, set by the provider on the way through the login page: a session older must sign in again.
    authenticated_after: str = ""
    # RFC 9126 section 4: a reference to pushed parameters (plugin/oauth/rfc9126.py).
    request_uri: str = ""
    # A request object (RFC 9101, OpenID Core 6.1), not supported: request_not_supported.
    request: str = ""
    # RFC 9449 section 10: the thumbprint of the key the code's exchange must prove.
    dpop_jkt: str = ""


def _is_valid_authorize_redirect_uri(uri: str) -> bool:
    # Mattermost requires IsValidHTTPURL here. Apps made by dynamic registration may register custom-scheme
    # callbacks (v11.9), so those are accepted too; the exact match against the app's callbacks that follows
    # is what decides.
    return is_valid_http_url(uri) or is_valid_dcr_redirect_uri(uri)


def validate_authorize_request(req: AuthorizeRequest) -> AppError | None:
    if not is_valid_id(req.client_id):
        return app_error("model.authorize.is_valid.client_id.app_error", 400)
    if not req.response_type:
        return app_error("model.authorize.is_valid.response_type.app_error", 400)
    if (
        not req.redirect_uri
        or go_len(req.redirect_uri) > REDIRECT_URI_MAX
        or not _is_valid_authorize_redirect_uri(req.redirect_uri)
    ):
        return app_error("model.authorize.is_valid.redirect_uri.app_error", 400)
    if go_len(req.state) > STATE_MAX:
        return app_error("model.authorize.is_valid.state.app_error", 400)
    if go_len(req.scope) > SCOPE_MAX:
        return app_error("model.authorize.is_valid.scope.app_error", 400)
    error = validate_challenge(req.code_challenge, req.code_challenge_method)
    if error is not None:
        return error
    if req.dpop_jkt and not is_thumbprint(req.dpop_jkt):
        return app_error("model.authorize.is_valid.dpop_jkt.app_error", 400)
    return validate_resource(req.resource)


# --- redirects ------------------------------------------------------------------------------------------------

def merge_query(uri: str, params: dict[str, str]) -> str:
    """`uri` with `params` set in its query (Go: q := u.Query(); q.Set(k, v)...; u.RawQuery = q.Encode()).
    The callback's own text up to the query, and its fragment, are kept as registered."""
    before_fragment, has_fragment, fragment = uri.partition("#")
    base, _, raw_query = before_fragment.partition("?")
    values = parse_query(raw_query)
    for key, value in params.items():
        values[key] = [value]
    result = f"{base}?{encode_query(values)}"
    if has_fragment:
        result += f"#{fragment}"
    return result


def with_fragment(uri: str, params: dict[str, str]) -> str:
    """`uri` with `params` as its fragment (implicit grant, §4.2.2); a registered fragment is replaced."""
    base = uri.partition("#")[0]
    return f"{base}#{encode_query({key: [value] for key, value in params.items()})}"


def _with_issuer(params: dict[str, str], iss: str) -> dict[str, str]:
    """RFC 9207: the issuer in every authorization response, so that a client can detect mix-up attacks."""
    return {**params, "iss": iss} if iss else params


def authorization_redirect(redirect_uri: str, params: dict[str, str], in_fragment: bool, iss: str = "") -> str:
    """A response type's answer (§4.1.2 in the query, §4.2.2 in the fragment), with `iss`."""
    params = _with_issuer(params, iss)
    return with_fragment(redirect_uri, params) if in_fragment else merge_query(redirect_uri, params)


def code_redirect(redirect_uri: str, code: str, state: str, iss: str = "") -> str:
    """§4.1.2: code and state (always present, even empty) in the query."""
    return authorization_redirect(redirect_uri, {"code": code, "state": state}, False, iss)


def error_redirect(redirect_uri: str, error: str, state: str, in_fragment: bool = False, iss: str = "") -> str:
    """§4.1.2.1 / §4.2.2.1: error and state in the query (or the fragment for implicit requests)."""
    params = _with_issuer({"error": error, "state": state}, iss)
    return with_fragment(redirect_uri, params) if in_fragment else merge_query(redirect_uri, params)


def implicit_params(access_token: str, expires_in: int, scope: str, state: str) -> dict[str, str]:
    """§4.2.2: the access token's answer."""
    return {"access_token": access_token, "expires_in": str(expires_in), "scope": scope, "state": state,
            "token_type": TOKEN_TYPE}


def implicit_redirect(redirect_uri: str, access_token: str, expires_in: int, scope: str, state: str,
                      iss: str = "") -> str:
    return authorization_redirect(redirect_uri, implicit_params(access_token, expires_in, scope, state), True, iss)


# --- token endpoint -------------------------------------------------------------------------------------------

@dataclass
class TokenRequest:
    """A token request's parameters: the ones the built-in grants read, and the rest of the form in `params`,
    so that a grant registered later reads its own (`param("device_code")`) without a change here."""
    grant_type: str = ""
    code: str = ""
    redirect_uri: str = ""
    client_id: str = ""
    client_secret: str = ""
    code_verifier: str = ""
    refresh_token: str = ""
    resource: str = ""
    params: dict[str, str] = field(default_factory=dict)
    # The HTTP request as it came (its DPoP proofs, method and URL), and the key its proof proved (RFC 9449:
    # set before the grant issues, by plugin/oauth/dpop.py; "" without a proof).
    target: HttpTarget = field(default_factory=HttpTarget)
    dpop_jkt: str = ""

    @classmethod
    def from_parameters(cls, parameters: dict[str, str], client_id: str, client_secret: str,
                        target: HttpTarget | None = None) -> "TokenRequest":
        """From the form's parameters and the client's credentials (however it sent them)."""
        named = {f: parameters.get(f, "") for f in _TOKEN_FIELDS}
        rest = {k: v for k, v in parameters.items() if k not in named and k not in ("client_id", "client_secret")}
        return cls(**named, client_id=client_id, client_secret=client_secret, params=rest,
                   target=target or HttpTarget())

    def param(self, name: str) -> str:
        value = getattr(self, name, None) if name != "params" else None
        return value if isinstance(value, str) else self.params.get(name, "")


_TOKEN_FIELDS = ("grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "resource")


@dataclass
class TokenActionRequest:
    """A token presented by a client for revocation (RFC 7009) or introspection (RFC 7662)."""
    token: str = ""
    token_type_hint: str = ""
    client_id: str = ""
    client_secret: str = ""


@dataclass
class TokenResponse:
    access_token: str
    expires_in: int
    token_type: str = TOKEN_TYPE
    scope: str = ""
    refresh_token: str = ""
    id_token: str = ""
    audience: str = ""
    # False for grants Mattermost does not have (RFC 8628): RFC 6749 section 5.1's shape, where a member the
    # answer does not carry is absent, not "" (strict clients such as openid-client refuse an empty one).
    mattermost_shape: bool = True

    def to_json(self) -> dict:
        """Mattermost's AccessResponse: every key present (refresh_token "" for public clients), audience only
        when set."""
        body = {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
            "refresh_token": self.refresh_token,
            "id_token": self.id_token,
        }
        if self.audience:
            body["audience"] = self.audience
        if not self.mattermost_shape:
            body = {key: value for key, value in body.items() if value != ""}
        return body

"""RFC 7591: dynamic client registration, as Mattermost implements it (v11.9 rules).

- `ClientRegistrationRequest.from_json`: the four fields Mattermost reads (`redirect_uris`,
  `token_endpoint_auth_method`, `client_name`, `client_uri`), and `scope` (§2), which Mattermost ignores: the
  scopes the client will ask for. Its registered values become the app's allowed scopes (`allowed_scopes`);
  values nobody registered are dropped, and so is system:manage, which only a system admin can allow an app
  (on the app's page). None left, or no `scope`: the app is unrestricted, as on Mattermost (the response says
  "user"). Other RFC 7591 fields are ignored.
- `validate_registration_request`: ClientRegistrationRequest.IsValid with its ids, in its order.
- `is_valid_dcr_redirect_uri`: http(s) or a custom scheme (e.g. `cursor://host/path`) with a scheme and a host;
  `javascript`, `data`, `vbscript`, `file`, `blob` and `about` are refused whatever their case.
- The admin's allowlist (`DCRRedirectURIAllowlist`): `is_valid_redirect_uri_pattern`,
  `redirect_uri_matches_glob`, `redirect_uri_matches_allowlist`. Matching is per URL component (v11.9): the
  scheme must be equal; host, escaped path and raw query are globbed separately, so a wildcard can never
  consume a `?` or a host boundary (the v11.5 bypass `https://attacker.example.net?x=.example.com/cb` against
  `https://*.example.com/**` does not match). A query in the URI matches only a pattern that has a query.
  `*` matches any run of bytes except `/`; `**` matches any run including `/`.

Deliberate differences from Mattermost: a redirect URI with a fragment is refused (RFC 6749 §3.1.2), and
public clients are not told they may use `refresh_token` (they cannot).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import AppError, DCRError, ErrorCode, app_error
from .scopes import LEGACY_SCOPE, SCOPES, join, parse
from .urls import URLError, go_len, is_valid_http_url, parse_request_uri

AUTH_METHOD_NONE = "none"
AUTH_METHOD_CLIENT_SECRET_POST = "client_secret_post"
AUTH_METHOD_CLIENT_SECRET_BASIC = "client_secret_basic"
# What a registering client may ask for: every method the token endpoint takes (Mattermost refuses
# client_secret_basic although its metadata lists it; both secret methods work for every confidential client).
AUTH_METHODS = (AUTH_METHOD_CLIENT_SECRET_POST, AUTH_METHOD_CLIENT_SECRET_BASIC, AUTH_METHOD_NONE)

DEFAULT_CLIENT_NAME = "Dynamically Registered Client"

CLIENT_NAME_MAX = 64
CLIENT_URI_MAX = 256

DANGEROUS_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about"})

class RegistrationErrorCode(ErrorCode):
    """RFC 7591 §3.2.2 error codes (plus Mattermost's "unsupported_operation" for a disabled endpoint)."""
    INVALID_REDIRECT_URI = "invalid_redirect_uri"
    INVALID_CLIENT_METADATA = "invalid_client_metadata"
    UNSUPPORTED_OPERATION = "unsupported_operation"


INVALID_REDIRECT_URI = RegistrationErrorCode.INVALID_REDIRECT_URI
INVALID_CLIENT_METADATA = RegistrationErrorCode.INVALID_CLIENT_METADATA
UNSUPPORTED_OPERATION = RegistrationErrorCode.UNSUPPORTED_OPERATION


@dataclass
class ClientRegistrationRequest:
    redirect_uris: list[str]
    token_endpoint_auth_method: str | None = None
    client_name: str | None = None
    client_uri: str | None = None
    scope: str | None = None
    # OpenID Connect RP-Initiated Logout 1.0 section 3.1 (the same rules as redirect_uris).
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    # RFC 9126 section 6: the client's authorization requests must be pushed.
    require_pushed_authorization_requests: bool = False
    # RFC 9449 section 5.2: the client always uses DPoP (the app's require_dpop).
    dpop_bound_access_tokens: bool = False

    @classmethod
    def from_json(cls, body: Any) -> "ClientRegistrationRequest":
        """Read the request the way Go's JSON decoder fills Mattermost's struct: a field of the wrong type is a
        decoding error (DCRError invalid_client_metadata "Invalid JSON in request body"); null means absent."""
        invalid = DCRError(INVALID_CLIENT_METADATA, "Invalid JSON in request body")
        if not isinstance(body, dict):
            raise invalid
        def uri_list(key: str) -> list[str]:
            uris = body.get(key)
            if uris is None:
                uris = []
            if not isinstance(uris, list):
                raise invalid
            listed = []
            for uri in uris:
                if uri is None:
                    uri = ""
                if not isinstance(uri, str):
                    raise invalid
                listed.append(uri)
            return listed

        redirect_uris = uri_list("redirect_uris")
        optional: dict[str, Any] = {"post_logout_redirect_uris": uri_list("post_logout_redirect_uris")}
        for key in ("token_endpoint_auth_method", "client_name", "client_uri", "scope"):
            value = body.get(key)
            if value is not None and not isinstance(value, str):
                raise invalid
            optional[key] = value
        for key in ("require_pushed_authorization_requests", "dpop_bound_access_tokens"):
            flag = body.get(key)
            if flag is not None and not isinstance(flag, bool):
                raise invalid
            optional[key] = bool(flag)
        return cls(redirect_uris=redirect_uris, **optional)

    @property
    def auth_method(self) -> str:
        return self.token_endpoint_auth_method or AUTH_METHOD_CLIENT_SECRET_POST

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == AUTH_METHOD_NONE

    @property
    def allowed_scopes(self) -> list[str]:
        """The declared scopes the app may ask for: registered ones that need no system admin."""
        return [name for name in SCOPES.ordered(parse(self.scope or "")) if not SCOPES.get(name).admin_only]


def is_valid_dcr_redirect_uri(uri: str) -> bool:
    if not isinstance(uri, str) or "#" in uri:
        return False
    try:
        u = parse_request_uri(uri)
    except URLError:
        return False
    if not u.scheme or not u.host:
        return False
    return u.scheme.lower() not in DANGEROUS_SCHEMES


def validate_registration_request(req: ClientRegistrationRequest) -> AppError | None:
    if not req.redirect_uris:
        return app_error("model.dcr.is_valid.redirect_uris.app_error", 400)
    for uri in req.redirect_uris + req.post_logout_redirect_uris:
        if not is_valid_dcr_redirect_uri(uri):
            return app_error("model.dcr.is_valid.redirect_uri_format.app_error", 400, detailed_error=f"uri={uri}")
    if req.client_name is not None and go_len(req.client_name) > CLIENT_NAME_MAX:
        return app_error("model.dcr.is_valid.client_name.app_error", 400)
    if req.client_uri is not None:
        if not is_valid_http_url(req.client_uri):
            return app_error("model.dcr.is_valid.client_uri_format.app_error", 400)
        if go_len(req.client_uri) > CLIENT_URI_MAX:
            return app_error("model.dcr.is_valid.client_uri_length.app_error", 400)
    if req.token_endpoint_auth_method is not None and req.token_endpoint_auth_method not in AUTH_METHODS:
        return app_error("model.dcr.is_valid.unsupported_auth_method.app_error", 400)
    return None


# --- allowlist patterns ---------------------------------------------------------------------------------------

def _has_ctl(s: str) -> bool:
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in s)


def is_valid_redirect_uri_pattern(pattern: str) -> bool:
    """An allowlist entry is valid when it has no control characters, no `***`, and becomes a valid
    registration redirect URI once its wildcards are replaced by `1` (so `http://localhost:*` is valid)."""
    if not isinstance(pattern, str) or _has_ctl(pattern) or "***" in pattern:
        return False
    return is_valid_dcr_redirect_uri(pattern.replace("**", "1").replace("*", "1"))


@dataclass(frozen=True)
class _Pattern:
    scheme: str
    host: str
    path: str
    raw_query: str


def _split_pattern(pattern: str) -> _Pattern | None:
    scheme, sep, rest = pattern.partition("://")
    if not sep:
        return None
    host_end = len(rest)
    for separator in ("/", "?"):
        index = rest.find(separator)
        if 0 <= index < host_end:
            host_end = index
    host = rest[:host_end]
    if not host:
        return None
    remainder = rest[host_end:]
    path, raw_query = "", ""
    if remainder.startswith("/"):
        path, _, raw_query = remainder.partition("?")
    elif remainder.startswith("?"):
        raw_query = remainder[1:]
    return _Pattern(scheme, host, path, raw_query)


_STAR = -1
_DOUBLE_STAR = -2


def _glob(text: str, pattern: str) -> bool:
    """Anchored byte-wise glob: `*` = any run without '/', `**` = any run. Dynamic programming, so a hostile
    URI cannot make it slow."""
    data = text.encode("utf-8", "surrogateescape")
    raw = pattern.encode("utf-8", "surrogateescape")
    tokens: list[int] = []
    i = 0
    while i < len(raw):
        if raw[i] == 0x2A:  # '*'
            if i + 1 < len(raw) and raw[i + 1] == 0x2A:
                tokens.append(_DOUBLE_STAR)
                i += 2
            else:
                tokens.append(_STAR)
                i += 1
        else:
            tokens.append(raw[i])
            i += 1
    n, m = len(data), len(tokens)
    # following[j]: does data[pos+1:] match tokens[j:]? current[j]: does data[pos:] match tokens[j:]?
    following = [False] * (m + 1)
    following_valid = False
    for pos in range(n, -1, -1):
        current = [False] * (m + 1)
        current[m] = pos == n
        for j in range(m - 1, -1, -1):
            token = tokens[j]
            if token == _DOUBLE_STAR:
                current[j] = current[j + 1] or (following_valid and following[j])
            elif token == _STAR:
                current[j] = current[j + 1] or (following_valid and data[pos] != 0x2F and following[j])
            else:
                current[j] = pos < n and data[pos] == token and following[j + 1]
        following, following_valid = current, True
    return following[0]


def redirect_uri_matches_glob(uri: str, pattern: str) -> bool:
    try:
        candidate = parse_request_uri(uri)
    except URLError:
        return False
    if not candidate.scheme or not candidate.host:
        return False
    if not is_valid_redirect_uri_pattern(pattern):
        return False
    parts = _split_pattern(pattern)
    if parts is None or candidate.scheme != parts.scheme:
        return False
    if not _glob(candidate.host, parts.host):
        return False
    if not _glob(candidate.escaped_path(), parts.path):
        return False
    if not parts.raw_query:
        return candidate.raw_query == ""
    if not candidate.raw_query:
        return False
    return _glob(candidate.raw_query, parts.raw_query)


def redirect_uri_matches_allowlist(uri: str, allowlist: list[str] | tuple[str, ...]) -> bool:
    """An empty allowlist allows everything; blank entries are skipped; one matching entry suffices."""
    if not allowlist:
        return True
    for entry in allowlist:
        trimmed = entry.strip()
        if trimmed and redirect_uri_matches_glob(uri, trimmed):
            return True
    return False


def registration_response(
    client_id: str,
    client_secret: str,
    redirect_uris: list[str],
    client_name: str,
    client_uri: str,
    issued_at_seconds: int,
    auth_method: str = AUTH_METHOD_CLIENT_SECRET_POST,
    allowed_scopes: list[str] = (),
    post_logout_redirect_uris: list[str] | None = None,
    require_pushed_authorization_requests: bool = False,
    dpop_bound_access_tokens: bool = False,
) -> dict:
    """The RFC 7591 §3.2.1 response: the registered metadata, `auth_method` as the client asked for it.
    `client_secret` is present only for confidential clients."""
    public = client_secret == ""
    body: dict = {"client_id": client_id}
    if not public:
        body["client_secret"] = client_secret
    body.update(
        {
            "client_id_issued_at": issued_at_seconds,
            "redirect_uris": list(redirect_uris),
            "token_endpoint_auth_method": AUTH_METHOD_NONE if public else auth_method,
            "grant_types": ["authorization_code"] if public else ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": join(allowed_scopes) or LEGACY_SCOPE,
        }
    )
    if client_name:
        body["client_name"] = client_name
    if client_uri:
        body["client_uri"] = client_uri
    if post_logout_redirect_uris:
        body["post_logout_redirect_uris"] = list(post_logout_redirect_uris)
    if require_pushed_authorization_requests:
        body["require_pushed_authorization_requests"] = True
    if dpop_bound_access_tokens:
        body["dpop_bound_access_tokens"] = True
    return body

"""Who is calling: Mattermost's session plumbing for the host's HTTP handlers.

    session = await require_session(request)          # 401 without a valid session
    require_permission(session, "manage_system")      # 403 without the permission
    user = await current_user(request)                 # the session's User (400 in local mode, which has none)

The token is taken, like Mattermost, from the first present of: cookie `MMAUTHTOKEN`; `Authorization: Bearer <t>`;
`Authorization: Token <t>` (prefixes case-insensitive), then truncated to 50 characters. `Authorization: DPoP <t>`
(RFC 9449 section 7.1) is an OAuth access token with the request's `DPoP` proof: the plugin checks the proof, its
key against the token's binding and its jti, for every such request (a kept validation is not enough: a proof
is good once). A DPoP-bound token presented as Bearer is refused, from the token cache too; DPoP refusals answer
401 with `WWW-Authenticate: DPoP error=..., algs=...` (and `DPoP-Nonce` when the plugin wants a nonce).

A token that is not a host session is asked of the OAuth plugin (`host.gateway.validate_oauth_token`); an OAuth
access token acts as its user, with that user's current roles, and is marked `is_oauth`; it may call only the
routes its scopes allow (403 `insufficient_scope` otherwise, web/route_scopes.py).

Deliberate differences from Mattermost: a token in the query string (`?access_token=`) is refused with 401
`api.context.token_provided.app_error`, whatever kind of token it is (RFC 9700 section 4.3.2 / RFC 6750 section 5.3).
An OAuth token issued for another resource (RFC 8707 `resource`, the token's audience) is refused like an invalid
one (401 `error="invalid_token"`), so that a resource server that receives a user's token cannot replay it here (RFC
9700 section 2.3): API v4 is the audience of tokens with none, or with the site URL or the site URL + "/api/v4"
(`is_own_audience`).

Cookie-authenticated requests other than GET/HEAD/OPTIONS must carry `X-CSRF-Token` equal to the session's CSRF
token, or `X-Requested-With: XMLHttpRequest` (unless ServiceSettings.ExperimentalStrictCSRFEnforcement); otherwise
401 `api.context.session_expired.app_error`, as Mattermost answers. Routes that check a CSRF token themselves (a
form field) pass `trust_requester=True`, Mattermost's TrustRequester.

Local mode (the unix socket only the host's user can open) acts as a system admin with every permission.
"""
from __future__ import annotations

import dataclasses
import hmac
import logging
import urllib.parse
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

from aiohttp import web

from .. import permissions as perms
from ..accounts import MAX_TOKEN_LENGTH, Caller, User, is_valid_id
from ..config import site_url
from ..gateway import DPoPProof, DPoPRefused, OAuthTokenInfo, PluginUnavailable
from . import route_scopes
from .keys import HOST_KEY, LOCAL_MODE_KEY
from .responses import AppErrorResponse

log = logging.getLogger("server_stub.auth")

SESSION_COOKIE = "MMAUTHTOKEN"
USER_COOKIE = "MMUSERID"
CSRF_COOKIE = "MMCSRF"
HEADER_CSRF = "X-CSRF-Token"
HEADER_REQUESTED_WITH = "X-Requested-With"
REQUESTED_WITH_XML = "XMLHttpRequest"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACTIVITY_UPDATE_MS = 5 * 60 * 1000  # last_activity_at is written at most this often per session

FROM_COOKIE, FROM_HEADER, FROM_LOCAL = "cookie", "header", "local"
_CACHE = web.RequestKey("server_stub.session", object) if hasattr(web, "RequestKey") else "server_stub.session"
_REFUSED = web.RequestKey("server_stub.refused", str) if hasattr(web, "RequestKey") else "server_stub.refused"


@dataclasses.dataclass(frozen=True)
class Session:
    """The caller of a request.

    `session_id` is the host session's id ("" for OAuth tokens and local mode). `roles` is the user's role string
    ("system_admin system_user"); `permissions` the union of those roles' permissions. For an OAuth token,
    `is_oauth` is true, `oauth_client_id` names the app and `oauth` holds what the plugin said of the token."""
    user_id: str
    session_id: str
    is_oauth: bool
    roles: str
    permissions: frozenset
    csrf_token: str
    oauth_client_id: str = ""
    token: str = dataclasses.field(default="", repr=False)
    location: str = FROM_HEADER
    local: bool = False
    expires_at: int = 0
    oauth: OAuthTokenInfo | None = None
    # The user as read for this request (handlers about the caller need not read it again).
    user: User | None = dataclasses.field(default=None, repr=False, compare=False)

    def has_permission(self, permission: str) -> bool:
        return self.local or permission in self.permissions

    @property
    def is_system_admin(self) -> bool:
        """Mattermost's IsSystemAdmin: the session may manage the system."""
        return self.has_permission(perms.MANAGE_SYSTEM)


BEARER_REALM = 'Bearer realm="mattermost"'
INVALID_TOKEN = "The access token is invalid, expired or revoked."
FOREIGN_AUDIENCE = "The access token was issued for another resource: its audience is not this server."


def session_expired(request: web.Request | None = None) -> AppErrorResponse:
    """401 with RFC 6750's challenge: `error="invalid_token"` only when a bearer token was presented (an
    invalid, expired or revoked one, or one for another audience); a request without credentials gets the bare
    challenge (section 3.1). A token presented as DPoP gets RFC 9449's challenge."""
    challenge = BEARER_REALM
    scheme = request.headers.get("Authorization", "").partition(" ")[0].lower() if request is not None else ""
    if request is not None and "access_token" not in request.query and scheme in ("bearer", "token", DPOP):
        description = request.get(_REFUSED) or INVALID_TOKEN
        challenge = dpop_challenge("invalid_token", description) if scheme == DPOP else \
            challenge + f', error="invalid_token", error_description="{description}"'
    return AppErrorResponse(401, "api.context.session_expired.app_error",
                            "Invalid or expired session, please login again.",
                            headers={"WWW-Authenticate": challenge})


# --- DPoP (RFC 9449 section 7.1) --------------------------------------------------------------------------------

DPOP = "dpop"


def dpop_challenge(error: str, description: str, algs: tuple[str, ...] = ()) -> str:
    params = [f'algs="{" ".join(algs)}"'] if algs else []
    safe = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in description)
    params += [f'error="{error}"', f'error_description="{safe}"']
    return "DPoP " + ", ".join(params)


def dpop_refused(refused: DPoPRefused) -> AppErrorResponse:
    """401 with the DPoP challenge the plugin's refusal names, and the nonce to use when it wants one."""
    headers = {"WWW-Authenticate": dpop_challenge(refused.error, refused.description, refused.algs)}
    if refused.nonce:
        headers["DPoP-Nonce"] = refused.nonce
    return AppErrorResponse(401, "api.context.session_expired.app_error",
                            "Invalid or expired session, please login again.", detailed=refused.description,
                            headers=headers)


def public_url(request: web.Request) -> str:
    """The request's URL as the server's public address names it (the site URL and the path, without query): what a
    DPoP proof's htu must be. Never built from the Host header, which the client chooses."""
    return site_url(_host(request).config.config) + request.rel_url.raw_path


def dpop_proof(request: web.Request) -> DPoPProof:
    return DPoPProof(tuple(request.headers.getall("DPoP", ())), request.method, public_url(request))


def insufficient_scope(scope: str | None) -> AppErrorResponse:
    """403 with Mattermost's AppError for a missing permission, and RFC 6750 section 3.1's challenge naming the
    scope the route needs (none names a route that no scope opens to tokens)."""
    if scope:
        description = f"The access token does not grant the {scope} scope."
        challenge = f'{BEARER_REALM}, error="insufficient_scope", error_description="{description}", scope="{scope}"'
    else:
        description = "No scope lets an access token call this route."
        challenge = f'{BEARER_REALM}, error="insufficient_scope", error_description="{description}"'
    return AppErrorResponse(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.",
                            detailed=description, headers={"WWW-Authenticate": challenge})


def permission_error() -> AppErrorResponse:
    return AppErrorResponse(403, "api.context.permissions.app_error",
                            "You do not have the appropriate permissions.")


def require_permission(session: Session, permission: str) -> None:
    """403 `api.context.permissions.app_error` unless the session has the permission."""
    if not session.has_permission(permission):
        raise permission_error()


def token_from_request(request: web.Request) -> tuple[str, str] | None:
    """(token, where it came from) or None. A query-string token is refused (401)."""
    if "access_token" in request.query:
        # Every 401 names the scheme to use (RFC 9110 section 15.5.2); a token in the URI is a malformed
        # request in RFC 6750's terms (section 3.1, invalid_request).
        raise AppErrorResponse(401, "api.context.token_provided.app_error",
                               "Access tokens are not accepted in the query string; "
                               "send them in the Authorization header.",
                               headers={"WWW-Authenticate": BEARER_REALM + ', error="invalid_request", '
                                        'error_description="Send the access token in the Authorization header."'})
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if cookie:
        return cookie[:MAX_TOKEN_LENGTH], FROM_COOKIE
    header = request.headers.get("Authorization", "")
    scheme, _, rest = header.partition(" ")
    if scheme.lower() in ("bearer", "token", DPOP) and rest.strip():
        return rest.strip()[:MAX_TOKEN_LENGTH], FROM_HEADER
    return None


def _host(request: web.Request):
    return request.app[HOST_KEY]


def _local_session() -> Session:
    return Session(user_id="", session_id="", is_oauth=False,
                   roles=f"{perms.SYSTEM_ADMIN_ROLE} {perms.SYSTEM_USER_ROLE}",
                   permissions=perms.ALL_PERMISSIONS, csrf_token="", location=FROM_LOCAL, local=True)


def _strict_csrf(request: web.Request) -> bool:
    service = _host(request).config.config.get("ServiceSettings") or {}
    return bool(service.get("ExperimentalStrictCSRFEnforcement", False))


def _check_csrf(request: web.Request, session: Session) -> None:
    if session.location != FROM_COOKIE or request.method in SAFE_METHODS:
        return
    presented = request.headers.get(HEADER_CSRF, "")
    if presented and session.csrf_token and hmac.compare_digest(presented.encode(), session.csrf_token.encode()):
        return
    if request.headers.get(HEADER_REQUESTED_WITH) == REQUESTED_WITH_XML:
        if not _strict_csrf(request):
            return
        log.warning("CSRF header check failed (strict enforcement)",
                    extra={"path": request.path, "remote_addr": request.remote})
    raise session_expired()


async def _resolve(request: web.Request) -> Session | None:
    if request.app[LOCAL_MODE_KEY]:
        return _local_session()
    found = token_from_request(request)
    if found is None:
        return None
    token, location = found
    host = _host(request)
    accounts = host.accounts
    # Host session tokens are 26-character ids; anything else in the header (an OAuth access token) cannot be
    # one, and is not looked up among the sessions.
    caller: Caller | None = None
    dpop = dpop_proof(request) if location == FROM_HEADER and \
        request.headers.get("Authorization", "").partition(" ")[0].lower() == DPOP else None
    if location == FROM_COOKIE or (dpop is None and is_valid_id(token)):
        caller = accounts.caller_by_session_token(token)
    if caller is not None and caller.session is not None:
        user, record = caller.user, caller.session
        if accounts.clock.now_ms() - record.last_activity_at >= ACTIVITY_UPDATE_MS:
            accounts.touch_session(record.id)
        return Session(user_id=user.id, session_id=record.id, is_oauth=False, roles=user.roles,
                       permissions=caller.permissions, csrf_token=record.csrf_token,
                       token=token, location=location, expires_at=record.expires_at, user=user)
    if location != FROM_HEADER:
        return None  # OAuth access tokens are bearer tokens: only in the Authorization header
    gateway = getattr(host, "gateway", None)
    if gateway is None:
        return None
    try:
        info = await gateway.validate_oauth_token(token, dpop=dpop)
    except DPoPRefused as refused:
        log.info("OAuth token refused: DPoP", extra={"error": refused.error, "path": request.path,
                                                     "remote_addr": request.remote})
        raise dpop_refused(refused) from None
    except PluginUnavailable as exc:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        raise AppErrorResponse(exc.status, exc.error_id, exc.message, headers=headers) from None
    if info is None:
        return None
    if info.audience and not is_own_audience(info.audience, site_url(host.config.config)):
        log.info("OAuth token refused: issued for another resource", extra={
            "client_id": info.client_id, "audience": info.audience, "remote_addr": request.remote})
        request[_REFUSED] = FOREIGN_AUDIENCE
        return None
    caller = accounts.caller_by_user_id(info.user_id)
    if caller is None:
        return None
    allowed, needed = route_scopes.allows(request, info.scopes)
    if not allowed and route_scopes.is_page(request):
        return None  # a page: an OAuth access token is no page session (the browser goes to log in)
    if not allowed:
        log.info("OAuth token refused: scope", extra={"client_id": info.client_id, "path": request.path,
                                                      "scope": needed or ""})
        raise insufficient_scope(needed)
    user = caller.user
    return Session(user_id=user.id, session_id="", is_oauth=True, roles=user.roles,
                   permissions=caller.permissions, csrf_token="",
                   oauth_client_id=info.client_id, token=token, location=location, expires_at=info.expires_at,
                   oauth=info, user=user)


# --- the token's audience (RFC 8707) -----------------------------------------------------------------------------

def _comparable(uri: str) -> tuple | None:
    """An http(s) URI without query, fragment or user info as (scheme, host, port, path without a trailing "/"),
    scheme and host lower-cased and the default port filled in (RFC 3986 section 6.2.3); None for anything else."""
    try:
        parts = urllib.parse.urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or "@" in parts.netloc:
        return None
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80), parts.path.rstrip("/")


def is_own_audience(audience: str, site: str) -> bool:
    """Whether API v4 is the resource a token's audience names: the site URL, or the site URL + "/api/v4"."""
    own, named = _comparable(site), _comparable(audience)
    return own is not None and named is not None and named in (own, own[:3] + (own[3] + "/api/v4",))


async def optional_session(request: web.Request, *, trust_requester: bool = False) -> Session | None:
    """The caller's session, or None when the request carries no valid token. A valid cookie session on a
    non-GET request without the CSRF header is refused (401), unless `trust_requester`."""
    if _CACHE not in request:
        request[_CACHE] = await _resolve(request)
    session = request[_CACHE]
    if session is not None and not trust_requester:
        _check_csrf(request, session)
    return session


async def require_session(request: web.Request, *, trust_requester: bool = False) -> Session:
    """The caller's session; 401 `api.context.session_expired.app_error` without one."""
    session = await optional_session(request, trust_requester=trust_requester)
    if session is None:
        raise session_expired(request)
    return session


async def current_user(request: web.Request, *, trust_requester: bool = False) -> User:
    """The signed-in user. Local mode has no user: 400 invalid_url_param user_id, as for `me` there."""
    session = await require_session(request, trust_requester=trust_requester)
    user = session.user
    if user is None and session.user_id:
        user = _host(request).accounts.get_user(session.user_id)
    if user is None:
        if session.local:
            raise AppErrorResponse(400, "api.context.invalid_url_param.app_error",
                                   "Invalid or missing user_id parameter in request URL.")
        raise session_expired(request)
    return user


# --- cookies ---------------------------------------------------------------------------------------------------

def is_secure_request(request: web.Request) -> bool:
    """Mattermost's GetProtocol: https when the connection is TLS or a proxy says so."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


def attach_session_cookies(response: web.StreamResponse, request: web.Request, token: str, user_id: str,
                           csrf_token: str, max_age_seconds: int) -> None:
    """Mattermost's AttachSessionCookies: MMAUTHTOKEN (HttpOnly), MMUSERID and MMCSRF (readable by the page's
    script, which echoes MMCSRF in X-CSRF-Token). SameSite=Lax is added (Mattermost sets none)."""
    secure = is_secure_request(request)
    expires = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=max_age_seconds), usegmt=True)
    common = {"path": "/", "max_age": max_age_seconds, "expires": expires, "secure": secure, "samesite": "Lax"}
    response.set_cookie(SESSION_COOKIE, token, httponly=True, **common)
    response.set_cookie(USER_COOKIE, user_id, **common)
    response.set_cookie(CSRF_COOKIE, csrf_token, **common)


def clear_session_cookies(response: web.StreamResponse, request: web.Request) -> None:
    """Mattermost's RemoveSessionCookie: the three cookies expire now."""
    secure = is_secure_request(request)
    for name in (SESSION_COOKIE, USER_COOKIE, CSRF_COOKIE):
        response.set_cookie(name, "", path="/", max_age=0, expires="Thu, 01 Jan 1970 00:00:00 GMT",
                            secure=secure, samesite="Lax", httponly=name == SESSION_COOKIE)

"""What every server-rendered page and form shares: who is signed in, CSRF checks, safe redirects, and turning
errors into error pages.

- Signed-in pages take the host session from the `MMAUTHTOKEN` cookie (or an `Authorization` header, for API
  clients and tests). A page needs a host login session: an OAuth access token cannot drive the pages, as it
  cannot approve apps in Mattermost either. Without a session a page sends the browser to
  `/login?redirect_to=<the page>`.
- Every form of a signed-in page carries the session's CSRF token in a `csrf` field, checked in constant time.
- The log-in and sign-up forms come before any session, so they use a double-submit token: a random value in the
  `MMLOGINCSRF` cookie (HttpOnly, SameSite=Strict) that the form must echo. A cross-site form cannot read the
  cookie, so it cannot log a victim into the attacker's account (login CSRF).
- `redirect_to` is only ever a local path: one leading "/", no scheme, no host, no backslash, no control
  character. Anything else goes to "/" (no open redirect).
"""
from __future__ import annotations

import functools
import hmac
import secrets
import urllib.parse
from typing import Awaitable, Callable

from aiohttp import web

from .. import permissions as perms
from ..gateway import PluginUnavailable, RpcFailed
from . import auth, pages
from .keys import HOST_KEY
from .responses import AppErrorResponse

LOGIN_CSRF_COOKIE = "MMLOGINCSRF"
MAX_REDIRECT_LENGTH = 8192
_REDIRECT_SAFE = "/?&=%:@!$'()*+,;~#[]-._"  # kept as they are when a redirect target is percent-encoded

PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class PageError(Exception):
    """Raise from a page handler to answer with the error page."""

    def __init__(self, status: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def host_of(request: web.Request):
    return request.app[HOST_KEY]


def page(handler: PageHandler) -> PageHandler:
    """A page handler whose failures are error pages (HTML), never JSON or a traceback."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except PageError as exc:
            return pages.error_page(request, exc.status, exc.message, headers=exc.headers)
        except AppErrorResponse as exc:
            return pages.error_page(request, exc.status_code, exc.error_message, headers=dict(exc.headers))
        except PluginUnavailable as exc:
            return pages.error_page(request, exc.status, exc.message, headers=exc.headers)
        except RpcFailed as failed:
            return pages.error_page(request, failed.error.status_code or 500, failed.error.message)

    return wrapper


# --- sessions ----------------------------------------------------------------------------------------------------

async def page_session(request: web.Request) -> auth.Session | None:
    """The signed-in host session, or None. Forms check their own CSRF field (`check_csrf`), hence
    trust_requester. An OAuth access token is no page session."""
    session = await auth.optional_session(request, trust_requester=True)
    if session is None or session.is_oauth or session.local or not session.user_id:
        return None
    return session


def login_redirect(request: web.Request) -> web.HTTPFound:
    return web.HTTPFound("/login?" + urllib.parse.urlencode({"redirect_to": request.path_qs}))


async def require_page_session(request: web.Request, permission: str | None = None) -> auth.Session:
    """The signed-in session; without one the browser goes to log in and comes back. Without `permission`, 403."""
    session = await page_session(request)
    if session is None:
        raise login_redirect(request)
    if permission is not None and not session.has_permission(permission):
        raise PageError(403, "You do not have the appropriate permissions.")
    return session


def nav_context(request: web.Request, session: auth.Session | None) -> dict:
    """What base.html's header shows: the user, and the sections the user may open."""
    if session is None:
        return {}
    user = host_of(request).accounts.get_user(session.user_id)
    return {"me": {
        "username": user.username if user else "",
        "csrf": session.csrf_token,
        "integrations": session.has_permission(perms.MANAGE_OAUTH)
        or session.has_permission(perms.MANAGE_SYSTEM_WIDE_OAUTH),
        "console": session.has_permission(perms.MANAGE_SYSTEM),
    }}


async def check_csrf(request: web.Request, session: auth.Session) -> web.MultiDictProxy:
    """The posted form, once its `csrf` field matched the session's CSRF token (else a 403 error page)."""
    form = await read_form(request)
    presented = str(form.get("csrf", ""))
    if not session.csrf_token or not hmac.compare_digest(presented.encode(), session.csrf_token.encode()):
        raise PageError(403, "The form has expired. Please go back, reload the page and try again.")
    return form


async def read_form(request: web.Request) -> web.MultiDictProxy:
    try:
        return await request.post()
    except (ValueError, UnicodeDecodeError):
        raise PageError(400, "The form could not be read.") from None


def field(form, name: str, limit: int = 4096) -> str:
    """A text field of a posted form: "" when absent; file uploads and over-long values are refused."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise PageError(400, f"Invalid {name} field.")
    if len(value) > limit:
        raise PageError(400, f"The {name} field is too long.")
    return value


# --- login CSRF (double-submit cookie) ---------------------------------------------------------------------------

def login_csrf_token(request: web.Request) -> str:
    """The token the log-in or sign-up form carries: the visitor's MMLOGINCSRF cookie, or a new one (set it with
    `set_login_csrf_cookie`)."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if 32 <= len(existing) <= 64 and existing.isalnum():
        return existing
    return secrets.token_hex(16)


def set_login_csrf_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    if request.cookies.get(LOGIN_CSRF_COOKIE) != token:
        response.set_cookie(LOGIN_CSRF_COOKIE, token, path="/", httponly=True, samesite="Strict",
                            secure=auth.is_secure_request(request))


def clear_login_csrf_cookie(response: web.StreamResponse, request: web.Request) -> None:
    if LOGIN_CSRF_COOKIE in request.cookies:
        response.del_cookie(LOGIN_CSRF_COOKIE, path="/")


def check_login_csrf(request: web.Request, form) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    presented = form.get("csrf", "")
    return (isinstance(presented, str) and len(cookie) >= 32
            and hmac.compare_digest(presented.encode(), cookie.encode()))


# --- redirects ---------------------------------------------------------------------------------------------------

def safe_redirect(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this server, else `default`. Browsers read "//host", "/\\host" and
    "/<tab>/host" as another host, so a second slash, any backslash and any control character or space are
    refused, as are a scheme and a host."""
    if not target or len(target) > MAX_REDIRECT_LENGTH or not target.startswith("/"):
        return default
    if target.startswith("//") or "\\" in target or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target):
        return default
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return urllib.parse.quote(target, safe=_REDIRECT_SAFE)


def see_other(location: str) -> web.HTTPSeeOther:
    """303 after a form POST (RFC 9700 section 4.12: never 307 after credentials)."""
    return web.HTTPSeeOther(location, headers=dict(pages.PAGE_HEADERS))

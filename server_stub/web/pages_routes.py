"""The pages people use: home, sign-up, log-in and log-out here; Integrations and Account Settings in
integrations_pages.py; the System Console in console_pages.py; teams and channels in channel_pages.py; the device
verification page (RFC 8628) in device_pages.py.

Server-rendered (Jinja2, autoescape), no third-party resources, no inline script; every form is CSRF-protected
(forms.py) and a GET never changes anything. Log-in and sign-up reuse the API's own functions
(users_api.register_user, users_api.start_session, auth.attach_session_cookies), so the rules live in one place.

| Route | Who | What |
|---|---|---|
| GET `/` | anyone | links to the pages below, or to log in / sign up |
| GET, POST `/signup` | anyone | create an account (the first one of a fresh server becomes system admin) |
| GET, POST `/login?redirect_to=/path` | anyone | log in; 303 to the local path `redirect_to` (`login_hint`, `reauth=1`) |
| GET, POST `/logout` | signed in | GET asks, POST logs out |
"""
from __future__ import annotations

import logging
import urllib.parse

from aiohttp import web

from ..accounts import AccountError
from . import auth, channel_pages, console_pages, device_pages, forms, integrations_pages, pages, users_api
from .forms import PageError, page

log = logging.getLogger("server_stub.pages")
AUTHORIZE_PATH = "/oauth/authorize"


def signup_open(host) -> bool:
    """Whether a stranger may create an account: on a fresh server (the first account) or an open one."""
    open_server = bool((host.config.config.get("TeamSettings") or {}).get("EnableOpenServer", False))
    return open_server or host.accounts.count_users() == 0


# --- home ----------------------------------------------------------------------------------------------------------

@page
async def home(request: web.Request) -> web.Response:
    session = await forms.page_session(request)
    host = forms.host_of(request)
    return pages.render("home.html", title="Mattermost", signup_open=signup_open(host),
                        **forms.nav_context(request, session))


# --- log in ----------------------------------------------------------------------------------------------------

def _onward_targets(redirect_to: str) -> list[str]:
    """Where the log-in form's answer may end up: through the authorization endpoint, at the app's
    redirect_uri (when consent was given before, or the app is trusted)."""
    parts = urllib.parse.urlsplit(redirect_to)
    if parts.path != AUTHORIZE_PATH:
        return []
    return urllib.parse.parse_qs(parts.query).get("redirect_uri", [])[:1]


def _login_page(request: web.Request, redirect_to: str, login_id: str = "", error: str = "",
                status: int = 200) -> web.Response:
    token = forms.login_csrf_token(request)
    response = pages.render("login.html", status=status, title="Log in", csrf=token, redirect_to=redirect_to,
                            login_id=login_id, error=error,
                            signup_open=signup_open(forms.host_of(request)),
                            headers={"Content-Security-Policy": pages.csp(_onward_targets(redirect_to))})
    forms.set_login_csrf_cookie(response, request, token)
    return response


@page
async def login_page(request: web.Request) -> web.Response:
    """`login_hint` prefills the login id; `reauth=1` (an app asked for a fresh sign-in: OpenID Connect's
    prompt=login or max_age) shows the form even to a signed-in visitor."""
    redirect_to = forms.safe_redirect(request.query.get("redirect_to"))
    if request.query.get("reauth") != "1" and await forms.page_session(request) is not None:
        raise web.HTTPFound(redirect_to)  # already signed in: on to where the visitor was going
    return _login_page(request, redirect_to, login_id=request.query.get("login_hint", "")[:256])


@page
async def login_submit(request: web.Request) -> web.Response:
    form = await forms.read_form(request)
    redirect_to = forms.safe_redirect(forms.field(form, "redirect_to", forms.MAX_REDIRECT_LENGTH))
    login_id = forms.field(form, "login_id", 256).strip()
    password = forms.field(form, "password", 256)
    if not forms.check_login_csrf(request, form):
        return _login_page(request, redirect_to, login_id,
                           "The form has expired. Please try again.", status=403)
    if not login_id or not password:
        return _login_page(request, redirect_to, login_id, "Enter your email or username and your password.",
                           status=400)
    try:
        user = await users_api.authenticate(request, login_id, password)
    except AccountError as exc:
        return _login_page(request, redirect_to, login_id, exc.message, status=exc.status)
    previous = await forms.page_session(request)
    if previous is not None:  # signing in again (reauth): the new session replaces the old one
        forms.host_of(request).accounts.revoke_session(previous.session_id)
    return _signed_in(request, user, redirect_to)


def _signed_in(request: web.Request, user, redirect_to: str) -> web.HTTPSeeOther:
    token, record, max_age = users_api.start_session(request, user)
    response = forms.see_other(redirect_to)
    auth.attach_session_cookies(response, request, token, user.id, record.csrf_token, max_age)
    forms.clear_login_csrf_cookie(response, request)
    raise response


# --- sign up ---------------------------------------------------------------------------------------------------

def _signup_page(request: web.Request, values: dict | None = None, error: str = "",
                 status: int = 200) -> web.Response:
    host = forms.host_of(request)
    token = forms.login_csrf_token(request)
    response = pages.render("signup.html", status=status, title="Create an account", csrf=token,
                            values=values or {"email": "", "username": ""}, error=error,
                            first_account=host.accounts.count_users() == 0)
    forms.set_login_csrf_cookie(response, request, token)
    return response


def _require_signup_open(request: web.Request) -> None:
    if not signup_open(forms.host_of(request)):
        raise PageError(403, "This server does not allow open signups. Please speak with your Administrator "
                             "to receive an invitation.")


@page
async def signup_page(request: web.Request) -> web.Response:
    _require_signup_open(request)
    return _signup_page(request)


@page
async def signup_submit(request: web.Request) -> web.Response:
    form = await forms.read_form(request)
    values = {"email": forms.field(form, "email", 256).strip(), "username": forms.field(form, "username", 64).strip()}
    password = forms.field(form, "password", 256)
    if not forms.check_login_csrf(request, form):
        return _signup_page(request, values, "The form has expired. Please try again.", status=403)
    if password != forms.field(form, "password_confirm", 256):
        return _signup_page(request, values, "The passwords do not match.", status=400)
    host = forms.host_of(request)
    try:
        # As an anonymous caller: the first account becomes system admin, later ones need an open server.
        user = await users_api.register_user(host, None, values["email"], values["username"], password)
    except AccountError as exc:
        return _signup_page(request, values, exc.message, status=exc.status)
    log.info("user signed up", extra={"user_id": user.id, "roles": user.roles})
    return _signed_in(request, user, "/")


# --- log out ---------------------------------------------------------------------------------------------------

@page
async def logout_page(request: web.Request) -> web.Response:
    session = await forms.page_session(request)
    if session is None:
        raise web.HTTPFound("/login")
    return pages.render("logout.html", title="Log out", **forms.nav_context(request, session))


@page
async def logout_submit(request: web.Request) -> web.Response:
    session = await forms.page_session(request)
    response = forms.see_other("/login")
    if session is not None:
        await forms.check_csrf(request, session)
        forms.host_of(request).accounts.revoke_session(session.session_id)
    auth.clear_session_cookies(response, request)
    raise response


def add_page_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_submit)
    app.router.add_get("/signup", signup_page)
    app.router.add_post("/signup", signup_submit)
    app.router.add_get("/logout", logout_page)
    app.router.add_post("/logout", logout_submit)
    integrations_pages.add_routes(app)
    console_pages.add_routes(app)
    channel_pages.add_routes(app)
    device_pages.add_routes(app)

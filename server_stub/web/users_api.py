"""API v4 users: sign-up, login, logout, me, get a user, change a password, activate/deactivate. Mattermost's
paths, bodies, statuses and error ids (server/channels/api4/user.go). Every password check goes through
login_throttle (per address, and host-wide)."""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from .. import permissions as perms
from .. import revocations
from ..accounts import AccountError, PasswordRules, User, is_valid_id, maximum_login_attempts
from ..gateway import PluginUnavailable
from . import auth, login_throttle
from .body import get_bool, get_str, invalid_body_param, invalid_url_param, max_payload_bytes, read_json_object
from .keys import HOST_KEY
from .responses import AppErrorResponse, json_response, status_ok

log = logging.getLogger("server_stub.users")


def _host(request: web.Request):
    return request.app[HOST_KEY]


def _account_error(exc: AccountError) -> AppErrorResponse:
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return AppErrorResponse(exc.status, exc.error_id, exc.message, headers=headers)


def gateway_error(exc: Exception) -> AppErrorResponse:
    """An error of the OAuth gateway (PluginUnavailable, or an RPC error carrying an AppError) as a response."""
    if isinstance(exc, PluginUnavailable):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return AppErrorResponse(exc.status, exc.error_id, exc.message, headers=headers)
    error = getattr(exc, "error", None)
    retry_after = getattr(error, "retry_after_seconds", 0)
    return AppErrorResponse(getattr(error, "status_code", 0) or 500,
                            getattr(error, "id", "") or "api.context.unknown.app_error",
                            getattr(error, "message", "") or "An unexpected error occurred. Please try again.",
                            headers={"Retry-After": str(retry_after)} if retry_after else None)


def _is_gateway_error(exc: Exception) -> bool:
    return isinstance(exc, PluginUnavailable) or hasattr(getattr(exc, "error", None), "status_code")


async def _body(request: web.Request, name: str) -> dict:
    return await read_json_object(request, name, max_payload_bytes(_host(request).config.config))


def _user_id_param(request: web.Request, session: auth.Session) -> str:
    """The {user_id} of the path; `me` is the caller (Mattermost's RequireUserId)."""
    user_id = request.match_info["user_id"]
    if user_id == "me":
        user_id = session.user_id
    if not is_valid_id(user_id):
        raise invalid_url_param("user_id")
    return user_id


def _missing_user() -> AppErrorResponse:
    return AppErrorResponse(404, "app.user.missing_account.const", "Unable to find the user.")


def user_json_for(user: User, session: auth.Session) -> dict:
    """Mattermost's Sanitize (self, admin) or SanitizeProfile (anyone else: no notification or password data)."""
    data = user.to_json()
    if session.user_id != user.id and not session.is_system_admin:
        for key in ("notify_props", "last_password_update", "mfa_active", "failed_attempts"):
            data.pop(key, None)
    return data


# --- POST /api/v4/users ----------------------------------------------------------------------------------------

async def register_user(host, session: auth.Session | None, email: str, username: str, password: str,
                        **profile) -> User:
    """Mattermost's createUser for a caller: a system admin creates any account; anyone else signs up (the first
    account of a fresh server becomes its system admin; later ones need TeamSettings.EnableOpenServer). Raises
    AccountError. The sign-up page uses this too."""
    accounts = host.accounts
    rules = PasswordRules.from_config(host.config.config)
    if session is not None and session.is_system_admin:
        return await asyncio.to_thread(accounts.create_user, email, username, password, rules=rules, **profile)
    open_server = bool((host.config.config.get("TeamSettings") or {}).get("EnableOpenServer", False))
    if not open_server and accounts.count_users() > 0:  # before validation, as Mattermost checks it
        raise AccountError("api.user.create_user.no_open_server",
                           "This server does not allow open signups. Please speak with your "
                           "Administrator to receive an invitation.", 403)
    return await asyncio.to_thread(accounts.signup, email, username, password, open_server, rules=rules,
                                   **profile)


async def create_user(request: web.Request) -> web.Response:
    host = _host(request)
    body = await _body(request, "user")
    email = get_str(body, "email", required=True)
    username = get_str(body, "username", required=True)
    password = get_str(body, "password", required=True)
    profile = {key: get_str(body, key) for key in ("first_name", "last_name", "nickname", "locale")}
    session = await auth.optional_session(request)
    try:
        user = await register_user(host, session, email, username, password, **profile)
    except AccountError as exc:
        raise _account_error(exc) from None
    log.info("user created", extra={"user_id": user.id, "roles": user.roles})
    return json_response(request, user.to_json(), status=201)


# --- POST /api/v4/users/login, /logout -------------------------------------------------------------------------

def _session_props(request: web.Request) -> dict:
    agent = request.headers.get("User-Agent", "")
    return {"platform": "", "os": "", "browser": agent[:128], "is_mobile": "false", "is_saml": "false",
            "is_oauth_user": "false", "is_guest": "false"}


def start_session(request: web.Request, user: User):
    """A new web session for a user who just proved their password: answers (token, session record, cookie max age
    in seconds). ServiceSettings.SessionLengthWebInHours sets its lifetime. The log-in page uses this too."""
    host = _host(request)
    service = host.config.config.get("ServiceSettings") or {}
    hours = service.get("SessionLengthWebInHours", 720)
    hours = hours if isinstance(hours, int) and not isinstance(hours, bool) and hours > 0 else 720
    token, record = host.accounts.create_session(user.id, hours * 3600 * 1000, _session_props(request))
    log.info("user logged in", extra={"user_id": user.id, "session_id": record.id, "remote_addr": request.remote})
    return token, record, hours * 3600


async def authenticate(request: web.Request, login_id: str, password: str) -> User:
    """The user with this login id and password (ServiceSettings.MaximumLoginAttempts, the address's budget); raises
    AccountError. The log-in page uses this too."""
    host = _host(request)
    limit = maximum_login_attempts(host.config.config)
    return await login_throttle.check_password(
        request, lambda: asyncio.to_thread(host.accounts.authenticate, login_id, password, limit))


async def login(request: web.Request) -> web.Response:
    body = await _body(request, "login_id")
    login_id = get_str(body, "login_id", required=True)
    password = get_str(body, "password", required=True)
    if not password:
        raise AppErrorResponse(400, "api.user.login.blank_pwd.app_error", "Password field must not be blank")
    try:
        user = await authenticate(request, login_id, password)
    except AccountError as exc:
        raise _account_error(exc) from None
    token, record, max_age = start_session(request, user)
    response = json_response(request, user.to_json(), headers={"Token": token})
    # Mattermost sets the cookies only for its web app (which sends X-Requested-With); API clients use the header.
    if request.headers.get(auth.HEADER_REQUESTED_WITH) == auth.REQUESTED_WITH_XML:
        auth.attach_session_cookies(response, request, token, user.id, record.csrf_token, max_age)
    return response


async def logout(request: web.Request) -> web.Response:
    host = _host(request)
    session = await auth.optional_session(request)
    if session is not None and not session.local:
        if session.is_oauth:
            gateway = getattr(host, "gateway", None)
            if gateway is not None:
                try:
                    await gateway.revoke_oauth_token(session.token)
                except Exception as exc:  # noqa: BLE001 - gateway errors become their Mattermost answers
                    if not _is_gateway_error(exc):
                        raise
                    raise gateway_error(exc) from None
        elif session.session_id:
            host.accounts.revoke_session(session.session_id)
    response = status_ok(request)
    auth.clear_session_cookies(response, request)
    return response


# --- GET /api/v4/users/{user_id} (and me) ----------------------------------------------------------------------

async def get_user(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    user_id = _user_id_param(request, session)
    user = session.user if session.user is not None and session.user.id == user_id else None
    if user is None:
        user = _host(request).accounts.get_user(user_id)
    if user is None:
        raise _missing_user()
    return json_response(request, user_json_for(user, session))


# --- PUT /api/v4/users/{user_id}/password -----------------------------------------------------------------------

async def update_password(request: web.Request) -> web.Response:
    """Mattermost's updatePassword: {"current_password", "new_password"}. Users change their own (the current
    password is checked and counted like a login); someone with sysconsole_write_user_management_users (for a
    system admin's account: manage_system) sets anyone else's without it, which also unlocks the account. The new
    password must pass PasswordSettings. The user's other host sessions end (unlike Mattermost)."""
    host = _host(request)
    session = await auth.require_session(request)
    user_id = _user_id_param(request, session)
    body = await _body(request, "new_password")
    new_password = get_str(body, "new_password")
    if get_str(body, "already_hashed") == "true":
        raise invalid_body_param("already_hashed")  # the host takes no password hashes
    target = host.accounts.get_user(user_id)
    if target is not None and target.is_system_admin:
        may_set = session.has_permission(perms.MANAGE_SYSTEM)
    else:
        may_set = session.has_permission(perms.SYSCONSOLE_WRITE_USER_MANAGEMENT_USERS)
    own = user_id == session.user_id
    if own:
        current = get_str(body, "current_password")
        if not current:
            raise invalid_body_param("current_password")
        checks = (current, maximum_login_attempts(host.config.config), session.session_id)
    elif may_set and target is not None:
        checks = ()
    else:
        raise AppErrorResponse(403, "api.user.update_password.context.app_error",
                               "Update password failed because context user_id did not match props user_id.")
    rules = PasswordRules.from_config(host.config.config)

    def change():
        return asyncio.to_thread(host.accounts.change_password, user_id, new_password, rules, *checks)

    try:
        user = await (login_throttle.check_password(request, change) if own else change())
    except AccountError as exc:
        raise _account_error(exc) from None
    if user is None:
        raise _missing_user()
    log.info("user password changed", extra={"user_id": user_id, "by": session.user_id})
    return status_ok(request)


# --- PUT /api/v4/users/{user_id}/active ------------------------------------------------------------------------

async def update_user_active(request: web.Request) -> web.Response:
    host = _host(request)
    session = await auth.require_session(request)
    user_id = _user_id_param(request, session)
    body = await _body(request, "active")
    active = get_bool(body, "active", required=True)
    self_deactivate = not active and user_id == session.user_id
    if not self_deactivate and not session.has_permission(perms.MANAGE_SYSTEM):
        raise AppErrorResponse(403, "api.user.update_active.permissions.app_error",
                               "You do not have the appropriate permissions.")
    team = host.config.config.get("TeamSettings") or {}
    if self_deactivate and not team.get("EnableUserDeactivation", False):
        raise AppErrorResponse(401, "api.user.update_active.not_enable.app_error",
                               "You cannot deactivate yourself because this feature is not enabled. "
                               "Please contact your System Administrator.")
    if active and user_id in revocations.pending(host.accounts):
        await _revoke_oauth_grants(host, user_id)  # a deactivation the plugin missed: its tokens go before reactivating
    user = host.accounts.set_active(user_id, active)  # deactivation revokes the user's host sessions
    if user is None:
        raise _missing_user()
    log.info("user active changed", extra={"user_id": user_id, "active": active, "by": session.user_id})
    if not active:
        await _revoke_oauth_grants(host, user_id)
    return status_ok(request)


async def _revoke_oauth_grants(host, user_id: str) -> None:
    """A deactivated user's OAuth tokens and pending codes go too. With the OAuth provider disabled (501) there is
    nothing to revoke now (its tokens are refused while the account is inactive anyway); while it (re)starts the
    caller gets its 503 and Retry-After, and repeating the request finishes the job."""
    gateway = getattr(host, "gateway", None)
    if gateway is None:
        return
    revocations.remember(host.accounts, user_id)  # owed until the plugin has it (delivered at its next activation)
    try:
        await gateway.revoke_user(user_id)
    except Exception as exc:  # noqa: BLE001
        if not _is_gateway_error(exc):
            raise
        if isinstance(exc, PluginUnavailable) and exc.status == 501:
            log.info("OAuth provider disabled: no OAuth grants revoked", extra={"user_id": user_id})
            return
        log.warning("could not revoke the OAuth grants of a deactivated user", extra={"user_id": user_id})
        raise gateway_error(exc) from None
    revocations.forget(host.accounts, [user_id])


# --- PUT /api/v4/users/{user_id}/roles -------------------------------------------------------------------------

async def update_user_roles(request: web.Request) -> web.Response:
    """Mattermost's updateUserRoles: body {"roles": "system_user system_admin"}, manage_roles only. The new roles
    apply to the user's live sessions and OAuth tokens at their next request."""
    host = _host(request)
    session = await auth.require_session(request)
    user_id = _user_id_param(request, session)
    body = await _body(request, "roles")
    names = perms.split_roles(get_str(body, "roles", required=True))
    known = {role.name for role in host.accounts.get_roles_by_names(names)}
    if not names or any(name not in known for name in names) or names == [perms.SYSTEM_ADMIN_ROLE]:
        raise invalid_body_param("roles")  # Mattermost's IsValidUserRoles, and the roles must exist
    auth.require_permission(session, perms.MANAGE_ROLES)
    user = host.accounts.set_user_roles(user_id, " ".join(dict.fromkeys(names)))
    if user is None:
        raise _missing_user()
    log.info("user roles changed", extra={"user_id": user_id, "roles": user.roles, "by": session.user_id})
    return status_ok(request)


def add_routes(app: web.Application) -> None:
    login_throttle.install(app)
    app.router.add_post("/api/v4/users", create_user)
    app.router.add_post("/api/v4/users/login", login)
    app.router.add_post("/api/v4/users/logout", logout)
    app.router.add_get("/api/v4/users/{user_id}", get_user)
    app.router.add_put("/api/v4/users/{user_id}/password", update_password)
    app.router.add_put("/api/v4/users/{user_id}/active", update_user_active)
    app.router.add_put("/api/v4/users/{user_id}/roles", update_user_roles)

"""Integrations > OAuth 2.0 Applications, and Account Settings > Security > OAuth 2.0 Applications.

Every page asks the plugin through the gateway (the host knows no OAuth rules): who may list, edit or trust an
app, and what a valid app is, are the plugin's answers. Its validation messages are shown in the form.

| Route | What |
|---|---|
| GET `/integrations/oauth2-apps[?page=N]` | the caller's apps (all apps with manage_system_wide_oauth) |
| GET, POST `/integrations/oauth2-apps/add` | Mattermost's form, plus Public client and Allowed scopes; then Client ID and Secret, once |
| GET, POST `/integrations/oauth2-apps/{app_id}/edit` | edit |
| GET, POST `/integrations/oauth2-apps/{app_id}/delete` | GET asks for confirmation, POST deletes |
| POST `/integrations/oauth2-apps/{app_id}/regenerate` | a new secret, shown once |
| GET `/account/security` | the apps the user authorized |
| POST `/account/security/deauthorize` | revoke one app's tokens and forget the consent |
"""
from __future__ import annotations

import logging

from aiohttp import web

from oauthplugin.v1 import apps_pb2, authorize_pb2, discovery_pb2

from .. import permissions as perms
from ..gateway import RpcFailed
from . import forms, oauth_routes, pages
from .body import query_int32
from .forms import PageError, page

log = logging.getLogger("server_stub.pages")

APPS_PATH = "/integrations/oauth2-apps"
SECURITY_PATH = "/account/security"
PER_PAGE = 50
MAX_PAGE = 10_000
_APP_ID = "{app_id:[A-Za-z0-9]{1,64}}"


async def call(request: web.Request, session, rpc: str, message):
    """An OAuth RPC of the plugin as the signed-in user (RpcFailed / PluginUnavailable become error pages via @page)."""
    message.context.CopyFrom(oauth_routes.request_context(request, session))
    return await request.app[oauth_routes.GATEWAY_KEY].call(rpc, message)


def _page_number(request: web.Request) -> int:
    return min(max(query_int32(request, "page", 0), 0), MAX_PAGE)


def _creator_name(request: web.Request, app) -> str:
    if not app.creator_id:
        return "dynamic client registration"
    user = forms.host_of(request).accounts.get_user(app.creator_id)
    return user.username if user else app.creator_id


# --- the list ----------------------------------------------------------------------------------------------------

@page
async def apps_list(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    number = _page_number(request)
    answer = await call(request, session, "ListApps", apps_pb2.ListAppsRequest(page=number, per_page=PER_PAGE))
    apps = [{"app": app, "creator": _creator_name(request, app)} for app in answer.apps]
    return pages.render("oauth_apps.html", title="OAuth 2.0 Applications", apps=apps, page=number,
                        has_next=len(answer.apps) == PER_PAGE, csrf=session.csrf_token,
                        **forms.nav_context(request, session))


# --- add and edit ------------------------------------------------------------------------------------------------

EMPTY_VALUES = {"name": "", "description": "", "homepage": "", "icon_url": "", "callback_urls": "",
                "is_trusted": False, "is_public": False, "allowed_scopes": [], "post_logout_redirect_uris": "",
                "allow_openid": True, "allow_device_grant": False, "require_pushed": False, "require_dpop": False}


def _form_values(form) -> dict:
    return {
        "name": forms.field(form, "name").strip(),
        "description": forms.field(form, "description").strip(),
        "homepage": forms.field(form, "homepage", 2048).strip(),
        "icon_url": forms.field(form, "icon_url", 2048).strip(),
        "callback_urls": forms.field(form, "callback_urls", 64 * 1024),
        "is_trusted": forms.field(form, "is_trusted") == "true",
        "is_public": forms.field(form, "is_public") == "true",
        "allowed_scopes": [str(name)[:64] for name in form.getall("allowed_scope", [])][:64],
        "post_logout_redirect_uris": forms.field(form, "post_logout_redirect_uris", 64 * 1024),
        "allow_openid": forms.field(form, "allow_openid") == "true",
        "allow_device_grant": forms.field(form, "allow_device_grant") == "true",
        "require_pushed": forms.field(form, "require_pushed") == "true",
        "require_dpop": forms.field(form, "require_dpop") == "true",
    }


def _callback_list(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _app_values(app) -> dict:
    return {"name": app.name, "description": app.description, "homepage": app.homepage, "icon_url": app.icon_url,
            "callback_urls": "\n".join(app.callback_urls), "is_trusted": app.is_trusted,
            "is_public": app.is_public, "allowed_scopes": list(app.allowed_scopes),
            "post_logout_redirect_uris": "\n".join(app.post_logout_redirect_uris),
            "allow_openid": not app.openid_disabled, "allow_device_grant": app.device_grant_allowed,
            "require_pushed": app.require_pushed_authorization_requests, "require_dpop": app.require_dpop}


async def _form_page(request, session, *, values: dict, app_id: str = "", error: str = "",
                     status: int = 200) -> web.Response:
    """The app form. Allowed scopes: the plugin's scopes; an admin-only one is offered to system admins only (or
    shown when the app already has it)."""
    editing = bool(app_id)
    is_admin = session.has_permission(perms.MANAGE_SYSTEM)
    scopes = (await call(request, session, "ListScopes", discovery_pb2.ListScopesRequest())).scopes
    offered = [scope for scope in scopes if is_admin or not scope.admin_only or scope.name in values["allowed_scopes"]]
    return pages.render("oauth_app_form.html", status=status,
                        title="Edit OAuth 2.0 Application" if editing else "Add OAuth 2.0 Application",
                        values=values, app_id=app_id, error=error, csrf=session.csrf_token,
                        can_trust=is_admin, scopes=offered, **forms.nav_context(request, session))


def _secret_page(request, session, app, heading: str) -> web.Response:
    return pages.render("oauth_app_secret.html", title=heading, heading=heading, app=app,
                        **forms.nav_context(request, session))


@page
async def add_page(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    return await _form_page(request, session, values=dict(EMPTY_VALUES))


@page
async def add_submit(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    form = await forms.check_csrf(request, session)
    values = _form_values(form)
    can_trust = session.has_permission(perms.MANAGE_SYSTEM)
    message = apps_pb2.CreateAppRequest(
        name=values["name"], description=values["description"], homepage=values["homepage"],
        icon_url=values["icon_url"], callback_urls=_callback_list(values["callback_urls"]),
        is_trusted=values["is_trusted"] and can_trust, is_public=values["is_public"],
        allowed_scopes=values["allowed_scopes"],
        post_logout_redirect_uris=_callback_list(values["post_logout_redirect_uris"]),
        openid_disabled=not values["allow_openid"], device_grant_allowed=values["allow_device_grant"],
        require_pushed_authorization_requests=values["require_pushed"], require_dpop=values["require_dpop"])
    try:
        answer = await call(request, session, "CreateApp", message)
    except RpcFailed as failed:
        return await _form_page(request, session, values=values, error=failed.error.message,
                          status=failed.error.status_code or 500)
    log.info("OAuth app created from the Integrations page", extra={"app_id": answer.app.id,
                                                                     "by": session.user_id})
    return _secret_page(request, session, answer.app, "Setup Successful")


async def _get_app(request, session, app_id: str):
    return (await call(request, session, "GetApp", apps_pb2.AppIdRequest(app_id=app_id))).app


@page
async def edit_page(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    app_id = request.match_info["app_id"]
    app = await _get_app(request, session, app_id)
    return await _form_page(request, session, values=_app_values(app), app_id=app_id)


@page
async def edit_submit(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    form = await forms.check_csrf(request, session)
    app_id = request.match_info["app_id"]
    old = await _get_app(request, session, app_id)
    values = _form_values(form)
    values["is_public"] = old.is_public  # a client's type is chosen once, at registration
    if not session.has_permission(perms.MANAGE_SYSTEM):
        values["is_trusted"] = old.is_trusted
    app = apps_pb2.OAuthApp(
        id=app_id, name=values["name"], description=values["description"], homepage=values["homepage"],
        icon_url=values["icon_url"], callback_urls=_callback_list(values["callback_urls"]),
        is_trusted=values["is_trusted"], mattermost_app_id=old.mattermost_app_id,
        allowed_scopes=values["allowed_scopes"],
        post_logout_redirect_uris=_callback_list(values["post_logout_redirect_uris"]),
        openid_disabled=not values["allow_openid"], device_grant_allowed=values["allow_device_grant"],
        require_pushed_authorization_requests=values["require_pushed"], require_dpop=values["require_dpop"])
    try:
        await call(request, session, "UpdateApp", apps_pb2.UpdateAppRequest(app_id=app_id, app=app,
                                                                            set_allowed_scopes=True))
    except RpcFailed as failed:
        return await _form_page(request, session, values=values, app_id=app_id, error=failed.error.message,
                          status=failed.error.status_code or 500)
    raise forms.see_other(APPS_PATH)


# --- delete and regenerate ---------------------------------------------------------------------------------------

@page
async def delete_page(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    app = await _get_app(request, session, request.match_info["app_id"])
    return pages.render("oauth_app_delete.html", title="Delete OAuth 2.0 Application", app=app,
                        csrf=session.csrf_token, **forms.nav_context(request, session))


@page
async def delete_submit(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    await forms.check_csrf(request, session)
    app_id = request.match_info["app_id"]
    await call(request, session, "DeleteApp", apps_pb2.AppIdRequest(app_id=app_id))
    log.info("OAuth app deleted from the Integrations page", extra={"app_id": app_id, "by": session.user_id})
    raise forms.see_other(APPS_PATH)


@page
async def regenerate_submit(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    await forms.check_csrf(request, session)
    app_id = request.match_info["app_id"]
    answer = await call(request, session, "RegenerateSecret", apps_pb2.AppIdRequest(app_id=app_id))
    log.info("OAuth app secret regenerated from the Integrations page", extra={"app_id": app_id,
                                                                              "by": session.user_id})
    return _secret_page(request, session, answer.app, "Client Secret Regenerated")


# --- Account Settings > Security -------------------------------------------------------------------------------

@page
async def security_page(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    answer = await call(request, session, "ListAuthorizedApps", apps_pb2.ListAuthorizedAppsRequest(
        user_id=session.user_id, page=0, per_page=200))
    return pages.render("account_security.html", title="Security", apps=list(answer.apps),
                        csrf=session.csrf_token, **forms.nav_context(request, session))


@page
async def deauthorize_submit(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    form = await forms.check_csrf(request, session)
    client_id = forms.field(form, "client_id", 64)
    if not client_id:
        raise PageError(400, "Choose an application to deauthorize.")
    await call(request, session, "Deauthorize", authorize_pb2.DeauthorizeRequest(client_id=client_id))
    log.info("OAuth app deauthorized from Account Settings", extra={"client_id": client_id,
                                                                     "by": session.user_id})
    raise forms.see_other(SECURITY_PATH)


def add_routes(app: web.Application) -> None:
    app.router.add_get(APPS_PATH, apps_list)
    app.router.add_get(APPS_PATH + "/add", add_page)
    app.router.add_post(APPS_PATH + "/add", add_submit)
    app.router.add_get(f"{APPS_PATH}/{_APP_ID}/edit", edit_page)
    app.router.add_post(f"{APPS_PATH}/{_APP_ID}/edit", edit_submit)
    app.router.add_get(f"{APPS_PATH}/{_APP_ID}/delete", delete_page)
    app.router.add_post(f"{APPS_PATH}/{_APP_ID}/delete", delete_submit)
    app.router.add_post(f"{APPS_PATH}/{_APP_ID}/regenerate", regenerate_submit)
    app.router.add_get(SECURITY_PATH, security_page)
    app.router.add_post(SECURITY_PATH + "/deauthorize", deauthorize_submit)

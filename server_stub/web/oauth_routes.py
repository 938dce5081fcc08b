"""The OAuth HTTP endpoints, built from the routes the RPCs declare in proto/oauthplugin/v1/ (options.proto).

Each RPC that declares a `route` gets a handler here: it reads the HTTP request the way Mattermost does,
calls the RPC through the gateway with the caller's RequestContext, and writes the answer in Mattermost's wire
format. An RPC that takes a client's request as it came (ClientHttpRequest: the token endpoint, revocation,
introspection, registration) and answers it whole (HttpAnswer) needs no handler of its own: `_client_rpc` passes the request on
and writes the answer as it is. Any other RPC with a route but no handler is a start-up error, so the contract and
the router cannot drift.
"""
from __future__ import annotations

import json
import logging
import urllib.parse
from typing import Awaitable, Callable

from aiohttp import web

from oauthplugin.v1 import (
    apps_pb2, audit_pb2, authorize_pb2, common_pb2, discovery_pb2, openid_pb2, options_pb2, services,
)

from ..gateway import PluginUnavailable, RpcFailed
from . import auth, pages
from .body import max_payload_bytes, query_int32, read_json
from .keys import HOST_KEY
from .responses import AppErrorResponse, app_error, json_bytes_response, json_response, request_id

log = logging.getLogger("server_stub.oauth")

GATEWAY_KEY = web.AppKey("gateway", object)


class BadBody(Exception):
    """The request body is not what the route takes: 400 invalid_body_param naming `name`."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def invalid_body(request: web.Request, name: str) -> web.Response:
    return app_error(request, 400, "api.context.invalid_body_param.app_error",
                     f"Invalid or missing {name} in request body.")


def retry_headers(error: common_pb2.AppError) -> dict | None:
    """Retry-After when the plugin asks for it (429 rate limits, 503 while its database is unreachable)."""
    return {"Retry-After": str(error.retry_after_seconds)} if error.retry_after_seconds else None


def rpc_error(request: web.Request, error: common_pb2.AppError) -> web.Response:
    headers = retry_headers(error)
    return app_error(request, error.status_code or 500, error.id, error.message, error.detailed_error,
                     headers=headers)


def unavailable(request: web.Request, exc: PluginUnavailable) -> web.Response:
    return app_error(request, exc.status, exc.error_id, exc.message, headers=exc.headers)


def request_context(request: web.Request, session=None) -> common_pb2.RequestContext:
    return common_pb2.RequestContext(
        request_id=request_id(request),
        user_id=getattr(session, "user_id", "") or "",
        session_id=getattr(session, "session_id", "") or "",
        permissions=sorted(getattr(session, "permissions", ()) or ()),
        remote_addr=request.remote or "",  # behind a proxy: its header's (web/client_address.py)
        is_oauth=bool(getattr(session, "is_oauth", False)),
        user_agent=request.headers.get("User-Agent", ""),
    )


# --- reading bodies the way Mattermost's server does -----------------------------------------------------------

async def read_json_object(request: web.Request, name: str, allow_null: bool = False) -> dict:
    """The body's JSON object, read by the host's body rules (body.read_json: UTF-8, no lone surrogates, which no
    protobuf string can carry, no absurd nesting); BadBody otherwise."""
    try:
        value = await read_json(request, name, max_payload_bytes(request.app[HOST_KEY].config.config))
    except AppErrorResponse as exc:
        if exc.status_code != 400:
            raise
        raise BadBody(name) from None
    if value is None and allow_null:
        return {}
    if not isinstance(value, dict):
        raise BadBody(name)
    return value


def text_field(body: dict, key: str, name: str) -> str:
    """An optional string: missing or null is "", any other type is a bad body."""
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadBody(name)
    return value


def bool_field(body: dict, key: str, name: str) -> bool:
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadBody(name)
    return value


def list_field(body: dict, key: str, name: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadBody(name)
    return value


def paging(request: web.Request) -> tuple[int, int]:
    """`page` and `per_page` as Mattermost reads them; what it would not read is -1, the domain's default."""
    return query_int32(request, "page"), query_int32(request, "per_page")


APP_TEXT = ("name", "description", "icon_url", "homepage")


def app_json(app: apps_pb2.OAuthApp) -> dict:
    """Mattermost's OAuthApp JSON (is_dynamically_registered only when true, as Go's omitempty)."""
    body = {
        "id": app.id, "creator_id": app.creator_id, "create_at": app.create_at, "update_at": app.update_at,
        "client_secret": app.client_secret, "name": app.name, "description": app.description,
        "icon_url": app.icon_url, "callback_urls": list(app.callback_urls), "homepage": app.homepage,
        "is_trusted": app.is_trusted, "mattermost_app_id": app.mattermost_app_id, "is_public": app.is_public,
        "allowed_scopes": list(app.allowed_scopes),
        "post_logout_redirect_uris": list(app.post_logout_redirect_uris), "openid_disabled": app.openid_disabled,
        "device_grant_allowed": app.device_grant_allowed,
        "require_pushed_authorization_requests": app.require_pushed_authorization_requests,
        "require_dpop": app.require_dpop,
    }
    if app.is_dynamically_registered:
        body["is_dynamically_registered"] = True
    return body


def authorize_fields(values) -> authorize_pb2.AuthorizeRequest:
    return authorize_pb2.AuthorizeRequest(**{
        name: values.get(name) or "" for name in (f.name for f in authorize_pb2.AuthorizeRequest.DESCRIPTOR.fields)})


# --- handlers, one per RPC with a route --------------------------------------------------------------------------

Handler = Callable[[web.Request, object, common_pb2.RequestContext], Awaitable[web.Response]]


async def create_app(request, gateway, ctx):
    body = await read_json_object(request, "oauth_app")
    message = apps_pb2.CreateAppRequest(
        context=ctx, **{k: text_field(body, k, "oauth_app") for k in APP_TEXT},
        callback_urls=list_field(body, "callback_urls", "oauth_app"),
        is_trusted=bool_field(body, "is_trusted", "oauth_app"), is_public=bool_field(body, "is_public", "oauth_app"),
        allowed_scopes=list_field(body, "allowed_scopes", "oauth_app"),
        post_logout_redirect_uris=list_field(body, "post_logout_redirect_uris", "oauth_app"),
        openid_disabled=bool_field(body, "openid_disabled", "oauth_app"),
        device_grant_allowed=bool_field(body, "device_grant_allowed", "oauth_app"),
        require_pushed_authorization_requests=bool_field(body, "require_pushed_authorization_requests", "oauth_app"),
        require_dpop=bool_field(body, "require_dpop", "oauth_app"))
    answer = await gateway.call("CreateApp", message)
    return json_response(request, app_json(answer.app), status=201)


async def list_apps(request, gateway, ctx):
    page, per_page = paging(request)
    answer = await gateway.call("ListApps", apps_pb2.ListAppsRequest(context=ctx, page=page, per_page=per_page))
    return json_response(request, [app_json(a) for a in answer.apps])


def _app_rpc(rpc: str) -> Handler:
    async def handler(request, gateway, ctx):
        answer = await gateway.call(rpc, apps_pb2.AppIdRequest(context=ctx, app_id=request.match_info["app_id"]))
        return json_response(request, app_json(answer.app))
    return handler


async def update_app(request, gateway, ctx):
    body = await read_json_object(request, "oauth_app")
    app_id = request.match_info["app_id"]
    if text_field(body, "id", "oauth_app") != app_id:
        raise BadBody("app_id")
    app = apps_pb2.OAuthApp(
        id=app_id, **{k: text_field(body, k, "oauth_app") for k in APP_TEXT + ("mattermost_app_id",)},
        callback_urls=list_field(body, "callback_urls", "oauth_app"),
        is_trusted=bool_field(body, "is_trusted", "oauth_app"),
        allowed_scopes=list_field(body, "allowed_scopes", "oauth_app"),
        post_logout_redirect_uris=list_field(body, "post_logout_redirect_uris", "oauth_app"),
        openid_disabled=bool_field(body, "openid_disabled", "oauth_app"),
        device_grant_allowed=bool_field(body, "device_grant_allowed", "oauth_app"),
        require_pushed_authorization_requests=bool_field(body, "require_pushed_authorization_requests", "oauth_app"),
        require_dpop=bool_field(body, "require_dpop", "oauth_app"))
    answer = await gateway.call("UpdateApp", apps_pb2.UpdateAppRequest(
        context=ctx, app_id=app_id, app=app, set_allowed_scopes=body.get("allowed_scopes") is not None))
    return json_response(request, app_json(answer.app))


async def delete_app(request, gateway, ctx):
    await gateway.call("DeleteApp", apps_pb2.AppIdRequest(context=ctx, app_id=request.match_info["app_id"]))
    return json_response(request, {"status": "OK"})


async def list_authorized_apps(request, gateway, ctx):
    page, per_page = paging(request)
    answer = await gateway.call("ListAuthorizedApps", apps_pb2.ListAuthorizedAppsRequest(
        context=ctx, user_id=request.match_info["user_id"], page=page, per_page=per_page))
    return json_response(request, [{**app_json(a), "granted_scope": " ".join(s.name for s in a.granted_scopes)}
                                   for a in answer.apps])


async def begin_authorization(request, gateway, ctx):
    """GET /oauth/authorize: a page route, so every error is an error page and never a redirect."""
    query = request.query
    repeated = [key for key in set(query.keys()) if len(query.getall(key)) > 1]
    if repeated:
        return pages.error_page(request, 400, f"invalid_request: repeated parameter {sorted(repeated)[0]}.")
    message = authorize_pb2.BeginAuthorizationRequest(context=ctx, request=authorize_fields(query))
    try:
        answer = await gateway.call("BeginAuthorization", message)
    except RpcFailed as failed:
        return pages.error_page(request, failed.error.status_code or 500, failed.error.message,
                                headers=retry_headers(failed.error))
    if answer.outcome == authorize_pb2.BeginAuthorizationResponse.LOGIN:
        login = {"redirect_to": answer.return_to or request.path_qs}
        if answer.login_hint:
            login["login_hint"] = answer.login_hint
        if answer.reauthenticate:  # OpenID prompt=login or max_age: the password again, even with a session
            login["reauth"] = "1"
        raise web.HTTPFound("/login?" + urllib.parse.urlencode(login))
    if answer.outcome == authorize_pb2.BeginAuthorizationResponse.REDIRECT:
        return delivered(answer)
    # The form posts back the request as it came (a pushed one: client_id and request_uri); the page's form-action
    # names the redirect URI of the request as the plugin reads it.
    return await pages.consent_page(request, answer.app, message.request, answer.scopes, answer.refused_scopes,
                                    redirect_uri=answer.request.redirect_uri)


def delivered(answer) -> web.Response:
    """The authorization response: a redirect, or the form_post page when the plugin gave fields to post."""
    if answer.form_fields:
        return pages.form_post_page(answer.redirect_url, sorted(answer.form_fields.items()))
    raise web.HTTPFound(answer.redirect_url)


async def decide_consent(request, gateway, ctx):
    """POST /oauth/authorize: the consent API (allow), as Mattermost's web app calls it."""
    body = await read_json_object(request, "authorize_request")
    fields = {k: text_field(body, k, "authorize_request")
              for k in (f.name for f in authorize_pb2.AuthorizeRequest.DESCRIPTOR.fields)}
    answer = await gateway.call("DecideConsent", authorize_pb2.ConsentDecisionRequest(
        context=ctx, request=authorize_pb2.AuthorizeRequest(**fields), allow=True))
    body = {"redirect": answer.redirect_url}
    if answer.form_fields:  # response_mode=form_post: what to post to the redirect URI
        body["form_fields"] = dict(answer.form_fields)
    return json_response(request, body)


async def deauthorize(request, gateway, ctx):
    try:
        body = await read_json_object(request, "client_id")
    except BadBody:
        body = {}  # Mattermost reads this body leniently: a bad one is an empty map
    client_id = body.get("client_id") if isinstance(body.get("client_id"), str) else ""
    await gateway.call("Deauthorize", authorize_pb2.DeauthorizeRequest(context=ctx, client_id=client_id))
    return json_response(request, {"status": "OK"})


async def client_http_request(request: web.Request, ctx: common_pb2.RequestContext) -> common_pb2.ClientHttpRequest:
    """A client's request to the token, revocation, introspection or registration endpoint, as it came: the plugin
    reads the body and the client's credentials, and checks a DPoP proof against the method and the public URL."""
    return common_pb2.ClientHttpRequest(
        context=ctx, content_type=request.headers.get("Content-Type", ""), body=await request.read(),
        authorization=request.headers.get("Authorization", ""), dpop=request.headers.getall("DPoP", ()),
        method=request.method, url=auth.public_url(request))


def plugin_answer(request: web.Request, answer: common_pb2.HttpAnswer, body: bytes | None = None) -> web.Response:
    """The plugin's whole answer, written as it is, with the host's own headers (responses.json_bytes_response)."""
    headers = [(header.name, header.value) for header in answer.headers]
    return json_bytes_response(request, answer.body_json if body is None else body, status=answer.status or 500,
                               headers=headers)


def _client_rpc(rpc: str) -> Handler:
    """The handler of every RPC that takes a client's request and answers it whole (Token, Revoke, and the ones
    to come): no host change for a new one."""
    async def handler(request, gateway, ctx):
        return plugin_answer(request, await gateway.call(rpc, await client_http_request(request, ctx)))
    return handler




async def list_audit_events(request, gateway, ctx):
    page, per_page = paging(request)
    answer = await gateway.call("ListAuditEvents", audit_pb2.ListAuditEventsRequest(
        context=ctx, page=page, per_page=per_page))
    return json_response(request, [{
        "id": e.id, "create_at": e.create_at, "type": e.type, "user_id": e.user_id, "client_id": e.client_id,
        "grant_id": e.grant_id, "remote_addr": e.remote_addr, "detail": json.loads(e.detail_json or b"{}"),
    } for e in answer.events])


async def get_metadata(request, gateway, ctx):
    answer = await gateway.call("GetMetadata", discovery_pb2.MetadataRequest(context=ctx))
    return json_response(request, json.loads(answer.metadata_json))


# --- RP-initiated logout (OpenID Connect): the plugin decides, the host asks the user and ends its session ----------

END_SESSION_FIELDS = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id")


async def end_session(request, gateway, ctx):
    """GET (or the relying party's POST) /oauth/end_session: end the session at once when the id_token_hint names
    the signed-in user, else ask first; then on to the registered post_logout_redirect_uri."""
    values = request.query if request.method == "GET" else await _form_or_empty(request)
    return await _end_session(request, gateway, ctx, values, confirmed=False)


async def end_session_confirm(request: web.Request) -> web.Response:
    """The confirmation page's form (CSRF-protected): the user agreed to sign out."""
    import hmac

    session = await auth.optional_session(request, trust_requester=True)
    form = await _form_or_empty(request)
    if session is not None and not hmac.compare_digest(str(form.get("csrf", "")), session.csrf_token or "\0"):
        return pages.error_page(request, 403, "The form has expired. Please go back and try again.")
    return await _end_session(request, request.app[GATEWAY_KEY], request_context(request, session), form,
                              confirmed=True)


async def _form_or_empty(request: web.Request):
    try:
        return await request.post()
    except ValueError:
        return {}


async def _end_session(request, gateway, ctx, values, confirmed: bool) -> web.Response:
    fields = {name: str(values.get(name) or "") for name in END_SESSION_FIELDS}
    try:
        answer = await gateway.call("EndSession", openid_pb2.EndSessionRequest(context=ctx, **fields))
    except RpcFailed as failed:
        return pages.error_page(request, failed.error.status_code or 500, failed.error.message,
                                headers=retry_headers(failed.error))
    except PluginUnavailable as exc:
        return pages.error_page(request, exc.status, exc.message, headers=exc.headers)
    session = await auth.optional_session(request)
    if session is not None and answer.confirm and not confirmed:
        return pages.render("end_session.html", title="Log out", fields=fields, client_name=answer.client_name,
                            csrf=session.csrf_token or "",
                            headers={"Content-Security-Policy": pages.csp([answer.redirect_url])})
    if session is not None and session.session_id:
        request.app[HOST_KEY].accounts.revoke_session(session.session_id)
    response = web.HTTPSeeOther(answer.redirect_url) if answer.redirect_url else \
        pages.render("end_session.html", title="Signed out", fields={}, client_name="", csrf="", signed_out=True)
    auth.clear_session_cookies(response, request)
    if isinstance(response, web.HTTPException):
        raise response
    return response


HANDLERS: dict[str, Handler] = {
    "CreateApp": create_app,
    "ListApps": list_apps,
    "GetApp": _app_rpc("GetApp"),
    "UpdateApp": update_app,
    "DeleteApp": delete_app,
    "RegenerateSecret": _app_rpc("RegenerateSecret"),
    "GetAppInfo": _app_rpc("GetAppInfo"),
    "ListAuthorizedApps": list_authorized_apps,
    "BeginAuthorization": begin_authorization,
    "DecideConsent": decide_consent,
    "Deauthorize": deauthorize,
    "ListAuditEvents": list_audit_events,
    "GetMetadata": get_metadata,
    "EndSession": end_session,
}


def declared_routes() -> list[tuple[str, options_pb2.HttpRoute]]:
    """(RPC name, route) of every RPC of the plugin's services that declares a route."""
    routes = []
    for name, method in services.methods().items():
        options = method.GetOptions()
        if options.HasExtension(options_pb2.route):
            routes.append((name, options.Extensions[options_pb2.route]))
    return routes


def _endpoint(rpc: str, route: options_pb2.HttpRoute, handler: Handler):
    page = route.method == "GET" and not route.path.startswith("/api/")  # browser pages answer HTML

    async def endpoint(request: web.Request) -> web.Response:
        gateway = request.app[GATEWAY_KEY]
        try:
            if route.auth == "session":
                session = await auth.require_session(request)
            elif route.auth == "optional":
                session = await auth.optional_session(request)
            else:
                session = None
            return await handler(request, gateway, request_context(request, session))
        except BadBody as exc:
            return invalid_body(request, exc.name)
        except RpcFailed as failed:
            return rpc_error(request, failed.error)
        except PluginUnavailable as exc:
            if page:
                return pages.error_page(request, exc.status, exc.message, headers=exc.headers)
            return unavailable(request, exc)

    endpoint.__name__ = f"oauth_{rpc}"
    return endpoint


def handler_for(rpc: str) -> Handler | None:
    """The RPC's own handler, else the one for a client's request answered whole, when the RPC is one."""
    if rpc in HANDLERS:
        return HANDLERS[rpc]
    method = services.method(rpc)
    if method is not None and method.input_type is common_pb2.ClientHttpRequest.DESCRIPTOR \
            and method.output_type is common_pb2.HttpAnswer.DESCRIPTOR:
        return _client_rpc(rpc)
    return None


def add_oauth_routes(app: web.Application) -> None:
    for rpc, route in declared_routes():
        handler = handler_for(rpc)
        if handler is None:
            raise RuntimeError(f"{rpc} declares route {route.method} {route.path} but has no handler")
        app.router.add_route(route.method, route.path, _endpoint(rpc, route, handler))
    app.router.add_post("/oauth/authorize/decision", consent_decision)
    app.router.add_post("/oauth/end_session", _endpoint("EndSession", options_pb2.HttpRoute(
        method="POST", path="/oauth/end_session", auth="optional"), end_session))  # the RP may POST (section 3)
    app.router.add_post("/oauth/end_session/confirm", end_session_confirm)


async def consent_decision(request: web.Request) -> web.Response:
    """The consent page's form: Allow or Deny, protected by the session's CSRF token; 303 to the answer."""
    import hmac

    session = await auth.optional_session(request, trust_requester=True)  # the form's csrf field is checked here
    try:
        form = await request.post()
    except ValueError:  # not UTF-8 (UnicodeDecodeError), or a malformed multipart body
        return pages.error_page(request, 400, "The form could not be read.")
    if session is None:
        return pages.error_page(request, 401, "Your session has expired. Please log in again.")
    if not hmac.compare_digest(str(form.get("csrf", "")), session.csrf_token or "\0"):
        return pages.error_page(request, 403, "The form has expired. Please go back and try again.")
    decision = form.get("decision")
    if decision not in ("allow", "deny"):
        return pages.error_page(request, 400, "Please choose Allow or Deny.")
    message = authorize_pb2.ConsentDecisionRequest(
        context=request_context(request, session), request=authorize_fields(form), allow=decision == "allow")
    try:
        answer = await request.app[GATEWAY_KEY].call("DecideConsent", message)
    except RpcFailed as failed:
        return pages.error_page(request, failed.error.status_code or 500, failed.error.message,
                                headers=retry_headers(failed.error))
    except PluginUnavailable as exc:
        return pages.error_page(request, exc.status, exc.message, headers=exc.headers)
    if answer.form_fields:
        return pages.form_post_page(answer.redirect_url, sorted(answer.form_fields.items()))
    raise web.HTTPSeeOther(answer.redirect_url)

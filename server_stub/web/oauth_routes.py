"""The OAuth HTTP endpoints, built from the routes declared in proto/oauthplugin/v1/oauth.proto.

Each RPC that declares a `route` gets a handler here: it reads the HTTP request the way Mattermost does,
calls the RPC through the gateway with the caller's RequestContext, and writes the answer in Mattermost's wire
format. An RPC with a route but no handler is a start-up error, so the contract and the router cannot drift.
"""
from __future__ import annotations

import base64
import json
import logging
import urllib.parse
from typing import Awaitable, Callable

from aiohttp import web

from oauthplugin.v1 import common_pb2, oauth_pb2

from ..gateway import PluginUnavailable, RpcFailed
from . import auth, pages
from .body import max_payload_bytes, read_json
from .keys import HOST_KEY
from .responses import AppErrorResponse, app_error, json_response, request_id

log = logging.getLogger("server_stub.oauth")

GATEWAY_KEY = web.AppKey("gateway", object)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="oauth"'}


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
        remote_addr=request.remote or "",
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
    def number(key: str) -> int:
        try:
            return int(request.query.get(key, ""))
        except ValueError:
            return -1  # the domain falls back to the default
    return number("page"), number("per_page")


APP_TEXT = ("name", "description", "icon_url", "homepage")


def app_json(app: oauth_pb2.OAuthApp) -> dict:
    """Mattermost's OAuthApp JSON (is_dynamically_registered only when true, as Go's omitempty)."""
    body = {
        "id": app.id, "creator_id": app.creator_id, "create_at": app.create_at, "update_at": app.update_at,
        "client_secret": app.client_secret, "name": app.name, "description": app.description,
        "icon_url": app.icon_url, "callback_urls": list(app.callback_urls), "homepage": app.homepage,
        "is_trusted": app.is_trusted, "mattermost_app_id": app.mattermost_app_id, "is_public": app.is_public,
    }
    if app.is_dynamically_registered:
        body["is_dynamically_registered"] = True
    return body


def authorize_fields(values) -> oauth_pb2.AuthorizeRequest:
    return oauth_pb2.AuthorizeRequest(**{
        name: values.get(name) or "" for name in (f.name for f in oauth_pb2.AuthorizeRequest.DESCRIPTOR.fields)})


# --- handlers, one per RPC with a route --------------------------------------------------------------------------

Handler = Callable[[web.Request, object, common_pb2.RequestContext], Awaitable[web.Response]]


async def create_app(request, gateway, ctx):
    body = await read_json_object(request, "oauth_app")
    message = oauth_pb2.CreateAppRequest(
        context=ctx, **{k: text_field(body, k, "oauth_app") for k in APP_TEXT},
        callback_urls=list_field(body, "callback_urls", "oauth_app"),
        is_trusted=bool_field(body, "is_trusted", "oauth_app"), is_public=bool_field(body, "is_public", "oauth_app"))
    answer = await gateway.call("CreateApp", message)
    return json_response(request, app_json(answer.app), status=201)


async def list_apps(request, gateway, ctx):
    page, per_page = paging(request)
    answer = await gateway.call("ListApps", oauth_pb2.ListAppsRequest(context=ctx, page=page, per_page=per_page))
    return json_response(request, [app_json(a) for a in answer.apps])


def _app_rpc(rpc: str) -> Handler:
    async def handler(request, gateway, ctx):
        answer = await gateway.call(rpc, oauth_pb2.AppIdRequest(context=ctx, app_id=request.match_info["app_id"]))
        return json_response(request, app_json(answer.app))
    return handler


async def update_app(request, gateway, ctx):
    body = await read_json_object(request, "oauth_app")
    app_id = request.match_info["app_id"]
    if text_field(body, "id", "oauth_app") != app_id:
        raise BadBody("app_id")
    app = oauth_pb2.OAuthApp(
        id=app_id, **{k: text_field(body, k, "oauth_app") for k in APP_TEXT + ("mattermost_app_id",)},
        callback_urls=list_field(body, "callback_urls", "oauth_app"),
        is_trusted=bool_field(body, "is_trusted", "oauth_app"))
    answer = await gateway.call("UpdateApp", oauth_pb2.UpdateAppRequest(context=ctx, app_id=app_id, app=app))
    return json_response(request, app_json(answer.app))


async def delete_app(request, gateway, ctx):
    await gateway.call("DeleteApp", oauth_pb2.AppIdRequest(context=ctx, app_id=request.match_info["app_id"]))
    return json_response(request, {"status": "OK"})


async def list_authorized_apps(request, gateway, ctx):
    page, per_page = paging(request)
    answer = await gateway.call("ListAuthorizedApps", oauth_pb2.ListAuthorizedAppsRequest(
        context=ctx, user_id=request.match_info["user_id"], page=page, per_page=per_page))
    return json_response(request, [app_json(a) for a in answer.apps])


async def begin_authorization(request, gateway, ctx):
    """GET /oauth/authorize: a page route, so every error is an error page and never a redirect."""
    query = request.query
    repeated = [key for key in set(query.keys()) if len(query.getall(key)) > 1]
    if repeated:
        return pages.error_page(request, 400, f"invalid_request: repeated parameter {sorted(repeated)[0]}.")
    message = oauth_pb2.BeginAuthorizationRequest(context=ctx, request=authorize_fields(query))
    try:
        answer = await gateway.call("BeginAuthorization", message)
    except RpcFailed as failed:
        return pages.error_page(request, failed.error.status_code or 500, failed.error.message,
                                headers=retry_headers(failed.error))
    if answer.outcome == oauth_pb2.BeginAuthorizationResponse.LOGIN:
        raise web.HTTPFound("/login?" + urllib.parse.urlencode({"redirect_to": request.path_qs}))
    if answer.outcome == oauth_pb2.BeginAuthorizationResponse.REDIRECT:
        raise web.HTTPFound(answer.redirect_url)
    return await pages.consent_page(request, answer.app, message.request)


async def decide_consent(request, gateway, ctx):
    """POST /oauth/authorize: the consent API (allow), as Mattermost's web app calls it."""
    body = await read_json_object(request, "authorize_request")
    fields = {k: text_field(body, k, "authorize_request")
              for k in (f.name for f in oauth_pb2.AuthorizeRequest.DESCRIPTOR.fields)}
    answer = await gateway.call("DecideConsent", oauth_pb2.ConsentDecisionRequest(
        context=ctx, request=oauth_pb2.AuthorizeRequest(**fields), allow=True))
    return json_response(request, {"redirect": answer.redirect_url})


async def deauthorize(request, gateway, ctx):
    try:
        body = await read_json_object(request, "client_id")
    except BadBody:
        body = {}  # Mattermost reads this body leniently: a bad one is an empty map
    client_id = body.get("client_id") if isinstance(body.get("client_id"), str) else ""
    await gateway.call("Deauthorize", oauth_pb2.DeauthorizeRequest(context=ctx, client_id=client_id))
    return json_response(request, {"status": "OK"})


class ClientAuthError(Exception):
    pass


def basic_credentials(request: web.Request) -> tuple[str, str] | None:
    """client_secret_basic (RFC 6749 section 2.3.1): id and secret form-urlencoded, then base64."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-8 once decoded
        raise ClientAuthError() from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise ClientAuthError()
    return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)


def token_error(request: web.Request, status: int, error_id: str, message: str, oauth_error: str,
                headers: dict | None = None) -> web.Response:
    """AppError JSON with RFC 6749's `error` and `error_description` beside it, and no-store."""
    description = message.split(": ", 1)[1] if message.startswith(oauth_error + ": ") else message
    # RFC 6749 section 5.2: error_description holds only %x20-21 / %x23-5B / %x5D-7E (a message may quote input).
    description = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in description)
    body = {"id": error_id, "message": message, "detailed_error": "", "request_id": request_id(request),
            "status_code": status, "error": oauth_error or "invalid_request", "error_description": description}
    return json_response(request, body, status=status, headers={**NO_STORE, **(headers or {})})


class FormRefused(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


async def read_client_form(request: web.Request, fields: list[str]) -> tuple[dict, bool]:
    """The form of the token, revocation and introspection endpoints with the client's credentials, from the
    body (client_secret_post) or the Authorization header (client_secret_basic); (values, used_basic).
    Repeated parameters and two authentication methods at once are invalid_request (RFC 6749 sections 3.2, 2.3)."""
    def refuse(status, error_id, message, oauth_error, headers=None):
        return FormRefused(token_error(request, status, error_id, message, oauth_error, headers))

    form: dict[str, str] = {}
    if request.content_type == "application/x-www-form-urlencoded":
        try:
            pairs = urllib.parse.parse_qsl((await request.read()).decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise refuse(400, "api.oauth.get_access_token.bad_request.app_error", "invalid_request: Bad request.",
                         "invalid_request") from None
        for key, value in pairs:
            if key in form:
                raise refuse(400, "api.oauth.get_access_token.bad_request.app_error",
                             f"invalid_request: Repeated parameter {key}.", "invalid_request")
            form[key] = value
    try:
        basic = basic_credentials(request)
    except ClientAuthError:
        raise refuse(401, "api.oauth.get_access_token.credentials.app_error",
                     "invalid_client: Invalid client credentials.", "invalid_client", BASIC_CHALLENGE) from None
    values = {k: form.get(k, "") for k in fields}
    if basic is not None:
        if form.get("client_secret"):
            raise refuse(400, "api.oauth.get_access_token.bad_request.app_error",
                         "invalid_request: More than one client authentication method.", "invalid_request")
        if form.get("client_id") and form["client_id"] != basic[0]:
            raise refuse(400, "api.oauth.get_access_token.bad_request.app_error",
                         "invalid_request: client_id does not match the authenticated client.", "invalid_request")
        values["client_id"], values["client_secret"] = basic
    return values, basic is not None


def client_rpc_error(request: web.Request, error: common_pb2.AppError, used_basic: bool) -> web.Response:
    status, headers = error.status_code or 500, {}
    if used_basic and error.oauth_error == "invalid_client":
        status, headers = 401, dict(BASIC_CHALLENGE)
    if error.retry_after_seconds:
        headers["Retry-After"] = str(error.retry_after_seconds)
    return token_error(request, status, error.id, error.message, error.oauth_error, headers)


async def client_call(request, gateway, rpc: str, message_type, ctx):
    """Read the client form, call `rpc`; (answer, None) or (None, error response)."""
    fields = [f.name for f in message_type.DESCRIPTOR.fields if f.name != "context"]
    try:
        values, used_basic = await read_client_form(request, fields)
    except FormRefused as refused:
        return None, refused.response
    try:
        return await gateway.call(rpc, message_type(context=ctx, **values)), None
    except RpcFailed as failed:
        return None, client_rpc_error(request, failed.error, used_basic)


async def token(request, gateway, ctx):
    answer, refused = await client_call(request, gateway, "Token", oauth_pb2.TokenRequest, ctx)
    if refused is not None:
        return refused
    body = {"access_token": answer.access_token, "token_type": answer.token_type, "expires_in": answer.expires_in,
            "scope": answer.scope, "refresh_token": answer.refresh_token, "id_token": answer.id_token}
    if answer.audience:
        body["audience"] = answer.audience
    return json_response(request, body, headers=NO_STORE)


async def revoke(request, gateway, ctx):
    """RFC 7009: 200 whether or not the token was valid."""
    answer, refused = await client_call(request, gateway, "Revoke", oauth_pb2.TokenActionRequest, ctx)
    if refused is not None:
        return refused
    return web.Response(status=200, headers={**NO_STORE, "X-Request-Id": request_id(request)})


async def introspect(request, gateway, ctx):
    """RFC 7662; the plugin gives the username (it asks the host through HostAPI)."""
    answer, refused = await client_call(request, gateway, "Introspect", oauth_pb2.TokenActionRequest, ctx)
    if refused is not None:
        return refused
    if not answer.active:
        return json_response(request, {"active": False}, headers=NO_STORE)
    body = {"active": True, "scope": answer.scope, "client_id": answer.client_id, "token_type": answer.token_type,
            "exp": answer.exp, "iat": answer.iat, "sub": answer.sub, "iss": answer.iss}
    if answer.aud:
        body["aud"] = answer.aud
    if answer.username:
        body["username"] = answer.username
    return json_response(request, body, headers=NO_STORE)


async def list_audit_events(request, gateway, ctx):
    page, per_page = paging(request)
    answer = await gateway.call("ListAuditEvents", oauth_pb2.ListAuditEventsRequest(
        context=ctx, page=page, per_page=per_page))
    return json_response(request, [{
        "id": e.id, "create_at": e.create_at, "type": e.type, "user_id": e.user_id, "client_id": e.client_id,
        "grant_id": e.grant_id, "remote_addr": e.remote_addr, "detail": json.loads(e.detail_json or b"{}"),
    } for e in answer.events])


async def register_client(request, gateway, ctx):
    raw = await request.read()
    try:
        answer = await gateway.call("RegisterClient", oauth_pb2.RegisterClientRequest(
            context=ctx, metadata_json=raw))
    except RpcFailed as failed:
        return json_response(request, {"error": failed.error.oauth_error or "invalid_client_metadata",
                                       "error_description": failed.error.message},
                             status=failed.error.status_code or 400, headers=retry_headers(failed.error))
    body = {"client_id": answer.client_id}
    if answer.client_secret:
        body["client_secret"] = answer.client_secret
    body.update({"client_id_issued_at": answer.client_id_issued_at, "redirect_uris": list(answer.redirect_uris),
                 "token_endpoint_auth_method": answer.token_endpoint_auth_method,
                 "grant_types": list(answer.grant_types), "response_types": list(answer.response_types),
                 "scope": answer.scope})
    if answer.client_name:
        body["client_name"] = answer.client_name
    if answer.client_uri:
        body["client_uri"] = answer.client_uri
    return json_response(request, body, status=201, headers=NO_STORE)


async def get_metadata(request, gateway, ctx):
    answer = await gateway.call("GetMetadata", oauth_pb2.MetadataRequest(context=ctx))
    return json_response(request, json.loads(answer.metadata_json))


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
    "Token": token,
    "Revoke": revoke,
    "Introspect": introspect,
    "ListAuditEvents": list_audit_events,
    "RegisterClient": register_client,
    "GetMetadata": get_metadata,
}


def declared_routes() -> list[tuple[str, oauth_pb2.HttpRoute]]:
    service = oauth_pb2.DESCRIPTOR.services_by_name["OAuthService"]
    routes = []
    for method in service.methods:
        options = method.GetOptions()
        if options.HasExtension(oauth_pb2.route):
            routes.append((method.name, options.Extensions[oauth_pb2.route]))
    return routes


def _endpoint(rpc: str, route: oauth_pb2.HttpRoute, handler: Handler):
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


def add_oauth_routes(app: web.Application) -> None:
    for rpc, route in declared_routes():
        if rpc not in HANDLERS:
            raise RuntimeError(f"OAuthService.{rpc} declares route {route.method} {route.path} but has no handler")
        app.router.add_route(route.method, route.path, _endpoint(rpc, route, HANDLERS[rpc]))
    app.router.add_post("/oauth/authorize/decision", consent_decision)


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
    message = oauth_pb2.ConsentDecisionRequest(
        context=request_context(request, session), request=authorize_fields(form), allow=decision == "allow")
    try:
        answer = await request.app[GATEWAY_KEY].call("DecideConsent", message)
    except RpcFailed as failed:
        return pages.error_page(request, failed.error.status_code or 500, failed.error.message,
                                headers=retry_headers(failed.error))
    except PluginUnavailable as exc:
        return pages.error_page(request, exc.status, exc.message, headers=exc.headers)
    raise web.HTTPSeeOther(answer.redirect_url)

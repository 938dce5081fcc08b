"""gRPC servicer of oauthplugin.v1.OAuthService: translates messages to the domain's calls and back.

Domain calls are synchronous (they talk to the database). On SQLite they run on the event loop itself: a SQLite
call waits for nothing but this process's own writers (one at a time, whose transactions the store keeps short),
and worker threads only fought the loop for the GIL (bench/README.md: +55% code exchanges per second without
them). On PostgreSQL, whose calls mostly wait for the server, they run on a pool of eight threads.
OAUTH_RPC_THREADS overrides (0: on the event loop). Every failure becomes the response's AppError; nothing the host
sends can end an RPC with a traceback.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from google.protobuf.message import Message

from oauthplugin.v1 import common_pb2, oauth_pb2, oauth_pb2_grpc
from plugin.oauth.apps import App, AppRequest
from plugin.oauth.errors import AppError, DCRError, app_error
from plugin.oauth.provider import CONSENT, LOGIN, REDIRECT, STORE_RETRY_AFTER_SECONDS, STORE_UNAVAILABLE, Caller
from plugin.oauth.rfc6749 import TEMPORARILY_UNAVAILABLE, AuthorizeRequest, TokenActionRequest, TokenRequest

from .runtime import AwaitingDatabase, NotActive, PluginRuntime

log = logging.getLogger("plugin.oauth_service")

_OUTCOMES = {
    LOGIN: oauth_pb2.BeginAuthorizationResponse.LOGIN,
    CONSENT: oauth_pb2.BeginAuthorizationResponse.CONSENT,
    REDIRECT: oauth_pb2.BeginAuthorizationResponse.REDIRECT,
}
_APP_FIELDS = [f.name for f in oauth_pb2.OAuthApp.DESCRIPTOR.fields]
_AUTHORIZE_FIELDS = [f.name for f in oauth_pb2.AuthorizeRequest.DESCRIPTOR.fields]
_TOKEN_FIELDS = [f.name for f in oauth_pb2.TokenRequest.DESCRIPTOR.fields if f.name != "context"]


def caller_of(context: common_pb2.RequestContext) -> Caller:
    return Caller(
        user_id=context.user_id,
        session_id=context.session_id,
        permissions=frozenset(context.permissions),
        is_oauth=context.is_oauth,
        request_id=context.request_id,
        remote_addr=context.remote_addr,
    )


def app_message(app: App | None) -> oauth_pb2.OAuthApp:
    if app is None:
        return oauth_pb2.OAuthApp()
    return oauth_pb2.OAuthApp(**{name: getattr(app, name) for name in _APP_FIELDS})


def app_from_message(message: oauth_pb2.OAuthApp) -> App:
    return App(**{name: getattr(message, name) for name in _APP_FIELDS if name != "callback_urls"},
               callback_urls=list(message.callback_urls))


def authorize_request(message: oauth_pb2.AuthorizeRequest) -> AuthorizeRequest:
    return AuthorizeRequest(**{name: getattr(message, name) for name in _AUTHORIZE_FIELDS})


def token_action(message: oauth_pb2.TokenActionRequest) -> TokenActionRequest:
    return TokenActionRequest(token=message.token, token_type_hint=message.token_type_hint,
                              client_id=message.client_id, client_secret=message.client_secret)


def error_message(exc: AppError) -> common_pb2.AppError:
    return common_pb2.AppError(id=exc.id, message=exc.message, detailed_error=exc.detailed_error,
                               status_code=exc.status, oauth_error=exc.oauth_error,
                               retry_after_seconds=exc.retry_after)


POSTGRES_THREADS = 8


def json_value(raw: bytes):
    """The JSON value of `raw`, or None when it is none the provider can keep: malformed, not UTF-8, nested too
    deep to parse, or spelling lone UTF-16 surrogates (valid JSON, but text no database or protobuf can carry)."""
    try:
        value = json.loads(raw or b"null")
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return None
    return value


class OAuthServicer(oauth_pb2_grpc.OAuthServiceServicer):
    def __init__(self, runtime: PluginRuntime) -> None:
        self.runtime = runtime
        self._executor: ThreadPoolExecutor | None = None

    def _threads(self, store) -> ThreadPoolExecutor | None:
        """The pool for calls on this store; None: run them on the event loop."""
        from plugin.store.sqlite import SqliteStore

        configured = os.environ.get("OAUTH_RPC_THREADS")
        threads = int(configured) if configured else (0 if isinstance(store, SqliteStore) else POSTGRES_THREADS)
        if threads <= 0:
            return None
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rpc")
        return self._executor

    async def _call(self, response_type: type[Message], work: Callable, request_id: str = "") -> Message:
        """Run `work(provider)`; its result fills the response, its AppError the error field."""
        try:
            provider = self.runtime.require_provider()
            threads = self._threads(self.runtime.store)
            if threads is None:
                return work(provider)
            return await asyncio.get_running_loop().run_in_executor(threads, work, provider)
        except AppError as exc:
            return response_type(error=error_message(exc))
        except DCRError as exc:
            return response_type(error=common_pb2.AppError(
                message=exc.description, status_code=exc.status, oauth_error=exc.error))
        except AwaitingDatabase:
            return response_type(error=error_message(app_error(
                STORE_UNAVAILABLE, 503, oauth_error=TEMPORARILY_UNAVAILABLE, retry_after=STORE_RETRY_AFTER_SECONDS)))
        except NotActive:
            return response_type(error=common_pb2.AppError(
                id="app.plugin.not_active.app_error", message="The OAuth provider is not active.",
                status_code=503))
        except Exception:
            log.exception("OAuth RPC failed", extra={"request_id": request_id, "rpc": response_type.__name__})
            return response_type(error=common_pb2.AppError(
                id="app.plugin.internal.app_error", message="The OAuth provider failed to handle the request.",
                status_code=500))

    # --- apps ---

    async def CreateApp(self, request, context):
        body = AppRequest(name=request.name, description=request.description, icon_url=request.icon_url,
                          callback_urls=list(request.callback_urls), homepage=request.homepage,
                          is_trusted=request.is_trusted, is_public=request.is_public)
        return await self._call(oauth_pb2.AppResponse, lambda p: oauth_pb2.AppResponse(
            app=app_message(p.create_app(caller_of(request.context), body))), request.context.request_id)

    async def ListApps(self, request, context):
        return await self._call(oauth_pb2.AppListResponse, lambda p: oauth_pb2.AppListResponse(
            apps=[app_message(a) for a in p.list_apps(caller_of(request.context), request.page, request.per_page)]),
            request.context.request_id)

    async def GetApp(self, request, context):
        return await self._app(request, lambda p, c: p.get_app(c, request.app_id))

    async def UpdateApp(self, request, context):
        # An absent `app` is a missing body (Mattermost: invalid_body_param oauth_app), not an empty app.
        update = app_from_message(request.app) if request.HasField("app") else None
        return await self._app(request, lambda p, c: p.update_app(c, request.app_id, update))

    async def DeleteApp(self, request, context):
        return await self._status(request, lambda p, c: p.delete_app(c, request.app_id))

    async def RegenerateSecret(self, request, context):
        return await self._app(request, lambda p, c: p.regenerate_secret(c, request.app_id))

    async def GetAppInfo(self, request, context):
        return await self._app(request, lambda p, c: p.get_app_info(c, request.app_id))

    async def ListAuthorizedApps(self, request, context):
        return await self._call(oauth_pb2.AppListResponse, lambda p: oauth_pb2.AppListResponse(apps=[
            app_message(a) for a in p.list_authorized_apps(
                caller_of(request.context), request.user_id, request.page, request.per_page)]),
            request.context.request_id)

    # --- authorization ---

    async def BeginAuthorization(self, request, context):
        def work(p):
            outcome = p.begin_authorization(caller_of(request.context), authorize_request(request.request))
            return oauth_pb2.BeginAuthorizationResponse(
                outcome=_OUTCOMES[outcome.kind], redirect_url=outcome.redirect_url, app=app_message(outcome.app))
        return await self._call(oauth_pb2.BeginAuthorizationResponse, work, request.context.request_id)

    async def DecideConsent(self, request, context):
        # An absent `request` is a missing body (Mattermost's TestNilAuthorizeOAuthApp: invalid_body_param).
        authorize = authorize_request(request.request) if request.HasField("request") else None
        return await self._call(oauth_pb2.RedirectResponse, lambda p: oauth_pb2.RedirectResponse(
            redirect_url=p.decide_consent(caller_of(request.context), authorize, request.allow)),
            request.context.request_id)

    async def Deauthorize(self, request, context):
        return await self._status(request, lambda p, c: p.deauthorize(c, request.client_id))

    # --- tokens ---

    async def Token(self, request, context):
        body = TokenRequest(**{name: getattr(request, name) for name in _TOKEN_FIELDS})

        def work(p):
            issued = p.token(body, caller_of(request.context))
            return oauth_pb2.TokenResponse(
                access_token=issued.access_token, token_type=issued.token_type, expires_in=issued.expires_in,
                scope=issued.scope, refresh_token=issued.refresh_token, id_token=issued.id_token,
                audience=issued.audience)
        return await self._call(oauth_pb2.TokenResponse, work, request.context.request_id)

    async def Revoke(self, request, context):
        return await self._status(request, lambda p, c: p.revoke(token_action(request), c))

    async def Introspect(self, request, context):
        return await self._call(oauth_pb2.IntrospectResponse, lambda p: oauth_pb2.IntrospectResponse(
            **p.introspect(token_action(request), caller_of(request.context))), request.context.request_id)

    async def ValidateToken(self, request, context):
        def work(p):
            info = p.validate_token(request.token)
            return oauth_pb2.ValidateTokenResponse(
                user_id=info.user_id, client_id=info.client_id, scope=info.scope, audience=info.audience,
                expires_at=info.expires_at, grant_id=info.grant_id, cacheable=self.runtime.cacheable)
        return await self._call(oauth_pb2.ValidateTokenResponse, work, request.context.request_id)

    async def RevokeAccessToken(self, request, context):
        return await self._status(request, lambda p, c: p.revoke_access_token(request.token))

    async def RevokeUser(self, request, context):
        self.runtime.forget_user(request.user_id)  # the host deactivated them: ask it again from now on
        return await self._status(request, lambda p, c: p.revoke_user(request.user_id))

    # --- discovery and registration ---

    async def RegisterClient(self, request, context):
        def work(p):
            registered = p.register_client(caller_of(request.context), json_value(request.metadata_json))
            return oauth_pb2.RegisterClientResponse(**registered)
        return await self._call(oauth_pb2.RegisterClientResponse, work, request.context.request_id)

    async def GetMetadata(self, request, context):
        return await self._call(oauth_pb2.MetadataResponse, lambda p: oauth_pb2.MetadataResponse(
            metadata_json=json.dumps(p.metadata()).encode()), request.context.request_id)

    # --- audit ---

    async def ListAuditEvents(self, request, context):
        return await self._call(oauth_pb2.ListAuditEventsResponse, lambda p: oauth_pb2.ListAuditEventsResponse(
            events=[oauth_pb2.AuditEvent(
                id=e.id, create_at=e.create_at, type=e.type, user_id=e.user_id, client_id=e.client_id,
                grant_id=e.grant_id, remote_addr=e.remote_addr, detail_json=e.detail.encode())
                for e in p.list_audit_events(caller_of(request.context), request.page, request.per_page)]),
            request.context.request_id)

    # --- shapes shared by several RPCs ---

    async def _app(self, request, work):
        return await self._call(oauth_pb2.AppResponse, lambda p: oauth_pb2.AppResponse(
            app=app_message(work(p, caller_of(request.context)))), request.context.request_id)

    async def _status(self, request, work):
        def run(p):
            work(p, caller_of(request.context))
            return oauth_pb2.StatusResponse()
        return await self._call(oauth_pb2.StatusResponse, run, request.context.request_id)

"""Running the domain's calls for the servicers: where they run, and every failure as the response's AppError (or,
for a client's request answered whole, as its error answer).

Domain calls are synchronous (they talk to the database). On SQLite they run on the event loop itself: a SQLite
call waits for nothing but this process's own writers (one at a time, whose transactions the store keeps short),
and worker threads only fought the loop for the GIL (bench/README.md: +55% code exchanges per second without
them). On PostgreSQL, whose calls mostly wait for the server, they run on a pool of eight threads, shared by every
servicer. OAUTH_RPC_THREADS overrides (0: on the event loop). Nothing the host sends can end an RPC with a
traceback.
"""
from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from google.protobuf.message import Message

from oauthplugin.v1 import common_pb2
from plugin.oauth import client_request
from plugin.oauth.errors import AppError
from plugin.oauth.guards import Caller
from plugin.oauth.provider import OAuthProvider
from plugin.oauth.rfc9449 import HttpTarget
from plugin.oauth.store_errors import store_unavailable

from .. import metrics
from ..runtime import AwaitingDatabase, NotActive, PluginRuntime

log = logging.getLogger("plugin.oauth_service")

POSTGRES_THREADS = 8

Work = Callable[[OAuthProvider], Message]
# A client's request (plugin/oauth/client_request.py): its answer, and the client whose tokens it may have revoked.
ClientWork = Callable[[OAuthProvider, client_request.ClientRequest], tuple[client_request.Answer, str]]


def caller_of(context: common_pb2.RequestContext) -> Caller:
    return Caller(
        user_id=context.user_id,
        session_id=context.session_id,
        permissions=frozenset(context.permissions),
        is_oauth=context.is_oauth,
        request_id=context.request_id,
        remote_addr=context.remote_addr,
    )


def target_of(request) -> HttpTarget:
    """The HTTP request a DPoP proof must be for (ClientHttpRequest's or ValidateTokenRequest's dpop, method, url)."""
    return HttpTarget(method=request.method, url=request.url, proofs=tuple(request.dpop))


def error_message(exc: AppError) -> common_pb2.AppError:
    return common_pb2.AppError(id=exc.id, message=exc.message, detailed_error=exc.detailed_error,
                               status_code=exc.status, oauth_error=exc.oauth_error,
                               retry_after_seconds=exc.retry_after)


def failure(exc: AppError | AwaitingDatabase | NotActive) -> AppError:
    """The AppError of a domain call that failed, or of a provider that cannot take calls now (counted by the
    metrics: rate-limit refusals, an unavailable store)."""
    if isinstance(exc, AwaitingDatabase):
        error = store_unavailable()
    elif isinstance(exc, NotActive):
        error = AppError("app.plugin.not_active.app_error", "The OAuth provider is not active.", 503)
    else:
        error = exc
    metrics.answered_error(error.id)
    return error


def internal_error() -> AppError:
    return AppError("app.plugin.internal.app_error", "The OAuth provider failed to handle the request.", 500)


def answer_message(answer: client_request.Answer, revoked_client_id: str = "") -> common_pb2.HttpAnswer:
    return common_pb2.HttpAnswer(
        status=answer.status, headers=[common_pb2.HttpHeader(name=n, value=v) for n, v in answer.headers],
        body_json=answer.body, revoked_client_id=revoked_client_id)


class ProviderCalls:
    """Runs `work(provider)` for the servicers (`await calls(ResponseType, work, request_id)`)."""

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

    async def run(self, work: Callable[[OAuthProvider], object], rpc: str, request_id: str = ""):
        """`work(provider)`'s result. It raises what the domain raised (an AppError), AwaitingDatabase or NotActive;
        any other exception is a bug, logged here and raised as the internal AppError."""
        try:
            provider = self.runtime.require_provider()
            threads = self._threads(self.runtime.store)
            if threads is None:
                return work(provider)
            return await asyncio.get_running_loop().run_in_executor(threads, work, provider)
        except (AppError, AwaitingDatabase, NotActive):
            raise
        except Exception:
            log.exception("OAuth RPC failed", extra={"request_id": request_id, "rpc": rpc})
            raise internal_error() from None

    async def __call__(self, response_type: type[Message], work: Work, request_id: str = "") -> Message:
        """Run `work(provider)`; its result is the response, anything it raises the response's error."""
        try:
            return await self.run(work, response_type.__name__, request_id)
        except (AppError, AwaitingDatabase, NotActive) as exc:
            return response_type(error=error_message(failure(exc)))

    async def client_answer(self, request: common_pb2.ClientHttpRequest, work: ClientWork, rpc: str,
                            failure_revokes: bool = False) -> common_pb2.HttpAnswer:
        """Read the client's request and run `work(provider, form)`: its answer, or the error answer of whatever
        refused it. A failure names the client the request named when `failure_revokes` (a failed token request
        may have revoked a grant)."""
        request_id = request.context.request_id
        try:
            form = client_request.read(request.content_type, request.body, request.authorization)
        except client_request.Refused as refused:
            return answer_message(client_request.error_answer(refused.error, request_id, refused.method))
        try:
            answer, revoked = await self.run(lambda p: work(p, form), rpc, request_id)
        except (AppError, AwaitingDatabase, NotActive) as exc:
            answer = client_request.error_answer(failure(exc), request_id, form.method)
            revoked = form.client_id if failure_revokes else ""
        return answer_message(answer, revoked)

    async def status(self, request, work: Callable[[OAuthProvider, Caller], object]) -> common_pb2.StatusResponse:
        """An RPC that only succeeds or fails."""
        def run(p):
            work(p, caller_of(request.context))
            return common_pb2.StatusResponse()
        return await self(common_pb2.StatusResponse, run, request.context.request_id)


class AreaServicer:
    """What every servicer holds: the way to run domain calls. Each area's servicer adds its service's generated
    base class."""

    def __init__(self, calls: ProviderCalls) -> None:
        self.calls = calls

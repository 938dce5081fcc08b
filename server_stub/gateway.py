"""The gateway between HTTP and the plugin's OAuth RPCs.

Every OAuth request goes through here: find the running plugin, call its RPC with the request context, and
turn an unavailable plugin into Mattermost's answer (501 when the plugin is disabled, 503 with Retry-After while
it starts or restarts; never a hang). RPC results and their AppErrors go back to the HTTP layer as they are.

Validated access tokens are kept in memory (`token_cache.TokenCache`) when the plugin allows it, so a bearer
request usually costs no RPC. What each RPC does to them is declared in the contract, beside its route: its
`cache_effect` (proto/oauthplugin/v1/options.proto) names what to drop (a client's, a user's, a token's grant's
kept tokens, or all) and the request or response field that holds the key. The gateway drops it as soon as the RPC
has answered, before the HTTP layer sees the answer (`_forget`); an RPC without a declaration drops everything.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import time

import grpc

from oauthplugin.v1 import common_pb2, options_pb2, services, token_pb2

from .supervisor import PluginState
from .token_cache import TokenCache

log = logging.getLogger("server_stub.gateway")

RETRY_AFTER_SECONDS = 1


class PluginUnavailable(Exception):
    """The OAuth plugin cannot answer now. `status` is 501 (disabled) or 503 (starting, restarting, failed)."""

    def __init__(self, status: int, error_id: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.error_id, self.message, self.retry_after = status, error_id, message, retry_after

    @property
    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class RpcFailed(Exception):
    """The RPC answered with an AppError (`response`: the whole answer it came in)."""

    def __init__(self, error: common_pb2.AppError, response=None) -> None:
        super().__init__(error.message)
        self.error, self.response = error, response


class DPoPRefused(Exception):
    """RFC 9449 section 7.1: a DPoP-bound token presented as Bearer, or a DPoP request whose proof or binding the
    plugin refused. `error` is the challenge's error code (invalid_token, invalid_dpop_proof, use_dpop_nonce)."""

    def __init__(self, error: str, description: str, algs: tuple[str, ...] = (), nonce: str = "") -> None:
        super().__init__(description)
        self.error, self.description, self.algs, self.nonce = error, description, algs, nonce


# The plugin's oauth_error values that are RFC 9449 refusals rather than an unknown token.
DPOP_ERRORS = frozenset({"invalid_token", "invalid_dpop_proof", "use_dpop_nonce"})


@dataclasses.dataclass(frozen=True)
class DPoPProof:
    """What a DPoP request brings beside its token: its DPoP headers, method and URL under the site URL."""
    proofs: tuple[str, ...]
    method: str
    url: str


@dataclasses.dataclass(frozen=True)
class OAuthTokenInfo:
    """What a valid OAuth access token stands for."""
    user_id: str
    client_id: str
    scope: str
    audience: str
    expires_at: int  # Unix ms
    grant_id: str
    # The API v4 scopes it holds (ValidateTokenResponse.scopes), parsed once per validation and kept with it.
    scopes: frozenset[str] = frozenset()
    # RFC 9449: the key thumbprint the token is bound to ("" for a bearer token), and the proof algorithms.
    dpop_jkt: str = ""
    dpop_algs: tuple[str, ...] = ()


Effect = options_pb2.CacheEffect
_UNDECLARED = Effect(drop=Effect.ALL)


def _declared_effect(method) -> Effect:
    options = method.GetOptions()
    effect = options.Extensions[options_pb2.cache_effect] if options.HasExtension(options_pb2.cache_effect) else None
    return effect if effect is not None and effect.drop != Effect.DROP_UNSPECIFIED else _UNDECLARED


_EFFECTS = {name: _declared_effect(method) for name, method in services.methods().items()}


def cache_effect(rpc: str) -> Effect:
    """What the RPC declares it does to the kept tokens; everything goes for an RPC that declares nothing."""
    return _EFFECTS.get(rpc, _UNDECLARED)


_TRANSPORT_FAILURES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED)


def _did_not_answer() -> PluginUnavailable:
    return PluginUnavailable(503, "app.plugin.unavailable.app_error",
                             "The OAuth provider plugin did not answer. Please try again shortly.",
                             retry_after=RETRY_AFTER_SECONDS)


_DISABLED = PluginUnavailable(501, "api.oauth.allow_oauth.turn_off.app_error",
                              "The system admin has turned off OAuth2 Service Provider.")


class Gateway:
    def __init__(self, plugins, plugin_id: str, timeout: float | None = None) -> None:
        self.plugins = plugins
        self.plugin_id = plugin_id
        self._timeout = timeout
        self.tokens: TokenCache[OAuthTokenInfo] = TokenCache()
        # Told how each RPC went (metrics.py): (rpc, outcome: ok | app_error | unavailable | failed, seconds).
        self.rpc_observer = None
        self._tokens_from = None  # (the plugin process, its configuration generation) whose answers are kept

    @property
    def timeout(self) -> float:
        """How long an RPC may take before its request is answered 503: PluginSettings.HookTimeoutSeconds (read
        at each call), unless the gateway was made with a fixed timeout."""
        return self._timeout if self._timeout is not None else self.plugins.hook_timeout()

    def _stub(self):
        supervisor = self.plugins.supervisors.get(self.plugin_id)
        if supervisor is None or not self.plugins.is_enabled(self.plugin_id):
            raise _DISABLED
        process = supervisor.process
        if supervisor.state == PluginState.RUNNING and process is not None and process.oauth is not None:
            # A new launch, or a configuration change delivered since (the plugin may serve from another database
            # now): nothing said before is kept.
            source = (process, getattr(supervisor, "configuration_generation", 0))
            if source != self._tokens_from:
                self.tokens.clear()
                self._tokens_from = source
            return process.oauth
        if supervisor.state in (PluginState.FAILED_TO_START, PluginState.FAILED_TO_STAY_RUNNING):
            raise PluginUnavailable(503, "app.plugin.failed.app_error",
                                    "The OAuth provider plugin has failed; a system admin must re-enable it.")
        raise PluginUnavailable(503, "app.plugin.starting.app_error",
                                "The OAuth provider plugin is starting. Please try again shortly.",
                                retry_after=RETRY_AFTER_SECONDS)

    async def call(self, rpc: str, request):
        """Call one of the plugin's RPCs by name; its response, or RpcFailed with its AppError, or
        PluginUnavailable."""
        stub = self._stub()
        effect = cache_effect(rpc)
        started = time.perf_counter()
        try:
            response = await getattr(stub, rpc)(request, timeout=self.timeout)
        except grpc.RpcError as exc:
            code = exc.code()
            self._observe(rpc, "unavailable" if code in _TRANSPORT_FAILURES else "failed", started)
            log.warning("plugin RPC failed", extra={"rpc": rpc, "code": code.name, "details": exc.details()})
            if effect.drop != Effect.NONE:
                self.tokens.suspend()  # it may still commit: keep nothing for a while
            if code in _TRANSPORT_FAILURES:
                raise _did_not_answer() from None
            raise PluginUnavailable(500, "app.plugin.rpc.app_error",
                                    "The OAuth provider plugin failed to handle the request.") from None
        except asyncio.CancelledError:
            self._observe(rpc, "unavailable", started)
            if effect.drop != Effect.NONE:
                self.tokens.suspend()  # whoever gave up on it, it may still commit
            task = asyncio.current_task()
            if task is None or task.cancelling():
                raise  # this request itself was cancelled: its client left
            # grpc.aio cancels the calls of a channel it closes: the plugin stopped or restarted under this call.
            log.warning("plugin RPC cancelled", extra={"rpc": rpc})
            raise _did_not_answer() from None
        self._forget(effect, request, response)
        if "error" in response.DESCRIPTOR.fields_by_name and response.HasField("error"):
            self._observe(rpc, "app_error", started)
            raise RpcFailed(response.error, response)
        self._observe(rpc, "ok", started)
        return response

    def _observe(self, rpc: str, outcome: str, started: float) -> None:
        if self.rpc_observer is not None:
            self.rpc_observer(rpc, outcome, time.perf_counter() - started)

    def _forget(self, effect: Effect, request, response) -> None:
        """Drop the kept tokens an answered RPC declares it may have revoked (an empty key: none)."""
        if effect.drop == Effect.NONE:
            return
        if effect.drop == Effect.ALL:
            self.tokens.clear()
            return
        key = getattr(request, effect.request_field) if effect.request_field \
            else getattr(response, effect.response_field)
        if not key:
            return
        if effect.drop == Effect.CLIENT:
            self.tokens.drop_client(key)
        elif effect.drop == Effect.USER:
            self.tokens.drop_user(key)
        elif effect.drop == Effect.TOKEN:
            self.tokens.drop_token(key)
        else:  # a kind of effect this host does not know
            self.tokens.clear()

    async def validate_oauth_token(self, token: str, context: common_pb2.RequestContext | None = None,
                                   dpop: DPoPProof | None = None) -> OAuthTokenInfo | None:
        """The token's meaning, or None when it is not a valid OAuth access token. With `dpop` (the request came
        as `Authorization: DPoP`), always asked of the plugin, which checks the proof and spends its jti: a proof
        is good for one request, whatever was kept. A kept DPoP-bound token presented as Bearer is refused here
        (DPoPRefused), as the plugin would."""
        tokens = self.tokens
        try:
            self._stub()  # a disabled or restarting plugin answers for its tokens, whatever was kept
            kept = tokens.get(token) if dpop is None else None
            if kept is not None:
                if kept.dpop_jkt:
                    raise DPoPRefused("invalid_token", "The access token is DPoP-bound: send it as DPoP with a proof.",
                                      kept.dpop_algs)
                return kept
            ticket = tokens.ticket()
            request = token_pb2.ValidateTokenRequest(context=context, token=token)
            if dpop is not None:
                request.scheme, request.method, request.url = "DPoP", dpop.method, dpop.url
                request.dpop.extend(dpop.proofs)
            answer = await self.call("ValidateToken", request)
        except RpcFailed as failed:
            algs = tuple(failed.response.dpop_algs) if failed.response is not None else ()
            if failed.error.oauth_error in DPOP_ERRORS:
                raise DPoPRefused(failed.error.oauth_error, failed.error.message, algs,
                                  failed.response.dpop_nonce if failed.response is not None else "") from None
            if failed.error.status_code in (400, 401, 403, 404):
                if dpop is not None:  # an unknown or expired token, answered with the DPoP challenge
                    raise DPoPRefused("invalid_token", "The access token is invalid, expired or revoked.", algs) \
                        from None
                return None
            raise PluginUnavailable(503, failed.error.id or "app.plugin.unavailable.app_error",
                                    failed.error.message, retry_after=RETRY_AFTER_SECONDS) from None
        except PluginUnavailable as exc:
            if exc.status == 501:
                return None  # no OAuth provider: no OAuth tokens
            raise
        info = OAuthTokenInfo(answer.user_id, answer.client_id, answer.scope, answer.audience,
                              answer.expires_at, answer.grant_id, frozenset(answer.scopes), answer.dpop_jkt,
                              tuple(answer.dpop_algs))
        if answer.cacheable:
            tokens.put(token, info, ticket, client_id=info.client_id, user_id=info.user_id,
                       expires_at=info.expires_at)
        return info

    async def revoke_oauth_token(self, token: str, context: common_pb2.RequestContext | None = None) -> None:
        """Logout with an OAuth token revokes that token (and its refresh token)."""
        await self.call("RevokeAccessToken", token_pb2.RevokeAccessTokenRequest(context=context, token=token))

    async def revoke_user(self, user_id: str, context: common_pb2.RequestContext | None = None) -> None:
        """A deactivated user's OAuth tokens and pending codes go."""
        await self.call("RevokeUser", token_pb2.RevokeUserRequest(context=context, user_id=user_id))

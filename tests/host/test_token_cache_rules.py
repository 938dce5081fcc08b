"""The rules of the host's token cache (server_stub/token_cache.py) and of the gateway that fills and empties it,
with a scripted plugin: nothing kept outlives a revocation, even one that lands while a validation is in flight."""
from __future__ import annotations

import asyncio
import types
import urllib.parse

import grpc
import pytest
from google.protobuf import descriptor

from oauthplugin.v1 import common_pb2, options_pb2, services, token_pb2
from server_stub.gateway import DPoPProof, DPoPRefused, Gateway, PluginUnavailable
from server_stub.supervisor import PluginState
from server_stub.token_cache import TokenCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def kept(cache: TokenCache, token: str, client: str = "c", user: str = "u", expires_at: int = 0) -> None:
    assert cache.put(token, ("info", token), cache.ticket(), client_id=client, user_id=user, expires_at=expires_at)


def test_a_validation_in_flight_during_any_drop_is_not_kept():
    cache = TokenCache()
    ticket = cache.ticket()
    cache.drop_client("someone-else")
    assert not cache.put("t", "info", ticket, client_id="c", user_id="u", expires_at=0)
    assert cache.get("t") is None


def test_drops_by_client_user_and_token():
    cache = TokenCache()
    kept(cache, "a1", client="a", user="u1")
    kept(cache, "a2", client="a", user="u2")
    kept(cache, "b1", client="b", user="u1")
    cache.drop_client("a")
    assert cache.get("a1") is None and cache.get("a2") is None and cache.get("b1") is not None
    kept(cache, "a1", client="a", user="u1")
    cache.drop_user("u1")
    assert cache.get("a1") is None and cache.get("b1") is None
    kept(cache, "b2", client="b", user="u3")
    kept(cache, "c1", client="c", user="u3")
    cache.drop_token("b2")  # a token ends its grant: its client's kept tokens go
    assert cache.get("b2") is None and cache.get("c1") is not None
    cache.drop_token("never-seen")  # unknown: its client is unknown, everything goes
    assert cache.get("c1") is None and len(cache) == 0


def test_entries_end_at_the_tokens_expiry_and_after_the_maximum_age():
    clock, wall = Clock(), [10_000]
    cache = TokenCache(max_age=60, clock=clock, wall_ms=lambda: wall[0])
    kept(cache, "short", expires_at=10_500)
    kept(cache, "long", expires_at=0)
    wall[0] = 10_501
    assert cache.get("short") is None and cache.get("long") is not None
    clock.now += 60
    assert cache.get("long") is None


def test_a_suspended_cache_keeps_and_serves_nothing_for_a_while():
    clock = Clock()
    cache = TokenCache(clock=clock)
    kept(cache, "t")
    cache.suspend(30)
    assert cache.get("t") is None
    assert not cache.put("t", "info", cache.ticket(), client_id="c", user_id="u", expires_at=0)
    clock.now += 31
    kept(cache, "t")
    assert cache.get("t") is not None


def test_the_oldest_entry_makes_room():
    cache = TokenCache(max_entries=2)
    for token in ("a", "b", "c"):
        kept(cache, token)
    assert cache.get("a") is None and cache.get("b") is not None and len(cache) == 2


# --- the gateway with a scripted plugin -----------------------------------------------------------------------

class ScriptedPlugin:
    """The plugin's stub: ValidateToken answers from `valid` (after `gate`, when set); Revoke empties it."""

    def __init__(self, cacheable: bool = True) -> None:
        self.valid = {"tok": "client"}
        self.cacheable = cacheable
        self.gate: asyncio.Event | None = None
        self.validations = 0
        self.fail_with: grpc.StatusCode | None = None
        self.bound: dict[str, str] = {}  # token -> the DPoP key it is bound to
        self.proofs: list[tuple[str, ...]] = []  # the DPoP proofs each DPoP validation carried

    async def ValidateToken(self, request, timeout=None):
        self.validations += 1
        client = self.valid.get(request.token)  # read before the gate: the in-flight read sees the old state
        if self.gate is not None:
            await self.gate.wait()
        if client is None:
            return token_pb2.ValidateTokenResponse(error=common_pb2.AppError(status_code=401))
        jkt = self.bound.get(request.token, "")
        if request.scheme == "DPoP":
            self.proofs.append(tuple(request.dpop))
        elif jkt:
            return token_pb2.ValidateTokenResponse(error=common_pb2.AppError(status_code=401,
                                                                             oauth_error="invalid_token"),
                                                   dpop_algs=["ES256"])
        return token_pb2.ValidateTokenResponse(user_id="u", client_id=client, expires_at=0,
                                               cacheable=self.cacheable, scope="posts:read",
                                               scopes=["posts:read"], dpop_jkt=jkt, dpop_algs=["ES256"])

    async def Revoke(self, request, timeout=None):
        if self.fail_with is not None:
            raise FakeRpcError(self.fail_with)
        client = dict(urllib.parse.parse_qsl(request.body.decode()))["client_id"]
        self.valid = {t: c for t, c in self.valid.items() if c != client}
        return common_pb2.HttpAnswer(status=200, revoked_client_id=client)  # as the plugin names its client


class FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self):
        return self._code

    def details(self):
        return "scripted"


def revocation(token: str, client_id: str) -> common_pb2.ClientHttpRequest:
    """A client's RFC 7009 request, as the host forwards it."""
    return common_pb2.ClientHttpRequest(content_type="application/x-www-form-urlencoded",
                                        body=urllib.parse.urlencode({"token": token, "client_id": client_id}).encode())


def gateway_for(plugin: ScriptedPlugin) -> Gateway:
    process = types.SimpleNamespace(oauth=plugin)
    supervisor = types.SimpleNamespace(state=PluginState.RUNNING, process=process)
    plugins = types.SimpleNamespace(supervisors={"p": supervisor}, is_enabled=lambda plugin_id: True)
    return Gateway(plugins, "p", timeout=5.0)


async def test_validated_tokens_are_kept_only_when_the_plugin_says_so():
    for cacheable, asked in ((True, 1), (False, 3)):
        plugin = ScriptedPlugin(cacheable)
        gateway = gateway_for(plugin)
        for _ in range(3):
            assert (await gateway.validate_oauth_token("tok")).client_id == "client"
        assert plugin.validations == asked


async def test_a_kept_dpop_bound_token_is_refused_as_bearer_and_every_dpop_request_is_asked():
    """RFC 9449: the binding is kept with the validation, and a proof is good for one request only."""
    plugin = ScriptedPlugin()
    plugin.bound["tok"] = "jkt"
    gateway = gateway_for(plugin)
    for proof in ("proof-1", "proof-2"):
        info = await gateway.validate_oauth_token("tok", dpop=DPoPProof((proof,), "GET", "http://h/api/v4/users/me"))
        assert info.dpop_jkt == "jkt"
    assert plugin.proofs == [("proof-1",), ("proof-2",)], "each DPoP request reached the plugin with its proof"
    asked = plugin.validations
    with pytest.raises(DPoPRefused) as refused:
        await gateway.validate_oauth_token("tok")
    assert refused.value.error == "invalid_token" and refused.value.algs == ("ES256",)
    assert plugin.validations == asked, "refused from what was kept, without asking"


async def test_a_bound_token_refused_by_the_plugin_as_bearer_is_a_dpop_refusal():
    plugin = ScriptedPlugin()
    plugin.bound["tok"] = "jkt"
    with pytest.raises(DPoPRefused) as refused:
        await gateway_for(plugin).validate_oauth_token("tok")
    assert refused.value.error == "invalid_token"


async def test_a_kept_token_carries_its_scopes_parsed_once():
    """The hot path (a bearer request with a kept token) reuses the set built at validation: no parsing per
    request."""
    plugin = ScriptedPlugin()
    gateway = gateway_for(plugin)
    first = await gateway.validate_oauth_token("tok")
    assert first.scopes == frozenset({"posts:read"})
    assert (await gateway.validate_oauth_token("tok")) is first and plugin.validations == 1


async def test_a_revocation_answered_while_a_validation_is_in_flight_is_not_undone_by_it():
    plugin = ScriptedPlugin()
    gateway = gateway_for(plugin)
    plugin.gate = asyncio.Event()
    in_flight = asyncio.create_task(gateway.validate_oauth_token("tok"))
    await asyncio.sleep(0.01)  # the plugin has read the token as valid
    await gateway.call("Revoke", revocation("tok", "client"))
    plugin.gate.set()
    assert (await in_flight) is not None, "answered before the revocation: fine for that one request"
    plugin.gate = None
    assert await gateway.validate_oauth_token("tok") is None, "but not kept past the revocation"


async def test_a_revocation_that_fails_in_transit_suspends_the_cache():
    plugin = ScriptedPlugin()
    gateway = gateway_for(plugin)
    await gateway.validate_oauth_token("tok")
    plugin.fail_with = grpc.StatusCode.DEADLINE_EXCEEDED
    with pytest.raises(PluginUnavailable):
        await gateway.call("Revoke", revocation("tok", "client"))
    before = plugin.validations
    await gateway.validate_oauth_token("tok")
    await gateway.validate_oauth_token("tok")
    assert plugin.validations == before + 2, "nothing served from, nor kept in, a suspended cache"


async def test_an_rpc_the_gateway_does_not_know_drops_everything():
    plugin = ScriptedPlugin()
    plugin.SomethingNew = lambda request, timeout=None: asyncio.sleep(0, common_pb2.StatusResponse())
    gateway = gateway_for(plugin)
    await gateway.validate_oauth_token("tok")
    await gateway.call("SomethingNew", common_pb2.StatusResponse())
    assert len(gateway.tokens) == 0


async def test_a_revocation_whose_request_was_cancelled_suspends_the_cache():
    """The client left while its revocation was in flight: the plugin may still commit it."""
    plugin = ScriptedPlugin()
    gateway = gateway_for(plugin)
    await gateway.validate_oauth_token("tok")
    never = asyncio.Event()

    async def slow_revoke(request, timeout=None):
        await never.wait()

    plugin.Revoke = slow_revoke
    revoking = asyncio.create_task(gateway.call("Revoke", revocation("tok", "client")))
    await asyncio.sleep(0.01)
    revoking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await revoking
    before = plugin.validations
    await gateway.validate_oauth_token("tok")
    assert plugin.validations == before + 1, "not served from the cache"


# --- the declarations the gateway reads ---------------------------------------------------------------------------

def test_every_rpc_declares_its_cache_effect_and_where_its_key_comes_from():
    """Each RPC of the plugin's services says what it does to the kept tokens (proto/oauthplugin/v1/options.proto);
    one that drops a client's, a user's or a token's tokens names one string field, of its request or its response,
    that holds the key."""
    Effect = options_pb2.CacheEffect
    F = descriptor.FieldDescriptor
    for name, method in services.methods().items():
        options = method.GetOptions()
        assert options.HasExtension(options_pb2.cache_effect), f"{name} declares no cache_effect"
        effect = options.Extensions[options_pb2.cache_effect]
        assert effect.drop != Effect.DROP_UNSPECIFIED, name
        fields = [(method.input_type, effect.request_field), (method.output_type, effect.response_field)]
        named = [(message, field) for message, field in fields if field]
        if effect.drop in (Effect.NONE, Effect.ALL):
            assert not named, f"{name}: a {Effect.Drop.Name(effect.drop)} effect has no key"
            continue
        assert len(named) == 1, f"{name}: the key comes from one field, of the request or of the response"
        message, field = named[0]
        assert field in message.fields_by_name, f"{name}: {message.name} has no field {field}"
        assert message.fields_by_name[field].type == F.TYPE_STRING, f"{name}: {message.name}.{field} is no string"


async def test_a_token_request_that_names_no_revoked_client_drops_nothing():
    """A code exchange that succeeded revokes nothing: the plugin leaves `revoked_client_id` empty and the host keeps
    what it kept; a refresh names its client, whose kept tokens go."""
    plugin = ScriptedPlugin()
    gateway = gateway_for(plugin)
    for revoked, still_kept in (("", 1), ("client", 0)):
        await gateway.validate_oauth_token("tok")
        plugin.Token = lambda request, timeout=None, revoked=revoked: asyncio.sleep(
            0, common_pb2.HttpAnswer(status=200, revoked_client_id=revoked))
        await gateway.call("Token", common_pb2.ClientHttpRequest())
        assert len(gateway.tokens) == still_kept

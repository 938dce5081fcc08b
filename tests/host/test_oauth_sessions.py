"""How the host's API treats OAuth access tokens, with a scripted gateway in place of the plugin: the contract
between web/auth.py and server_stub.gateway (validate_oauth_token, revoke_oauth_token, revoke_user).

In-process (aiohttp's test server) so that the gateway's answers, including an unavailable plugin, are exact."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from plugin.oauth.scopes import api_scopes
from server_stub import revocations
from server_stub.accounts import Accounts
from server_stub.config import ConfigStore
from server_stub.gateway import OAuthTokenInfo, PluginUnavailable
from server_stub.web.app import create_app

OAUTH_TOKEN = "oauth-access-token-0123456789abcdefghijklmnop"  # 43 characters, like the plugin's tokens
CLIENT_ID = "c" * 26


class ScriptedGateway:
    def __init__(self) -> None:
        self.tokens: dict[str, OAuthTokenInfo] = {}
        self.unavailable: PluginUnavailable | None = None
        self.revocation_unavailable: PluginUnavailable | None = None
        self.validated: list[str] = []
        self.revoked_tokens: list[str] = []
        self.revoked_users: list[str] = []

    async def validate_oauth_token(self, token: str, context=None, dpop=None):
        self.validated.append(token)
        if self.unavailable:
            raise self.unavailable
        return self.tokens.get(token)

    async def revoke_oauth_token(self, token: str, context=None) -> None:
        if self.unavailable or self.revocation_unavailable:
            raise self.unavailable or self.revocation_unavailable
        self.revoked_tokens.append(token)
        self.tokens.pop(token, None)

    async def revoke_user(self, user_id: str, context=None) -> None:
        if self.unavailable:
            raise self.unavailable
        self.revoked_users.append(user_id)
        self.tokens = {t: i for t, i in self.tokens.items() if i.user_id != user_id}


class NoPlugins:
    supervisors: dict = {}

    def manifests(self):
        return []

    def statuses(self):
        return []


class FakeHost:
    def __init__(self, data_dir) -> None:
        self.config = ConfigStore(str(data_dir), "127.0.0.1:0")
        self.accounts = Accounts(self.config.config["SqlSettings"]["DataSource"])
        self.plugins = NoPlugins()
        self.gateway = ScriptedGateway()


@pytest.fixture
async def setup(tmp_path):
    host = FakeHost(tmp_path / "data")
    admin = host.accounts.create_user("admin@example.com", "admin", "passw0rd", "system_admin system_user")
    user = host.accounts.create_user("user@example.com", "someone", "passw0rd")
    host.gateway.tokens[OAUTH_TOKEN] = OAuthTokenInfo(user.id, CLIENT_ID, "user", "", 2**62, "g" * 26,
                                                      api_scopes("user"))
    client = TestClient(TestServer(create_app(host)))
    await client.start_server()
    admin_token, _ = host.accounts.create_session(admin.id, 3600_000)
    yield host, client, user, admin_token
    await client.close()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_oauth_token_acts_as_its_user(setup):
    host, client, user, _ = setup
    reply = await client.get("/api/v4/users/me", headers=bearer(OAUTH_TOKEN))
    assert reply.status == 200 and (await reply.json())["id"] == user.id
    assert host.gateway.validated == [OAUTH_TOKEN]


async def test_oauth_token_carries_the_users_current_permissions(setup):
    """Its scope lets it try (system:manage); the user's roles decide, as they are now. The full-power token of
    the same admin is refused for its scope."""
    host, client, user, _ = setup
    manager = "oauth-manager-token-0123456789abcdefghijklmn"
    host.gateway.tokens[manager] = OAuthTokenInfo(user.id, CLIENT_ID, "user system:manage", "", 2**62, "g" * 26,
                                                  api_scopes("user system:manage"))
    refused = await client.get("/api/v4/config", headers=bearer(manager))
    assert refused.status == 403 and "WWW-Authenticate" not in refused.headers
    host.accounts.set_user_roles(user.id, "system_admin system_user")
    assert (await client.get("/api/v4/config", headers=bearer(manager))).status == 200
    full_power = await client.get("/api/v4/config", headers=bearer(OAUTH_TOKEN))
    assert full_power.status == 403 and 'scope="system:manage"' in full_power.headers["WWW-Authenticate"]


async def test_unknown_token_asked_of_the_gateway_is_401(setup):
    host, client, _, _ = setup
    reply = await client.get("/api/v4/users/me", headers=bearer("not-a-token"))
    assert reply.status == 401 and (await reply.json())["id"] == "api.context.session_expired.app_error"
    assert host.gateway.validated == ["not-a-token"]


async def test_host_sessions_are_not_asked_of_the_gateway(setup):
    host, client, _, admin_token = setup
    assert (await client.get("/api/v4/users/me", headers=bearer(admin_token))).status == 200
    assert host.gateway.validated == []


async def test_oauth_token_in_the_session_cookie_is_not_accepted(setup):
    host, client, _, _ = setup
    reply = await client.get("/api/v4/users/me", headers={"Cookie": f"MMAUTHTOKEN={OAUTH_TOKEN}"})
    assert reply.status == 401 and host.gateway.validated == []


async def test_oauth_token_in_the_query_string_is_refused_without_asking_the_gateway(setup):
    host, client, _, _ = setup
    reply = await client.get(f"/api/v4/users/me?access_token={OAUTH_TOKEN}")
    assert reply.status == 401 and (await reply.json())["id"] == "api.context.token_provided.app_error"
    assert host.gateway.validated == []


async def test_unavailable_plugin_answers_its_status_and_retry_after(setup):
    host, client, _, _ = setup
    host.gateway.unavailable = PluginUnavailable(503, "app.plugin.starting.app_error", "Starting.", retry_after=1)
    reply = await client.get("/api/v4/users/me", headers=bearer(OAUTH_TOKEN))
    assert reply.status == 503 and reply.headers["Retry-After"] == "1"
    assert reply.headers["Content-Type"] == "application/json"
    assert (await reply.json())["id"] == "app.plugin.starting.app_error"


async def test_logout_with_an_oauth_token_revokes_that_token(setup):
    host, client, _, _ = setup
    reply = await client.post("/api/v4/users/logout", headers=bearer(OAUTH_TOKEN))
    assert reply.status == 200
    assert host.gateway.revoked_tokens == [OAUTH_TOKEN]
    assert (await client.get("/api/v4/users/me", headers=bearer(OAUTH_TOKEN))).status == 401


async def test_logout_with_an_oauth_token_that_cannot_be_revoked_now_is_503_not_ok(setup):
    host, client, _, _ = setup
    host.gateway.revocation_unavailable = PluginUnavailable(503, "app.plugin.unavailable.app_error", "Busy.",
                                                            retry_after=1)
    reply = await client.post("/api/v4/users/logout", headers=bearer(OAUTH_TOKEN))
    assert reply.status == 503 and reply.headers["Retry-After"] == "1"
    assert (await client.get("/api/v4/users/me", headers=bearer(OAUTH_TOKEN))).status == 200


async def test_deactivation_revokes_the_users_oauth_grants_and_refuses_their_tokens(setup):
    host, client, user, admin_token = setup
    reply = await client.put(f"/api/v4/users/{user.id}/active", json={"active": False}, headers=bearer(admin_token))
    assert reply.status == 200
    assert host.gateway.revoked_users == [user.id]
    assert (await client.get("/api/v4/users/me", headers=bearer(OAUTH_TOKEN))).status == 401


async def test_deactivated_users_oauth_token_is_refused_even_if_the_plugin_still_knows_it(setup):
    host, client, user, _ = setup
    host.accounts.set_active(user.id, False)
    assert (await client.get("/api/v4/users/me", headers=bearer(OAUTH_TOKEN))).status == 401


async def test_deactivation_with_the_oauth_provider_disabled_still_succeeds(setup):
    host, client, user, admin_token = setup
    host.gateway.unavailable = PluginUnavailable(501, "api.oauth.allow_oauth.turn_off.app_error", "Off.")
    reply = await client.put(f"/api/v4/users/{user.id}/active", json={"active": False}, headers=bearer(admin_token))
    assert reply.status == 200
    assert host.accounts.get_user(user.id).delete_at > 0


async def test_deactivation_while_the_plugin_restarts_asks_the_caller_to_retry(setup):
    host, client, user, admin_token = setup
    host.gateway.unavailable = PluginUnavailable(503, "app.plugin.starting.app_error", "Starting.", retry_after=1)
    reply = await client.put(f"/api/v4/users/{user.id}/active", json={"active": False}, headers=bearer(admin_token))
    assert reply.status == 503 and reply.headers["Retry-After"] == "1"
    host.gateway.unavailable = None
    again = await client.put(f"/api/v4/users/{user.id}/active", json={"active": False}, headers=bearer(admin_token))
    assert again.status == 200 and host.gateway.revoked_users == [user.id]


async def test_a_revocation_the_disabled_plugin_missed_is_delivered_before_the_user_is_reactivated(setup):
    host, client, user, admin_token = setup
    host.gateway.unavailable = PluginUnavailable(501, "api.oauth.allow_oauth.turn_off.app_error", "Off.")
    await client.put(f"/api/v4/users/{user.id}/active", json={"active": False}, headers=bearer(admin_token))
    assert revocations.pending(host.accounts) == [user.id]
    host.gateway.unavailable = None
    reply = await client.put(f"/api/v4/users/{user.id}/active", json={"active": True}, headers=bearer(admin_token))
    assert reply.status == 200 and host.gateway.revoked_users == [user.id]
    assert revocations.pending(host.accounts) == []
    assert (await client.get("/api/v4/users/me", headers=bearer(OAUTH_TOKEN))).status == 401


async def test_reactivation_waits_while_an_owed_revocation_cannot_be_delivered(setup):
    host, client, user, admin_token = setup
    host.accounts.set_active(user.id, False)
    revocations.remember(host.accounts, user.id)
    host.gateway.unavailable = PluginUnavailable(503, "app.plugin.starting.app_error", "Starting.", retry_after=1)
    reply = await client.put(f"/api/v4/users/{user.id}/active", json={"active": True}, headers=bearer(admin_token))
    assert reply.status == 503 and reply.headers["Retry-After"] == "1"
    assert host.accounts.get_user(user.id).delete_at > 0 and revocations.pending(host.accounts) == [user.id]

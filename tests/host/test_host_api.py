"""The HostAPI the host serves its plugin (server_stub/host_api.py), in-process over its real transports: who may
call it (only the holder of the plugin's certificate, trusting only the launch's host certificate; or, without
AutoMTLS, whoever can open the host's private directory) and what each RPC answers."""
from __future__ import annotations

import json
import os
import sqlite3
import stat

import grpc
import pytest

from goplugin import protocol
from oauthplugin.v1 import host_api_pb2, host_api_pb2_grpc
from server_stub.accounts import Accounts, DatabaseUnavailable
from server_stub.config import ConfigStore
from server_stub.config_rules import FAKE_SETTING, sanitize
from server_stub.host_api import HostAPIServer, HostAPIServicer

TARGET_OVERRIDE = [("grpc.ssl_target_name_override", "localhost")]


@pytest.fixture
def accounts(tmp_path):
    config = ConfigStore(str(tmp_path / "data"), "127.0.0.1:0")
    accounts = Accounts(config.config["SqlSettings"]["DataSource"])
    yield accounts
    accounts.close()


@pytest.fixture
def servicer(accounts):
    config = {"ServiceSettings": {"SiteURL": "https://chat.example.com"},
              "SqlSettings": {"DataSource": "postgres://u:secret@db/mm"},
              "PluginSettings": {"Plugins": {"oauth-provider": {"DataSource": "postgres://u:pw@db/oauth"}}}}
    return HostAPIServicer(accounts, lambda: sanitize(config, {"oauth-provider": {"datasource"}}))


@pytest.fixture
def launch():
    """The launch's certificates: the host's (PLUGIN_CLIENT_CERT) and the plugin's (its handshake line)."""
    return protocol.generate_certificate(), protocol.generate_certificate()


@pytest.fixture
async def tls_server(servicer, launch):
    host_cert, plugin_cert = launch
    server = HostAPIServer(servicer)
    await server.start(host_cert, plugin_cert.cert_der)
    yield server
    await server.stop()


def tls_channel(server: HostAPIServer, trusted: protocol.Certificate, identity: protocol.Certificate | None):
    credentials = grpc.ssl_channel_credentials(
        root_certificates=trusted.cert_pem, private_key=identity.key_pem if identity else None,
        certificate_chain=identity.cert_pem if identity else None)
    return grpc.aio.secure_channel(server.endpoint.address, credentials, options=TARGET_OVERRIDE)


async def get_user(channel, user_id: str, timeout: float = 5):
    async with channel:
        return await host_api_pb2_grpc.HostAPIStub(channel).GetUser(
            host_api_pb2.GetUserRequest(user_id=user_id), timeout=timeout)


async def test_the_plugins_certificate_reaches_the_host_api_over_mutual_tls(tls_server, launch, accounts):
    host_cert, plugin_cert = launch
    user = accounts.create_user("alice@example.com", "alice", "passw0rd!")
    assert tls_server.endpoint.network == "tcp" and tls_server.endpoint.address.startswith("127.0.0.1:")
    answer = await get_user(tls_channel(tls_server, host_cert, plugin_cert), user.id)
    assert not answer.HasField("error")
    assert (answer.user.id, answer.user.username, answer.user.email, answer.user.delete_at) == \
        (user.id, "alice", "alice@example.com", 0)


@pytest.mark.parametrize("identity", ["none", "another certificate", "the host's own certificate"])
async def test_a_client_without_the_plugins_certificate_is_refused(tls_server, launch, accounts, identity):
    host_cert, _ = launch
    presented = {"none": None, "another certificate": protocol.generate_certificate(),
                 "the host's own certificate": host_cert}[identity]
    user = accounts.create_user("bob@example.com", "bob", "passw0rd!")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await get_user(tls_channel(tls_server, host_cert, presented), user.id)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_the_plugin_trusts_only_the_launchs_host_certificate(tls_server, launch, accounts):
    _, plugin_cert = launch
    user = accounts.create_user("carol@example.com", "carol", "passw0rd!")
    with pytest.raises(grpc.aio.AioRpcError) as refused:  # a server with another key is not this launch's host
        await get_user(tls_channel(tls_server, protocol.generate_certificate(), plugin_cert), user.id)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_without_automtls_the_host_api_is_a_socket_in_a_directory_only_the_host_can_open(servicer, accounts):
    server = HostAPIServer(servicer)
    endpoint = await server.start(protocol.generate_certificate(), None)
    directory = os.path.dirname(endpoint.address)
    try:
        assert endpoint.network == "unix"
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700 and os.stat(directory).st_uid == os.getuid()
        user = accounts.create_user("dave@example.com", "dave", "passw0rd!")
        answer = await get_user(grpc.aio.insecure_channel(f"unix:{endpoint.address}"), user.id)
        assert answer.user.username == "dave"
    finally:
        await server.stop()
    assert not os.path.exists(directory)


async def test_a_stopped_launchs_host_api_answers_nobody(servicer, launch, accounts):
    host_cert, plugin_cert = launch
    server = HostAPIServer(servicer)
    await server.start(host_cert, plugin_cert.cert_der)
    await server.stop()
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await get_user(tls_channel(server, host_cert, plugin_cert), "a" * 26, timeout=2)
    assert gone.value.code() == grpc.StatusCode.UNAVAILABLE


# --- what each RPC answers (the servicer, called directly) ----------------------------------------------------

async def test_get_user_answers_deactivated_users_with_delete_at_and_refuses_unknown_and_malformed_ids(
        servicer, accounts):
    user = accounts.create_user("erin@example.com", "erin", "passw0rd!")
    accounts.set_active(user.id, False)
    gone = (await servicer.GetUser(host_api_pb2.GetUserRequest(user_id=user.id), None)).user
    assert gone.id == user.id and gone.delete_at > 0
    unknown = await servicer.GetUser(host_api_pb2.GetUserRequest(user_id="x" * 26), None)
    assert (unknown.error.id, unknown.error.status_code) == ("app.user.missing_account.const", 404)
    for bad in ("", "short", "x" * 27, "\x00" * 26):
        malformed = await servicer.GetUser(host_api_pb2.GetUserRequest(user_id=bad), None)
        assert (malformed.error.id, malformed.error.status_code) == ("api.context.invalid_url_param.app_error", 400)


async def test_get_user_by_username_matches_the_username_only(servicer, accounts):
    user = accounts.create_user("frank@example.com", "frank", "passw0rd!")
    found = await servicer.GetUserByUsername(host_api_pb2.GetUserByUsernameRequest(username="Frank"), None)
    assert found.user.id == user.id
    for other in ("frank@example.com", "nobody"):
        missing = await servicer.GetUserByUsername(host_api_pb2.GetUserByUsernameRequest(username=other), None)
        assert (missing.error.id, missing.error.status_code) == ("app.user.get_by_username.app_error", 404)


async def test_has_permission_to_follows_the_roles_of_active_users(servicer, accounts):
    admin = accounts.create_user("gina@example.com", "gina", "passw0rd!", "system_admin system_user")
    plain = accounts.create_user("hank@example.com", "hank", "passw0rd!")

    async def has(user_id: str, permission: str) -> bool:
        answer = await servicer.HasPermissionTo(
            host_api_pb2.HasPermissionToRequest(user_id=user_id, permission=permission), None)
        assert not answer.HasField("error")
        return answer.has_permission

    assert await has(admin.id, "manage_system") and not await has(plain.id, "manage_system")
    assert not await has(admin.id, "no_such_permission") and not await has("y" * 26, "manage_system")
    accounts.set_active(admin.id, False)
    assert not await has(admin.id, "manage_system")


async def test_get_session_says_when_the_session_authenticated(servicer, accounts):
    user = accounts.create_user("ivy@example.com", "ivy", "passw0rd!")
    _, session = accounts.create_session(user.id, 3_600_000)
    answer = await servicer.GetSession(host_api_pb2.GetSessionRequest(session_id=session.id), None)
    assert (answer.session.user_id, answer.session.create_at, answer.session.expires_at, answer.session.roles) == \
        (user.id, session.create_at, session.expires_at, user.roles)
    accounts.revoke_session(session.id)
    gone = await servicer.GetSession(host_api_pb2.GetSessionRequest(session_id=session.id), None)
    assert (gone.error.id, gone.error.status_code) == ("app.session.get.app_error", 400)


async def test_get_config_masks_the_secrets(servicer):
    answer = await servicer.GetConfig(host_api_pb2.GetConfigRequest(), None)
    config = json.loads(answer.config_json)
    assert config["ServiceSettings"]["SiteURL"] == "https://chat.example.com"
    assert config["SqlSettings"]["DataSource"] == FAKE_SETTING
    assert config["PluginSettings"]["Plugins"]["oauth-provider"]["DataSource"] == FAKE_SETTING


@pytest.mark.parametrize("failure, status", [(DatabaseUnavailable("connection refused"), 503),
                                             (sqlite3.OperationalError("disk I/O error"), 500)])
async def test_a_failing_database_is_an_app_error_not_a_grpc_failure(failure, status):
    class Broken:
        def get_user(self, user_id):
            raise failure

    answer = await HostAPIServicer(Broken(), dict).GetUser(host_api_pb2.GetUserRequest(user_id="z" * 26), None)
    assert answer.error.status_code == status and "Traceback" not in answer.error.message

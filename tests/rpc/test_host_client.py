"""The plugin's HostAPI client (plugin/rpc/host_client.py) against the host's real HostAPI server over mutual TLS:
answers become HostUser/HostSession or None, failures HostUnavailable within the timeout, and only positive
answers are kept, for a few seconds, until the host revokes the user."""
from __future__ import annotations

import asyncio

import pytest

from goplugin import protocol
from oauthplugin.v1 import host_api_pb2
from plugin.clock import FakeClock
from plugin.oauth.host import HostUnavailable
from plugin.rpc.host_client import USER_CACHE_SECONDS, HostClient, open_channel
from server_stub.accounts import Accounts
from server_stub.config import ConfigStore
from server_stub.host_api import HostAPIServer, HostAPIServicer
from tests.loop_thread import LoopThread


class Counting(HostAPIServicer):
    """The real servicer, counting GetUser calls; `stall` makes GetUser hang (a stuck host)."""

    def __init__(self, accounts) -> None:
        super().__init__(accounts, lambda: {"ServiceSettings": {"SiteURL": "https://chat.example.com"}})
        self.get_user_calls = 0
        self.stall = False

    async def GetUser(self, request, context):
        self.get_user_calls += 1
        if self.stall:
            await asyncio.sleep(30)
        return await super().GetUser(request, context)


@pytest.fixture
def host(tmp_path):
    """(accounts, servicer, server endpoint, the plugin's TLS identity) of a host serving HostAPI on a thread."""
    config = ConfigStore(str(tmp_path / "data"), "127.0.0.1:0")
    accounts = Accounts(config.config["SqlSettings"]["DataSource"])
    servicer = Counting(accounts)
    host_cert, plugin_cert = protocol.generate_certificate(), protocol.generate_certificate()
    loop = LoopThread()
    server = HostAPIServer(servicer)
    endpoint = loop.run(server.start(host_cert, plugin_cert.cert_der))
    yield accounts, servicer, endpoint, (host_cert.cert_pem, plugin_cert.key_pem, plugin_cert.cert_pem)
    loop.run(server.stop())
    loop.close()
    accounts.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(host, clock):
    _, _, endpoint, tls = host
    client = HostClient(open_channel(endpoint, tls), timeout=1.0, clock=lambda: clock.now_ms() / 1000)
    yield client
    client.close()


def test_users_sessions_permissions_and_config_come_back_as_the_domain_reads_them(host, client):
    accounts = host[0]
    admin = accounts.create_user("admin@example.com", "admin", "passw0rd!", "system_admin system_user")
    _, session = accounts.create_session(admin.id, 60_000)
    user = client.get_user(admin.id)
    assert (user.id, user.username, user.email, user.roles, user.is_active) == \
        (admin.id, "admin", "admin@example.com", "system_admin system_user", True)
    assert client.get_user_by_username("ADMIN").id == admin.id
    assert client.get_user("q" * 26) is None and client.get_user("not-an-id") is None
    assert client.get_user_by_username("nobody") is None
    assert client.has_permission_to(admin.id, "manage_system") and not client.has_permission_to(admin.id, "nope")
    got = client.get_session(session.id)
    assert (got.user_id, got.create_at, got.expires_at) == (admin.id, session.create_at, session.expires_at)
    assert client.get_session("q" * 26) is None
    assert client.get_config()["ServiceSettings"]["SiteURL"] == "https://chat.example.com"


def test_an_active_user_is_kept_for_a_few_seconds(host, client, clock):
    accounts, servicer = host[0], host[1]
    user = accounts.create_user("kim@example.com", "kim", "passw0rd!")
    for _ in range(5):
        assert client.get_user(user.id).is_active
    assert servicer.get_user_calls == 1
    accounts.set_active(user.id, False)
    clock.advance(USER_CACHE_SECONDS + 0.01)
    assert not client.get_user(user.id).is_active
    assert servicer.get_user_calls == 2


def test_a_deactivated_or_missing_user_is_never_kept(host, client):
    accounts, servicer = host[0], host[1]
    user = accounts.create_user("lee@example.com", "lee", "passw0rd!")
    accounts.set_active(user.id, False)
    for _ in range(3):
        assert not client.get_user(user.id).is_active
        assert client.get_user("m" * 26) is None
    assert servicer.get_user_calls == 6
    accounts.set_active(user.id, True)
    assert client.get_user(user.id).is_active


def test_revoke_user_drops_what_was_kept_at_once(host, client):
    accounts, servicer = host[0], host[1]
    user = accounts.create_user("max@example.com", "max", "passw0rd!")
    assert client.get_user(user.id).is_active
    accounts.set_active(user.id, False)
    client.forget_user(user.id)
    assert not client.get_user(user.id).is_active
    assert servicer.get_user_calls == 2


def test_an_answer_in_flight_while_the_user_is_forgotten_is_not_kept(host, client):
    accounts, servicer = host[0], host[1]
    user = accounts.create_user("ned@example.com", "ned", "passw0rd!")
    original = client._call

    def forgotten_meanwhile(rpc, request):
        answer = original(rpc, request)  # the host said "active"...
        client.forget_user(user.id)  # ...and RevokeUser arrived before the answer was kept
        return answer

    client._call = forgotten_meanwhile
    assert client.get_user(user.id).is_active
    client._call = original
    client.get_user(user.id)
    assert servicer.get_user_calls == 2


def test_a_stuck_host_is_host_unavailable_within_the_timeout(host, client):
    accounts, servicer = host[0], host[1]
    user = accounts.create_user("ola@example.com", "ola", "passw0rd!")
    servicer.stall = True
    with pytest.raises(HostUnavailable, match="DEADLINE_EXCEEDED"):
        client.get_user(user.id)


def test_a_host_that_is_gone_is_host_unavailable(host):
    _, _, endpoint, tls = host
    gone = host_api_pb2.HostAPIEndpoint(network="tcp", address="127.0.0.1:1")
    with HostClient(open_channel(gone, tls), timeout=1.0) as client:
        with pytest.raises(HostUnavailable):
            client.get_user("p" * 26)


def test_a_host_error_other_than_not_found_is_host_unavailable(host, client):
    servicer = host[1]
    servicer.accounts = None  # every lookup fails: the servicer answers 500
    with pytest.raises(HostUnavailable, match="app.plugin_api.internal.app_error"):
        client.get_user("r" * 26)


def test_a_tcp_host_api_without_automtls_is_refused(host):
    _, _, endpoint, _ = host
    with pytest.raises(ValueError, match="AutoMTLS"):
        open_channel(endpoint, None)
    with pytest.raises(ValueError, match="network"):
        open_channel(host_api_pb2.HostAPIEndpoint(network="udp", address="x"), None)


def test_only_the_launchs_host_is_trusted(host):
    _, _, endpoint, (_, key, cert) = host
    impostor = protocol.generate_certificate().cert_pem  # trusting another certificate than the launch's host's
    with HostClient(open_channel(endpoint, (impostor, key, cert)), timeout=1.0) as client:
        with pytest.raises(HostUnavailable, match="UNAVAILABLE"):
            client.get_user("s" * 26)


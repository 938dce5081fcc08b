"""Each launch of the real plugin gets a HostAPI of its own (server_stub.plugin_process.PluginProcess), named at
OnActivate, and the plugin uses it: with AutoMTLS over TCP with the launch's pinned certificates, without it over a
socket in the host's private directory. A relaunch has a fresh key pair and a new HostAPI; the old one is gone."""
from __future__ import annotations

import json
import os
import socket
import ssl

import grpc
import pytest

from goplugin import protocol
from oauthplugin.v1 import common_pb2, hooks_pb2, services
from server_stub import manifest
from server_stub.accounts import Accounts
from server_stub.config import ConfigStore
from server_stub.host_api import HostAPIServicer
from server_stub.plugin_process import PluginProcess
from tests.conftest import ROOT
from tests.loop_thread import LoopThread
from tests.rpc.flows import EXPIRED_CODE, OAuthClient, client_call, expect_error, ok


class Launches:
    """The host's side of launches of the real plugin: its accounts, its HostAPI servicer, its event loop."""

    def __init__(self, tmp_path) -> None:
        self.tmp_path = tmp_path
        config = ConfigStore(str(tmp_path / "data"), "127.0.0.1:0")
        self.accounts = Accounts(config.config["SqlSettings"]["DataSource"])
        self.servicer = HostAPIServicer(self.accounts, dict)
        self.loop = LoopThread()
        self.processes: list[PluginProcess] = []

    def launch(self, auto_mtls: bool = True) -> PluginProcess:
        bundle = manifest.load(str(ROOT))
        process = PluginProcess(bundle, bundle.executable(), self.servicer, auto_mtls=auto_mtls)
        self.processes.append(process)
        server = {"ServiceSettings": {"SiteURL": "https://chat.example.com"},
                  "FileSettings": {"Directory": str(self.tmp_path / f"files{len(self.processes)}")}}

        async def start_and_activate():
            await process.start()
            return await process.hooks.OnActivate(hooks_pb2.OnActivateRequest(
                configuration=hooks_pb2.Configuration(server_config_json=json.dumps(server).encode(),
                                                      plugin_config_json=b"{}"),
                host_api=process.host_api.endpoint), timeout=30)

        answer = self.loop.run(start_and_activate())
        assert not answer.HasField("error"), answer.error
        return process

    def oauth(self, process: PluginProcess) -> OAuthClient:
        """The plugin's OAuth services from the test's thread, authenticated as the host of this launch."""
        handshake = process.handshake
        if handshake.server_cert_der:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=protocol.der_to_pem(handshake.server_cert_der),
                private_key=process.certificate.key_pem, certificate_chain=process.certificate.cert_pem)
            channel = grpc.secure_channel(handshake.address, credentials,
                                          options=[("grpc.ssl_target_name_override", "localhost")])
        else:
            channel = grpc.insecure_channel(handshake.grpc_target)
        return OAuthClient(None, services.PluginStub(channel))

    def stop(self, process: PluginProcess) -> None:
        self.loop.run(process.stop())

    def close(self) -> None:
        for process in self.processes:
            self.loop.run(process.stop())
        self.loop.close()
        self.accounts.close()


@pytest.fixture
def launches(tmp_path):
    host = Launches(tmp_path)
    yield host
    host.close()


def user_context(user) -> common_pb2.RequestContext:
    return common_pb2.RequestContext(user_id=user.id, request_id="r", remote_addr="127.0.0.1")


def served_certificate(address: str) -> bytes:
    """The certificate a TLS server at 127.0.0.1:PORT presents (DER), whether or not it then accepts us."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def refuses_connections(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        return True
    return False


def check_the_plugin_asks_its_host(launches: Launches, process: PluginProcess) -> None:
    """Introspection names the user as the host knows them; a deactivated user's code is refused."""
    client = launches.oauth(process)
    app = client.create_app()
    alice = launches.accounts.create_user("alice@example.com", "alice", "passw0rd!")
    tokens = client.tokens(user_context(alice), app)
    answer = ok(client_call(client.rpc.Introspect, token=tokens.access_token, client_id=app.id,
                            client_secret=app.client_secret))
    assert (answer.active, answer.sub, answer.username) == (True, alice.id, "alice")
    bob = launches.accounts.create_user("bob@example.com", "bob", "passw0rd!")
    code = client.code_for(user_context(bob), app)
    launches.accounts.set_active(bob.id, False)  # no RevokeUser: only the HostAPI can tell the plugin
    expect_error(client.exchange(app, code), EXPIRED_CODE, 403, "invalid_grant")


def test_with_automtls_the_plugin_asks_its_host_over_tls_with_the_launchs_certificates(launches):
    process = launches.launch()
    endpoint = process.host_api.endpoint
    assert endpoint.network == "tcp" and endpoint.address.startswith("127.0.0.1:")
    assert served_certificate(endpoint.address) == process.certificate.cert_der  # the one in PLUGIN_CLIENT_CERT
    check_the_plugin_asks_its_host(launches, process)


def test_without_automtls_the_plugin_asks_its_host_over_a_socket_in_a_private_directory(launches):
    process = launches.launch(auto_mtls=False)
    endpoint = process.host_api.endpoint
    assert process.handshake.network == "unix" and endpoint.network == "unix"
    assert os.stat(os.path.dirname(endpoint.address)).st_mode & 0o077 == 0
    check_the_plugin_asks_its_host(launches, process)


def test_a_relaunch_gets_a_fresh_key_pair_and_a_host_api_of_its_own(launches):
    first = launches.launch()
    old_address, old_cert = first.host_api.endpoint.address, first.certificate.cert_der
    launches.stop(first)
    assert refuses_connections(old_address)
    second = launches.launch()
    assert second.certificate.cert_der != old_cert and second.handshake.server_cert_der != \
        first.handshake.server_cert_der
    assert served_certificate(second.host_api.endpoint.address) == second.certificate.cert_der
    # The old launch's host identity is not the new plugin's: the new HostAPI refuses it as a client.
    credentials = grpc.ssl_channel_credentials(root_certificates=second.certificate.cert_pem,
                                               private_key=first.certificate.key_pem,
                                               certificate_chain=first.certificate.cert_pem)
    with grpc.secure_channel(second.host_api.endpoint.address, credentials,
                             options=[("grpc.ssl_target_name_override", "localhost")]) as channel:
        stub = channel.unary_unary("/oauthplugin.v1.HostAPI/GetConfig", request_serializer=lambda r: r,
                                   response_deserializer=lambda r: r)
        with pytest.raises(grpc.RpcError) as refused:
            stub(b"", timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    check_the_plugin_asks_its_host(launches, second)

"""The real plugin process, launched the way the host launches it (magic cookie, AutoMTLS), activated with a
configuration in a temporary data directory, and a client of its OAuth services that presents the host certificate."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess

import grpc
import pytest

from goplugin import grpc_controller_pb2, grpc_controller_pb2_grpc, protocol
from oauthplugin.v1 import common_pb2, hooks_pb2, hooks_pb2_grpc, services
from server_stub import manifest

from tests.conftest import ROOT

ADMIN_PERMISSIONS = ("manage_oauth", "manage_system_wide_oauth", "manage_system", "edit_other_users")


class LaunchedPlugin:
    def __init__(self, data_dir: pathlib.Path, cwd: pathlib.Path = ROOT) -> None:
        self.data_dir = data_dir
        self.cert = protocol.generate_certificate()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGIN_")}
        env.update({protocol.COOKIE_KEY: protocol.COOKIE_VALUE, "PLUGIN_CLIENT_CERT": self.cert.cert_pem.decode(),
                    "PLUGIN_PROTOCOL_VERSIONS": "1"})
        exe = manifest.load(str(ROOT)).executable()
        self.proc = subprocess.Popen([exe], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=open(data_dir / "plugin.log", "ab"), env=env, cwd=cwd)
        self.handshake = protocol.parse_handshake(self.proc.stdout.readline().decode())
        creds = grpc.ssl_channel_credentials(
            root_certificates=protocol.der_to_pem(self.handshake.server_cert_der),
            private_key=self.cert.key_pem, certificate_chain=self.cert.cert_pem)
        self._credentials = creds
        self.channel = self.new_channel()
        self.hooks = hooks_pb2_grpc.PluginHooksStub(self.channel)
        self.oauth = services.PluginStub(self.channel)
        self.service_settings = {"SiteURL": "https://chat.example.com", "EnableOAuthServiceProvider": True}
        self.plugin_settings: dict = {}
        response = self.hooks.OnActivate(hooks_pb2.OnActivateRequest(configuration=self._configuration()),
                                         timeout=30)
        assert not response.HasField("error"), response.error

    def new_channel(self) -> grpc.Channel:
        """Another connection to the plugin, presenting the same host certificate (a second host client)."""
        return grpc.secure_channel(self.handshake.address, self._credentials,
                                   options=[("grpc.ssl_target_name_override", "localhost")])

    @property
    def db_path(self) -> pathlib.Path:
        return self.data_dir / "files" / "plugins" / "oauth-provider" / "oauth.db"

    def _configuration(self) -> hooks_pb2.Configuration:
        server = {"ServiceSettings": self.service_settings, "FileSettings": {"Directory": str(self.data_dir / "files")}}
        return hooks_pb2.Configuration(server_config_json=json.dumps(server).encode(),
                                       plugin_config_json=json.dumps(self.plugin_settings).encode())

    def configure(self, plugin: dict | None = None, **service) -> None:
        """Change settings the way the host does: OnConfigurationChange with the whole configuration."""
        self.service_settings.update(service)
        self.plugin_settings.update({k.lower(): v for k, v in (plugin or {}).items()})
        response = self.hooks.OnConfigurationChange(
            hooks_pb2.OnConfigurationChangeRequest(configuration=self._configuration()), timeout=30)
        assert not response.HasField("error"), response.error

    def stop(self) -> None:
        try:
            grpc_controller_pb2_grpc.GRPCControllerStub(self.channel).Shutdown(grpc_controller_pb2.Empty(), timeout=5)
            self.proc.wait(5)
        except (grpc.RpcError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.channel.close()


def context(user_id: str = "", permissions=(), is_oauth: bool = False) -> common_pb2.RequestContext:
    return common_pb2.RequestContext(user_id=user_id, permissions=list(permissions), is_oauth=is_oauth,
                                     request_id="testrequest", remote_addr="127.0.0.1")


@pytest.fixture
def plugin(tmp_path):
    launched = LaunchedPlugin(tmp_path)
    yield launched
    launched.stop()


def _refuse_configure(*args, **kwargs):
    raise AssertionError("the module-wide plugin is shared: use the `plugin` fixture to change settings")


@pytest.fixture(scope="module")
def shared_plugin(tmp_path_factory):
    """One plugin process for a whole module, with the default settings, for tests that only add their own apps
    and users (fresh ids each) and never change settings; `configure` refuses."""
    launched = LaunchedPlugin(tmp_path_factory.mktemp("shared-plugin"))
    launched.configure = _refuse_configure
    yield launched
    launched.stop()


@pytest.fixture
def client(plugin):
    """The OAuth services of a plugin process of this test's own (see tests/rpc/flows.py)."""
    from tests.rpc.flows import OAuthClient

    return OAuthClient(plugin)


@pytest.fixture(scope="module")
def shared(shared_plugin):
    """The OAuth services of the module-wide plugin process."""
    from tests.rpc.flows import OAuthClient

    return OAuthClient(shared_plugin)


__all__ = ["LaunchedPlugin", "context", "ADMIN_PERMISSIONS"]

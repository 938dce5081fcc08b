"""The plugin process speaks go-plugin's gRPC protocol: cookie, handshake, health, controller, AutoMTLS."""
from __future__ import annotations

import os
import pathlib
import signal
import stat
import subprocess
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from goplugin import grpc_controller_pb2, grpc_controller_pb2_grpc, protocol
from oauthplugin.v1 import hooks_pb2, hooks_pb2_grpc

from tests.conftest import ROOT

EXECUTABLE = ROOT / "bin" / "oauth-provider"


def launch(extra_env: dict | None = None, cookie: bool = True) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGIN_") and k != protocol.COOKIE_KEY}
    if cookie:
        env[protocol.COOKIE_KEY] = protocol.COOKIE_VALUE
    env.update(extra_env or {})
    return subprocess.Popen([str(EXECUTABLE)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=ROOT)


@pytest.fixture
def host_cert():
    return protocol.generate_certificate()


@pytest.fixture
def mtls_plugin(host_cert):
    proc = launch({"PLUGIN_CLIENT_CERT": host_cert.cert_pem.decode(), "PLUGIN_MIN_PORT": "20000",
                   "PLUGIN_MAX_PORT": "20999", "PLUGIN_PROTOCOL_VERSIONS": "1"})
    line = proc.stdout.readline().decode()
    yield proc, protocol.parse_handshake(line), line
    proc.kill()
    proc.wait()


def mtls_channel(handshake: protocol.Handshake, cert: protocol.Certificate) -> grpc.Channel:
    creds = grpc.ssl_channel_credentials(root_certificates=protocol.der_to_pem(handshake.server_cert_der),
                                         private_key=cert.key_pem, certificate_chain=cert.cert_pem)
    return grpc.secure_channel(handshake.address, creds, options=[("grpc.ssl_target_name_override", "localhost")])


def test_plugin_without_magic_cookie_exits_1_with_go_plugin_message():
    proc = launch(cookie=False)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 1
    assert out == b""
    assert err.decode() == protocol.NOT_A_PROGRAM_MESSAGE


def test_handshake_line_is_first_stdout_line_with_tcp_address_in_port_range_and_certificate(mtls_plugin, host_cert):
    proc, handshake, line = mtls_plugin
    fields = line.rstrip("\n").split("|")
    assert fields[:3] == ["1", "1", "tcp"] and fields[4] == "grpc"
    host, port = handshake.address.rsplit(":", 1)
    assert host == "127.0.0.1" and 20000 <= int(port) <= 20999
    assert "=" not in fields[5], "the certificate is base64 without padding"
    assert handshake.server_cert_der and len(fields[5]) > 50


def test_health_reports_plugin_serving_to_the_host_certificate(mtls_plugin, host_cert):
    _, handshake, _ = mtls_plugin
    with mtls_channel(handshake, host_cert) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_client_without_the_host_certificate_cannot_call_the_plugin(mtls_plugin):
    _, handshake, _ = mtls_plugin
    stranger = protocol.generate_certificate()
    with mtls_channel(handshake, stranger) as channel:
        with pytest.raises(grpc.RpcError) as caught:
            hooks_pb2_grpc.PluginHooksStub(channel).Implemented(hooks_pb2.ImplementedRequest(), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    # Without any client certificate, trusting the server's certificate.
    creds = grpc.ssl_channel_credentials(root_certificates=protocol.der_to_pem(handshake.server_cert_der))
    with grpc.secure_channel(handshake.address, creds,
                             options=[("grpc.ssl_target_name_override", "localhost")]) as channel:
        with pytest.raises(grpc.RpcError):
            hooks_pb2_grpc.PluginHooksStub(channel).Implemented(hooks_pb2.ImplementedRequest(), timeout=5)
    # Plaintext.
    with grpc.insecure_channel(handshake.address) as channel:
        with pytest.raises(grpc.RpcError):
            hooks_pb2_grpc.PluginHooksStub(channel).Implemented(hooks_pb2.ImplementedRequest(), timeout=5)


def test_implemented_lists_the_lifecycle_hooks(mtls_plugin, host_cert):
    _, handshake, _ = mtls_plugin
    with mtls_channel(handshake, host_cert) as channel:
        reply = hooks_pb2_grpc.PluginHooksStub(channel).Implemented(hooks_pb2.ImplementedRequest(), timeout=5)
    assert set(reply.hooks) == {"OnActivate", "ConfigurationWillBeSaved", "OnConfigurationChange", "OnDeactivate",
                                "ServeMetrics"}


def test_serve_metrics_answers_prometheus_text(mtls_plugin, host_cert):
    from prometheus_client.parser import text_string_to_metric_families

    _, handshake, _ = mtls_plugin
    with mtls_channel(handshake, host_cert) as channel:
        reply = hooks_pb2_grpc.PluginHooksStub(channel).ServeMetrics(hooks_pb2.ServeMetricsRequest(), timeout=5)
    names = {family.name for family in text_string_to_metric_families(reply.text.decode())}
    assert {"oauth_provider_tokens_issued", "oauth_provider_store_seconds", "oauth_provider_cleanup_runs"} <= names


def test_shutdown_replies_then_the_process_exits_on_its_own(mtls_plugin, host_cert):
    proc, handshake, _ = mtls_plugin
    with mtls_channel(handshake, host_cert) as channel:
        grpc_controller_pb2_grpc.GRPCControllerStub(channel).Shutdown(grpc_controller_pb2.Empty(), timeout=5)
    # go-plugin waits 2 s before it kills; the plugin must be gone by then without a signal.
    assert proc.wait(timeout=2) == 0
    assert proc.stdout.read() == b"", "nothing but the handshake line may reach stdout"
    assert b'"@message": "plugin stopped"' in proc.stderr.read()


def test_sigint_is_ignored(mtls_plugin, host_cert):
    proc, handshake, _ = mtls_plugin
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    assert proc.poll() is None
    with mtls_channel(handshake, host_cert) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_without_host_certificate_it_serves_a_unix_socket_only_its_user_can_open():
    proc = launch()
    try:
        handshake = protocol.parse_handshake(proc.stdout.readline().decode())
        assert handshake.network == "unix" and handshake.server_cert_der is None
        directory = pathlib.Path(handshake.address).parent
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        with grpc.insecure_channel(handshake.grpc_target) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="plugin"),
                                                              timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            grpc_controller_pb2_grpc.GRPCControllerStub(channel).Shutdown(grpc_controller_pb2.Empty(), timeout=5)
        assert proc.wait(timeout=2) == 0
        assert not directory.exists(), "the socket directory is removed on exit"
    finally:
        proc.kill()
        proc.wait()


def test_log_lines_on_stderr_are_go_plugin_json():
    import json

    proc = launch()
    try:
        proc.stdout.readline()
        line = json.loads(proc.stderr.readline())
        assert {"@level", "@message", "@timestamp"} <= set(line)
        assert line["@level"] == "info"
    finally:
        proc.kill()
        proc.wait()


def test_plugin_exits_when_its_host_dies():
    # The host is a shell that launches the plugin and is then killed; the orphan must not linger.
    script = f"{EXECUTABLE} & echo $!; wait"
    env = dict(os.environ, **{protocol.COOKIE_KEY: protocol.COOKIE_VALUE})
    shell = subprocess.Popen(["/bin/sh", "-c", script], stdout=subprocess.PIPE, env=env, start_new_session=True)
    plugin_pid = int(shell.stdout.readline())
    shell.stdout.readline()  # the plugin's handshake line: it is serving
    shell.kill()
    shell.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(plugin_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(plugin_pid, signal.SIGKILL)
    pytest.fail("the plugin outlived its host")

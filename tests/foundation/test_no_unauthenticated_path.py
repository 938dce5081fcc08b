"""Nothing but the host reaches the plugin's RPCs, by any path (they trust the caller's RequestContext: a forged
one for the admin would consent, and get tokens, on the admin's behalf).

A stranger, a process of the same user that is not the plugin's host (tests/fakes/probe_plugin.py), finds every
socket the launched plugin listens on and tries each in plaintext and over TLS, with no client certificate and
with one of its own:
- under AutoMTLS with our host's P-256 key, gRPC's own TLS is the one listener;
- under AutoMTLS with go-plugin's P-521 key, the relay's upstream (the gRPC server's unix socket) requires this
  launch's own certificate;
- without AutoMTLS, the unix socket relays only the process that launched the plugin (SO_PEERCRED).
tests/interop/test_goplugin_host.py shows that a real go-plugin host still gets through, in both modes.
"""
from __future__ import annotations

import json
import subprocess
import sys

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from grpc_health.v1 import health_pb2, health_pb2_grpc

from goplugin import grpc_controller_pb2, grpc_controller_pb2_grpc, protocol

from tests.conftest import ROOT
from tests.foundation.test_plugin_process import launch, mtls_channel

PROBE = ROOT / "tests" / "fakes" / "probe_plugin.py"


def probe(pid: int) -> dict:
    """Run the stranger: a child of this test, hence not the plugin's parent."""
    result = subprocess.run([sys.executable, str(PROBE), str(pid)], capture_output=True, text=True, timeout=120,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def reached(report: dict) -> list[dict]:
    return [a for a in report["attempts"] if "ok" in a["calls"].values()]


def stop(proc: subprocess.Popen, channel: grpc.Channel) -> None:
    try:
        grpc_controller_pb2_grpc.GRPCControllerStub(channel).Shutdown(grpc_controller_pb2.Empty(), timeout=5)
        proc.wait(5)
    except (grpc.RpcError, subprocess.TimeoutExpired):
        pass
    finally:
        channel.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP521R1()], ids=["p256-host", "p521-go-plugin-host"])
def test_under_automtls_a_client_without_the_host_certificate_reaches_no_rpc(curve):
    host_cert = protocol.generate_certificate(curve)
    proc = launch({"PLUGIN_CLIENT_CERT": host_cert.cert_pem.decode(), "PLUGIN_PROTOCOL_VERSIONS": "1"})
    handshake = protocol.parse_handshake(proc.stdout.readline().decode())
    channel = mtls_channel(handshake, host_cert)  # for Shutdown (a P-521 client key is beyond grpcio: then killed)
    try:
        report = probe(proc.pid)
        assert handshake.address in report["tcp"], report  # the probe finds what the host was told
        if isinstance(curve, ec.SECP256R1):
            assert report["unix"] == [], "gRPC's own TLS is the only listener"
        else:
            assert len(report["unix"]) == 1, report  # the relay's upstream
        assert report["attempts"] and not reached(report), reached(report)
        if isinstance(curve, ec.SECP256R1):  # and the host itself still gets through
            with mtls_channel(handshake, host_cert) as host:
                answer = health_pb2_grpc.HealthStub(host).Check(health_pb2.HealthCheckRequest(service="plugin"),
                                                                timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        stop(proc, channel)


def test_without_automtls_only_the_process_that_launched_the_plugin_is_served():
    proc = launch()
    handshake = protocol.parse_handshake(proc.stdout.readline().decode())
    assert handshake.network == "unix"
    channel = grpc.insecure_channel(handshake.grpc_target)
    try:
        report = probe(proc.pid)
        assert f"unix:{handshake.address}" in [a["target"] for a in report["attempts"]], report
        assert report["attempts"] and not reached(report), reached(report)
        # This test launched the plugin: it is the host, and is served.
        answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        stop(proc, channel)

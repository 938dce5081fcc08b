"""The host's supervisor gives a clear error for each way a plugin can fail to start."""
from __future__ import annotations

import pytest

from goplugin import protocol
from server_stub import manifest
from server_stub.supervisor import PluginState, PluginSupervisor

from tests.conftest import install_fake_plugin


def no_config():
    return b"{}", b"{}"


@pytest.mark.parametrize("line, expected", [
    ("hello plugin", "Unrecognized remote plugin message"),
    ("1|1|tcp|127.0.0.1:1234|netrpc", "Unsupported plugin protocol 'netrpc'"),
    ("1|1|tcp|127.0.0.1:1234", "Unsupported plugin protocol 'netrpc'"),  # no protocol field means netrpc
    ("2|1|tcp|127.0.0.1:1234|grpc", "Incompatible core API version"),
    ("1|7|tcp|127.0.0.1:1234|grpc", "Incompatible API version with plugin. Plugin version: 7"),
    ("1|1|udp|127.0.0.1:1234|grpc", "Unknown address type"),
])
async def test_bad_handshake_line_fails_to_start_with_go_plugin_message(plugins_dir, monkeypatch, line, expected):
    install_fake_plugin(plugins_dir, "fake.handshake", "bad_handshake.py")
    monkeypatch.setenv("FAKE_HANDSHAKE", line)
    supervisor = PluginSupervisor(manifest.load(str(plugins_dir / "fake.handshake")), no_config)
    await supervisor.activate()
    assert supervisor.state == PluginState.FAILED_TO_START
    assert expected in supervisor.error
    assert supervisor.process is None


async def test_plugin_that_exits_before_handshake_reports_its_exit_and_stderr(plugins_dir, monkeypatch):
    install_fake_plugin(plugins_dir, "fake.exit", "bad_handshake.py")
    monkeypatch.setenv("FAKE_MODE", "exit")
    supervisor = PluginSupervisor(manifest.load(str(plugins_dir / "fake.exit")), no_config)
    await supervisor.activate()
    assert supervisor.state == PluginState.FAILED_TO_START
    assert "plugin exited before we could connect (exit status 3)" in supervisor.error
    assert "fatal: cannot start" in supervisor.error


async def test_plugin_that_never_answers_times_out(plugins_dir, monkeypatch):
    install_fake_plugin(plugins_dir, "fake.hang", "bad_handshake.py")
    monkeypatch.setenv("FAKE_MODE", "hang")
    supervisor = PluginSupervisor(manifest.load(str(plugins_dir / "fake.hang")), no_config, start_timeout=0.5)
    await supervisor.activate()
    assert supervisor.state == PluginState.FAILED_TO_START
    assert "timeout while waiting for plugin to start" in supervisor.error


async def test_missing_executable_fails_to_start(plugins_dir):
    directory = install_fake_plugin(plugins_dir, "fake.missing", "bad_handshake.py")
    (directory / "run").unlink()
    supervisor = PluginSupervisor(manifest.load(str(directory)), no_config)
    await supervisor.activate()
    assert supervisor.state == PluginState.FAILED_TO_START
    assert "could not launch" in supervisor.error


def test_handshake_round_trip_keeps_certificate():
    cert = protocol.generate_certificate()
    line = protocol.Handshake(1, 1, "tcp", "127.0.0.1:1", "grpc", cert.cert_der).line()
    assert protocol.parse_handshake(line + "\n").server_cert_der == cert.cert_der

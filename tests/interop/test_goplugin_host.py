"""A real hashicorp/go-plugin host accepts the plugin.

tests/interop/goplugin_host/main.go is a minimal go-plugin host (Mattermost's handshake configuration,
AllowedProtocols = [grpc]). It launches the executable named in plugin.json with nothing but the magic cookie
(and go-plugin's own variables) added to a bare environment, connects, pings, dispenses, then Kills the client:
GRPCController/Shutdown and up to 2 seconds for the process to leave by itself before go-plugin sends SIGKILL.
It runs twice: plain (unix socket) and with AutoMTLS (go-plugin's P-521 host certificate in PLUGIN_CLIENT_CERT,
TCP with mutual TLS).

It is built with the Go toolchain and the Debian -dev packages (GOPATH mode, offline): golang-go,
golang-github-hashicorp-go-plugin-dev and golang-google-grpc-dev. `make test` installs them
(scripts/install-go-interop); in CI (CI=true) their absence fails the test, locally it skips.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess

import pytest

from server_stub import manifest
from tests.conftest import ROOT

HOST_SOURCE = pathlib.Path(__file__).resolve().parent / "goplugin_host"
SYSTEM_GOPATH = "/usr/share/gocode"
# Packages the host imports that Debian ships outside golang-go (go-plugin's -dev package lacks grpc).
REQUIRED_SOURCES = ("github.com/hashicorp/go-plugin", "github.com/hashicorp/go-hclog", "google.golang.org/grpc")
INSTALL_HINT = "apt-get install golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def gopath() -> list[str]:
    entries = [p for p in os.environ.get("GOPATH", "").split(os.pathsep) if p]
    if SYSTEM_GOPATH not in entries:
        entries.append(SYSTEM_GOPATH)
    return entries


def missing_toolchain() -> str | None:
    """Why the Go host cannot be built here, or None."""
    if shutil.which("go") is None:
        return "the `go` command is not installed"
    for package in REQUIRED_SOURCES:
        if not any(os.path.isdir(os.path.join(root, "src", package)) for root in gopath()):
            return f"the Go sources of {package} are not under {os.pathsep.join(gopath())}/src"
    return None


@pytest.fixture(scope="session")
def goplugin_host(tmp_path_factory) -> pathlib.Path | str:
    """The go-plugin host binary, built once per session; or why it cannot be built here."""
    reason = missing_toolchain()
    if reason:
        return f"cannot build the go-plugin host: {reason} (install: {INSTALL_HINT}; make test does this)"
    work = tmp_path_factory.mktemp("goplugin_host")
    binary = work / "goplugin_host"
    env = dict(os.environ)
    env.update({
        "GO111MODULE": "off",  # GOPATH mode: the Debian -dev packages, no module proxy
        "GOPATH": os.pathsep.join([str(work / "gopath")] + gopath()),
        "GOFLAGS": "",
        "GOPROXY": "off",
        "CGO_ENABLED": "0",
    })
    if not env.get("GOCACHE") and not env.get("HOME"):
        env["GOCACHE"] = str(work / "gocache")
    result = subprocess.run(["go", "build", "-o", str(binary), "."], cwd=HOST_SOURCE, env=env,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"go build of the go-plugin host failed:\n{result.stdout}{result.stderr}", pytrace=False)
    return binary


def require_host(goplugin_host: pathlib.Path | str) -> pathlib.Path:
    """The built host; without a Go toolchain the test fails in CI (CI=true) and skips elsewhere."""
    if isinstance(goplugin_host, str):
        if in_ci():
            pytest.fail(goplugin_host, pytrace=False)
        pytest.skip(goplugin_host)
    return goplugin_host


def plugin_executable() -> str:
    executable = manifest.load(str(ROOT)).executable()
    assert executable and os.access(executable, os.X_OK), f"plugin.json names no runnable executable: {executable}"
    return executable


def run_host(binary: pathlib.Path, mode: str, cwd: pathlib.Path) -> tuple[dict, subprocess.CompletedProcess]:
    # A bare environment: the host adds the magic cookie and go-plugin's PLUGIN_* variables, nothing else.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    args = [str(binary)] + (["-automtls"] if mode == "automtls" else []) + [plugin_executable()]
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    lines = result.stdout.strip().splitlines()
    assert lines, f"the go-plugin host printed no report (exit {result.returncode}):\n{result.stderr}"
    return json.loads(lines[-1]), result


@pytest.mark.parametrize("mode", ["plain", "automtls"])
def test_go_plugin_host_accepts_the_plugin_executable(goplugin_host, tmp_path, mode):
    report, result = run_host(require_host(goplugin_host), mode, tmp_path)
    log = result.stderr
    assert result.returncode == 0, f"go-plugin host failed: {report.get('error')}\n{log}"

    # Handshake: accepted by a host that allows only gRPC.
    assert report["handshake_accepted"] is True, log
    assert report["protocol"] == "grpc"
    assert report["negotiated_version"] == 1
    if mode == "automtls":
        assert report["network"] == "tcp" and report["address"].startswith("127.0.0.1:"), report
    else:
        assert report["network"] == "unix", report

    # Health check (go-plugin's Ping) and the status behind it.
    assert report["ping"] is True, log
    assert report["health_status"] == "SERVING"
    assert report["dispensed"] is True

    # Graceful shutdown: the controller's Shutdown reached the plugin, which left by itself with status 0.
    assert "shutdown requested by the host" in log, log
    assert report["forced_kill"] is False, f"go-plugin had to kill the plugin:\n{log}"
    assert "plugin failed to exit gracefully" not in log
    assert report["exited"] is True and report["exit_code"] == 0 and report["exit_signal"] == "", report
    assert report["graceful"] is True
    assert report["kill_seconds"] < 2.0, report

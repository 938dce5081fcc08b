"""Shared fixtures: real host and plugin processes on free loopback ports, in temporary data directories."""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PLUGIN_ID = json.loads((ROOT / "plugin.json").read_text())["id"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


class HostProcess:
    """`python -m server_stub serve` in its own data directory; its log lines are kept in a file."""

    def __init__(self, data_dir: pathlib.Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        self.proc: subprocess.Popen | None = None

    def configure(self, change) -> None:
        """Edit config.json before start (or while running: the host watches it)."""
        from server_stub.config import edit_config_file

        edit_config_file(str(self.data_dir), change)

    def start(self, wait_running: bool = True) -> "HostProcess":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server_stub", "serve", "--listen", f"127.0.0.1:{self.port}",
             "--data-dir", str(self.data_dir)],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        wait_for(self._pings, message="the host to answer ping")
        if wait_running:
            self.wait_state(2)
        return self

    def _pings(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + "/api/v4/system/ping", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def local(self, method: str, path: str):
        from server_stub.__main__ import local_request

        return local_request(str(self.data_dir), method, path)

    def status(self, plugin_id: str = PLUGIN_ID) -> dict:
        answer = self.local("GET", "/api/v4/plugins/statuses")
        assert answer is not None and answer[0] == 200, answer
        return next(s for s in answer[1] if s["plugin_id"] == plugin_id)

    def wait_state(self, state: int, plugin_id: str = PLUGIN_ID, timeout: float = 20.0) -> dict:
        return wait_for(lambda: (s := self.status(plugin_id))["state"] == state and s, timeout,
                        message=f"plugin {plugin_id} in state {state} (log: {self.log_path})")

    def log_lines(self) -> list[dict]:
        lines = []
        for raw in self.log_path.read_text(errors="replace").splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
        return lines

    def plugin_pid(self) -> int:
        """The pid of the running plugin process (its parent is the host)."""
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        assert out, "the host has no child process"
        return int(out[-1])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def make_host(tmp_path):
    hosts: list[HostProcess] = []

    def factory(name: str = "host") -> HostProcess:
        host = HostProcess(tmp_path / name, free_port())
        hosts.append(host)
        return host

    yield factory
    for host in hosts:
        host.stop()


@pytest.fixture
def plugins_dir(tmp_path) -> pathlib.Path:
    path = tmp_path / "plugins"
    path.mkdir()
    return path


def install_fake_plugin(plugins_dir: pathlib.Path, plugin_id: str, script: str) -> pathlib.Path:
    """A plugin bundle whose executable runs tests/fakes/<script> with this interpreter."""
    directory = plugins_dir / plugin_id
    directory.mkdir()
    exe = directory / "run"
    exe.write_text(f"#!/bin/sh\nexec {sys.executable} {ROOT / 'tests' / 'fakes' / script} \"$@\"\n")
    exe.chmod(0o755)
    (directory / "plugin.json").write_text(json.dumps(
        {"id": plugin_id, "name": plugin_id, "version": "1.0.0", "server": {"executable": "run"}}))
    return directory


def copy_real_plugin(plugins_dir: pathlib.Path) -> pathlib.Path:
    """Link the project (a plugin bundle) into a plugin directory, as the host installs it."""
    target = plugins_dir / PLUGIN_ID
    os.symlink(ROOT, target)
    return target


__all__ = ["free_port", "wait_for", "HostProcess", "install_fake_plugin", "copy_real_plugin", "shutil"]


@pytest.fixture(scope="session")
def plugin_bundle(tmp_path_factory) -> pathlib.Path:
    """The bundle `make bundle` builds (scripts/bundle), built once per test session."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "bundle"), "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    (bundle,) = out.glob("*.tar.gz")
    return bundle

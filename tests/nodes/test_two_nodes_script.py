"""scripts/two-nodes (`make two-nodes`), the README's way to run several nodes locally: it starts PostgreSQL,
two hosts and a load balancer, the nodes share users and apps behind it, and Ctrl-C stops all of it."""
from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time

import psycopg
import pytest

from tests import postgres
from tests.conftest import ROOT, free_port
from tests.host.conftest import Api

from .conftest import PASSWORD, create_app, me


@pytest.fixture
def running(tmp_path):
    postgres.require_dsn()
    ports = [free_port() for _ in range(3)]
    pg_dir = tempfile.mkdtemp(prefix="oauth-two-nodes-test-")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "two-nodes"), "--listen", f"127.0.0.1:{ports[0]}",
         "--nodes", f"127.0.0.1:{ports[1]},127.0.0.1:{ports[2]}", "--dir", str(tmp_path / "nodes"),
         "--pg-dir", pg_dir],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Sign up at"):
            break
    assert lines and lines[-1].startswith("Sign up at"), "".join(lines)
    dsn = next(line.split("database: ", 1)[1].strip() for line in lines if "database: " in line)
    try:
        yield proc, Api(f"http://127.0.0.1:{ports[0]}"), [Api(f"http://127.0.0.1:{p}") for p in ports[1:]], dsn
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        subprocess.run([str(ROOT / "scripts" / "pg-test-server"), "stop", pg_dir, "immediate"], capture_output=True)
        subprocess.run(["rm", "-rf", pg_dir])


def test_two_nodes_behind_the_balancer_share_everything_and_stop_on_ctrl_c(running):
    proc, balancer, (node_a, node_b), dsn = running
    created = balancer.post("/api/v4/users", {"email": "admin@example.com", "username": "admin",
                                               "password": PASSWORD})
    assert created.status == 201 and "system_admin" in created.json["roles"]
    token = balancer.login("admin", PASSWORD).headers["Token"]
    assert all(me(balancer, token).status == 200 for _ in range(4))  # round robin: both nodes
    app = create_app(node_a, token)
    assert app["id"] in [item["id"] for item in node_b.get("/api/v4/oauth/apps", token=token).json]

    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 0
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=2).close()  # PostgreSQL was stopped too
    for api in (node_a, node_b):
        with pytest.raises(OSError):
            api.get("/api/v4/system/ping")

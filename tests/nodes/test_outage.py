"""PostgreSQL stopped and started under two running nodes: while it is down every request that needs it fails
fast with 503 and Retry-After (never a hang, never a 500); once it is back both nodes serve again without a
restart of anything, and every token answered with 200 before the outage still works (no acknowledged write
lost, although the server was stopped the hard way and replayed its WAL).

A node or a plugin started while PostgreSQL is still down waits for it instead of failing.

The tests start a PostgreSQL server of their own (scripts/pg-test-server), so stopping it disturbs no other test;
they run when PostgreSQL tests run (OAUTH_TEST_POSTGRES_DSN set; in CI always)."""
from __future__ import annotations

import threading
import time

import pytest

from tests import postgres
from tests.conftest import PLUGIN_ID, HostProcess, free_port
from tests.host.conftest import Api

from .conftest import (code_for, create_app, exchange, form, me, pkce, point_at, refresh, sign_up, start_nodes,
                       tokens_for)


@pytest.fixture
def server():
    postgres.require_dsn()
    throwaway = postgres.ThrowawayServer().start()
    yield throwaway
    throwaway.remove()


@pytest.fixture
def nodes(server, tmp_path):
    started = start_nodes(tmp_path, server.dsn)
    yield started
    for node in started:
        node.process.stop()


def timed(call):
    started = time.monotonic()
    reply = call()
    return reply, time.monotonic() - started


def wait_until_served(call, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        reply = call()
        if reply.status == 200:
            return reply
        assert reply.status == 503 and reply.headers.get("Retry-After"), (reply.status, reply.body)
        assert time.monotonic() < deadline, "the nodes did not serve again after PostgreSQL came back"
        time.sleep(0.2)


def test_an_outage_gives_fast_503s_then_recovery_and_loses_no_acknowledged_token(server, nodes):
    a, b = nodes[0].api, nodes[1].api
    _, admin = sign_up(a, "admin")
    app = create_app(a, admin)
    _, user = sign_up(b, "outage-user", admin)
    # Tokens answered with 200 before the outage, through both nodes; the last one just before the stop.
    issued = [tokens_for((a, b)[i % 2], user, app) for i in range(6)]
    pending_verifier, challenge = pkce()
    pending_code = code_for(a, user, app, challenge)
    plugin_pids = [node.process.plugin_pid() for node in nodes]

    server.stop("immediate")  # a crash: no shutdown checkpoint

    slowest = 0.0
    for node in (a, b):
        for call in (
            lambda: me(node, issued[0]["access_token"]),                    # host sessions, then the plugin
            lambda: me(node, admin),                                         # a host session
            lambda: refresh(node, app, issued[1]["refresh_token"]),          # the token endpoint
            lambda: exchange(node, app, pending_code, pending_verifier),
            lambda: node.get("/api/v4/oauth/apps", token=admin),
            lambda: node.post("/api/v4/users/login", {"login_id": "admin", "password": "x"}),
        ):
            for _ in range(3):
                reply, elapsed = timed(call)
                slowest = max(slowest, elapsed)
                assert reply.status == 503, (reply.status, reply.body)
                assert reply.headers.get("Retry-After") == "1"
    assert slowest < 5, f"a request took {slowest:.1f} s while PostgreSQL was down"

    server.start()

    for node in (a, b):
        wait_until_served(lambda: me(node, admin))
        wait_until_served(lambda: node.get("/api/v4/oauth/apps", token=admin))
    for tokens in issued:
        for node in (a, b):
            assert me(node, tokens["access_token"]).status == 200
    # Nothing half-done: the code that could not be exchanged during the outage still can be, once.
    exchanged = exchange(b, app, pending_code, pending_verifier)
    assert exchanged.status == 200, exchanged.body
    renewed = refresh(a, app, issued[1]["refresh_token"])
    assert renewed.status == 200, renewed.body
    assert me(b, renewed.json["access_token"]).status == 200
    assert [node.process.plugin_pid() for node in nodes] == plugin_pids  # no plugin was restarted


def test_a_node_started_before_postgresql_waits_for_it_then_serves(server, tmp_path):
    """Services started together: the host retries its database instead of dying, and is up once it is."""
    server.stop("fast")
    node = HostProcess(tmp_path / "early-node", free_port())
    point_at(node, server.dsn)
    starting = threading.Thread(target=node.start)
    starting.start()
    try:
        time.sleep(3)
        assert node.proc is not None and node.proc.poll() is None, "the host gave up instead of waiting"
        assert not node._pings()
        server.start()
        starting.join(60)
        assert not starting.is_alive() and node._pings()
        api = Api(node.url)
        _, admin = sign_up(api, "early-admin")
        assert me(api, tokens_for(api, admin, create_app(api, admin))["access_token"]).status == 200
    finally:
        starting.join(60)
        node.stop()


def test_a_plugin_activated_before_postgresql_answers_503_then_serves_without_a_restart(server, tmp_path):
    """The host's accounts on SQLite, the plugin's store on PostgreSQL, which is down when the plugin activates:
    activation succeeds, OAuth calls answer 503 with Retry-After, and the plugin serves once it is up."""
    server.stop("fast")
    node = HostProcess(tmp_path / "sqlite-host", free_port())

    def plugin_on_postgres(config: dict) -> None:
        plugins = config["PluginSettings"].setdefault("Plugins", {})
        plugins[PLUGIN_ID] = {**plugins.get(PLUGIN_ID, {}), "drivername": "postgres", "datasource": server.dsn}

    node.configure(plugin_on_postgres)
    node.start()  # waits for the plugin's state "running"
    try:
        api = Api(node.url)
        _, admin = sign_up(api, "sqlite-admin")
        plugin_pid = node.plugin_pid()
        for call in (lambda: api.get("/api/v4/oauth/apps", token=admin),
                     lambda: api.post("/oauth/access_token", **form(grant_type="refresh_token", refresh_token="x",
                                                                     client_id="a" * 26, client_secret="s"))):
            reply, elapsed = timed(call)
            assert reply.status == 503 and reply.headers.get("Retry-After") == "1", (reply.status, reply.body)
            assert elapsed < 5
        server.start()
        wait_until_served(lambda: api.get("/api/v4/oauth/apps", token=admin))
        app = create_app(api, admin)
        assert me(api, tokens_for(api, admin, app)["access_token"]).status == 200
        assert node.plugin_pid() == plugin_pid  # the same process: no restart was needed
    finally:
        node.stop()

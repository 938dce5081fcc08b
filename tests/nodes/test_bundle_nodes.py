"""The bundle `make bundle` builds, on two nodes over one PostgreSQL: each node installs it and launches its own
copy (psycopg from the bundle), each serves its own /metrics, the status ping checks PostgreSQL, and upgrading one
node's bundle keeps the data both share."""
from __future__ import annotations

import concurrent.futures

import pytest

from tests import postgres
from tests.conftest import PLUGIN_ID, HostProcess, free_port
from tests.faults.flow import Client, OAuthHttp
from tests.host.test_metrics import scrape, total
from tests.host.test_plugin_bundles import upload, with_version

from .conftest import point_at


@pytest.fixture(scope="module")
def database():
    with postgres.fresh_database(postgres.require_dsn()) as dsn:
        yield dsn


def test_two_nodes_run_the_bundle_over_postgres_each_with_its_metrics(database, tmp_path, plugin_bundle):
    nodes = []
    for name in ("node-a", "node-b"):
        host = HostProcess(tmp_path / name, free_port())
        point_at(host, database)
        metrics_port = free_port()

        def change(config, metrics_port=metrics_port):
            config["PluginSettings"].update(AutomaticPrepackagedPlugins=False, EnableUploads=True)
            config["MetricsSettings"] = {"Enable": True, "ListenAddress": f"127.0.0.1:{metrics_port}"}
        host.configure(change)
        nodes.append((host, f"http://127.0.0.1:{metrics_port}/metrics"))
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda node: node[0].start(wait_running=False), nodes))
        (a, a_metrics), (b, b_metrics) = nodes
        flow = OAuthHttp.__new__(OAuthHttp)
        flow.client = Client(a.url)
        flow.admin = flow.account("admin", first=True)  # the System Admin of both: they share the users
        for host, _ in nodes:
            assert upload(Client(host.url), flow.admin.token, plugin_bundle.read_bytes()).status == 201
            assert Client(host.url).request("POST", f"/api/v4/plugins/{PLUGIN_ID}/enable",
                                            token=flow.admin.token).status == 200
            host.wait_state(2)
        flow.app = flow.create_app()
        user = flow.account()
        tokens = flow.tokens(user)  # issued by node A
        b_flow = OAuthHttp.__new__(OAuthHttp)
        b_flow.client, b_flow.admin, b_flow.app = Client(b.url), flow.admin, flow.app
        assert b_flow.me(tokens["access_token"]).json["id"] == user.id  # accepted by node B

        a_samples, b_samples = scrape(a_metrics), scrape(b_metrics)
        issued = "oauth_provider_tokens_issued_total"
        assert total(a_samples, issued, grant_type="authorization_code") == 1
        assert total(b_samples, issued, grant_type="authorization_code") == 0  # each node counts its own
        assert total(b_samples, "mattermost_http_requests_total", route="/api/v4/users/{user_id}") >= 1

        status = Client(b.url).request("GET", "/api/v4/system/ping?get_server_status=true")
        assert status.status == 200 and status.json["database_status"] == "OK", status.body

        upgraded = upload(Client(b.url), flow.admin.token, with_version(plugin_bundle, "0.1.1"), force=True)
        assert upgraded.status == 201
        assert b.wait_state(2)["version"] == "0.1.1"
        assert b_flow.me(tokens["access_token"]).json["id"] == user.id
        refreshed = b_flow.client.request("POST", "/oauth/access_token", **flow.refresh_form(tokens["refresh_token"]))
        assert refreshed.status == 200, refreshed.body  # a grant from before the upgrade, refreshed after it
    finally:
        for host, _ in nodes:
            host.stop()

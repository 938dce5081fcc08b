"""/metrics: a real host and plugin, scraped over HTTP on the metrics listener and parsed with prometheus_client's
own parser; host and plugin series move under a short load."""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from server_stub.__main__ import local_request
from tests.conftest import PLUGIN_ID, HostProcess, free_port, wait_for
from tests.faults.flow import Client, OAuthHttp, configure_plugin, form
from tests.forms import hidden_fields


def scrape(url: str) -> dict[tuple, float]:
    """(sample name, sorted labels) -> value."""
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.headers["Content-Type"].startswith("text/plain; version=")  # Prometheus' text format
        text = reply.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def total(samples: dict, name: str, **labels) -> float:
    """The sum of a series over the labels not given."""
    return sum(value for (sample, sample_labels), value in samples.items()
               if sample == name and all(dict(sample_labels).get(k) == v for k, v in labels.items()))


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    port = free_port()
    host = HostProcess(tmp_path_factory.mktemp("metrics") / "data", free_port())

    def configure(config):
        config["MetricsSettings"] = {"Enable": True, "ListenAddress": f"127.0.0.1:{port}"}
        configure_plugin(config, RateLimitPerClientPerMinute=12, RefreshTokenGracePeriodSeconds=0,
                         CleanupIntervalSeconds=1)
    host.configure(configure)
    host.start()
    yield host, f"http://127.0.0.1:{port}/metrics"
    host.stop()


def test_one_scrape_shows_host_and_plugin_series_moving_under_load(node):
    host, url = node
    flow = OAuthHttp(Client(host.url))
    before = scrape(url)
    assert total(before, "mattermost_plugin_state", plugin_id=PLUGIN_ID) == 2
    assert total(before, "mattermost_plugin_metrics_up", plugin_id=PLUGIN_ID) == 1

    user = flow.account()
    first = flow.tokens(user)
    assert flow.me(first["access_token"]).status == 200
    assert flow.me(first["access_token"]).status == 200  # the second from the host's cache
    reply, verifier = flow.authorize(user)
    code = flow.code_of(reply)
    exchange = flow.exchange_form(code, verifier)
    assert flow.client.request("POST", "/oauth/access_token", **exchange).status == 200
    assert flow.client.request("POST", "/oauth/access_token", **exchange).status == 400  # replayed
    refreshed = flow.client.request("POST", "/oauth/access_token", **flow.refresh_form(first["refresh_token"]))
    assert refreshed.status == 200
    reused = flow.client.request("POST", "/oauth/access_token", **flow.refresh_form(first["refresh_token"]))
    assert reused.status == 404  # rotated, no grace window: the family is revoked (Mattermost's 404)
    stranger = flow.account()  # the first user's consent is remembered: no page for them
    page = flow.client.request("GET", "/oauth/authorize?" + urllib.parse.urlencode(flow.consent(flow.app)[0]),
                               token=stranger.token)
    denied = flow.client.request("POST", "/oauth/authorize/decision", token=stranger.token,
                                 **form(**hidden_fields(page.body), decision="deny"))
    assert denied.status == 303 and "error=access_denied" in denied.headers["Location"]
    limited = [flow.client.request("POST", "/oauth/access_token", **flow.refresh_form("x" * 40)).status
               for _ in range(12)]
    assert 429 in limited

    after = wait_for(lambda: (s := scrape(url)) and total(s, "oauth_provider_cleanup_runs_total") >
                     total(before, "oauth_provider_cleanup_runs_total") and s, message="a cleanup run")

    def moved(name: str, **labels) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    # The host's own series.
    assert moved("mattermost_http_requests_total", route="/oauth/access_token", method="POST", status_code="200") == 3
    assert moved("mattermost_http_requests_total", route="/oauth/access_token", status_code="429") >= 1
    assert moved("mattermost_http_requests_total", route="/api/v4/users/{user_id}", method="GET", status_code="200") == 2
    assert moved("mattermost_http_request_duration_seconds_count", route="/oauth/access_token") >= 5
    assert moved("mattermost_plugin_rpc_duration_seconds_count", outcome="ok") >= 5
    assert moved("mattermost_oauth_token_cache_hits_total") >= 1
    assert moved("mattermost_oauth_token_cache_dropped_total") >= 1  # the reuse revoked a kept token
    assert total(after, "mattermost_plugin_restarts_total", plugin_id=PLUGIN_ID) == 0
    # The plugin's, read through its ServeMetrics hook in the same scrape.
    assert moved("oauth_provider_tokens_issued_total", plugin_id=PLUGIN_ID, grant_type="authorization_code") == 2
    assert moved("oauth_provider_tokens_issued_total", plugin_id=PLUGIN_ID, grant_type="refresh_token") == 1
    assert moved("oauth_provider_code_replays_total", plugin_id=PLUGIN_ID) == 1
    assert moved("oauth_provider_refresh_reuse_detected_total", plugin_id=PLUGIN_ID) == 1
    assert moved("oauth_provider_consent_decisions_total", plugin_id=PLUGIN_ID, decision="granted") == 2
    assert moved("oauth_provider_consent_decisions_total", plugin_id=PLUGIN_ID, decision="denied") == 1
    assert moved("oauth_provider_rate_limited_total", plugin_id=PLUGIN_ID) == limited.count(429)
    assert moved("oauth_provider_store_seconds_count", plugin_id=PLUGIN_ID, kind="write", outcome="ok") >= 3
    assert moved("oauth_provider_store_seconds_count", plugin_id=PLUGIN_ID, kind="read") >= 1


def test_metrics_are_off_by_default_and_follow_the_settings(tmp_path):
    host = HostProcess(tmp_path / "data", free_port())
    host.start()
    try:
        assert host.local("GET", "/api/v4/config")[1]["MetricsSettings"] == {"Enable": False, "ListenAddress": ":8067"}
        port = free_port()
        url = f"http://127.0.0.1:{port}/metrics"
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(url, timeout=2)
        patch = {"MetricsSettings": {"Enable": True, "ListenAddress": f"127.0.0.1:{port}"}}
        status, _ = local_request(str(host.data_dir), "PUT", "/api/v4/config/patch", patch)
        assert status == 200
        samples = wait_for(lambda: _try_scrape(url), message="the metrics listener")
        assert total(samples, "mattermost_plugin_state", plugin_id=PLUGIN_ID) == 2
        local_request(str(host.data_dir), "PUT", "/api/v4/config/patch", {"MetricsSettings": {"Enable": False}})
        wait_for(lambda: _try_scrape(url) is None, message="the metrics listener to close")
    finally:
        host.stop()


def _try_scrape(url: str):
    try:
        return scrape(url)
    except OSError:
        return None


def test_grafana_dashboard_reads_only_series_the_host_and_plugin_expose(node):
    """Every metric the dashboard queries is in a real scrape (a renamed series would leave a panel empty)."""
    import json
    import re

    from tests.conftest import ROOT

    host, url = node
    for path in ("/api/v4/system/ping", "/.well-known/oauth-authorization-server"):  # a request, and an RPC
        urllib.request.urlopen(host.url + path, timeout=10).read()
    exposed = {name for name, _ in scrape(url)}
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    queried = {name for expr in exprs for name in re.findall(r"\b((?:mattermost|oauth_provider)_[a-z_]+)\{", expr)}
    assert queried and queried <= exposed, queried - exposed


def test_a_plugin_restart_is_counted(node):
    import os
    import signal

    host, url = node
    pid = host.plugin_pid()
    os.kill(pid, signal.SIGKILL)
    def restarted() -> bool:
        try:
            return host.status()["state"] == 2 and host.plugin_pid() != pid
        except AssertionError:  # no plugin process at this instant
            return False
    wait_for(restarted, timeout=30, message="the plugin restarted")
    samples = wait_for(lambda: (s := _try_scrape(url)) and total(s, "mattermost_plugin_metrics_up") == 1 and s,
                       message="a scrape of the restarted plugin")
    assert total(samples, "mattermost_plugin_restarts_total", plugin_id=PLUGIN_ID) == 1
    assert total(samples, "mattermost_plugin_state", plugin_id=PLUGIN_ID) == 2

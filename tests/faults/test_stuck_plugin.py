"""A plugin that stops answering (SIGSTOP: its connections stay open, nothing comes back) costs a client at most
PluginSettings.HookTimeoutSeconds: the host answers 503 with Retry-After, its own hook calls give up as well,
and it recovers, either when the plugin resumes or by restarting a plugin that stays stuck."""
from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import wait_for
from tests.faults.flow import NO_RATE_LIMITS, Client, OAuthHttp, configure_plugin, form

HOOK_TIMEOUT = 1.0
SLACK = 1.5


def prepare(host, health_interval: float) -> None:
    host.data_dir.mkdir(parents=True)

    def change(config):
        config["PluginSettings"].update(HookTimeoutSeconds=HOOK_TIMEOUT, HealthCheckIntervalSeconds=health_interval)
        configure_plugin(config, **NO_RATE_LIMITS)
    host.configure(change)


def requests_while_stuck(flow: OAuthHttp, user, fresh_token: str) -> list:
    """One request of each kind that needs the plugin, all at once: bearer authentication, the token endpoint,
    the app API, the consent API, the authorization page and the metadata."""
    client, app = flow.client, flow.app
    body, _ = flow.consent(app)
    requests = {
        "users/me": ("GET", "/api/v4/users/me", {"token": fresh_token}),
        "token": ("POST", "/oauth/access_token", form(grant_type="refresh_token", refresh_token="x",
                                                      client_id=app["id"], client_secret=app["client_secret"])),
        "apps": ("GET", "/api/v4/oauth/apps", {"token": flow.admin.token}),
        "consent": ("POST", "/oauth/authorize", {"token": user.token, "json": body}),
        "page": ("GET", f"/oauth/authorize?response_type=code&client_id={app['id']}", {"token": user.token}),
        "metadata": ("GET", "/.well-known/oauth-authorization-server", {}),
    }
    with ThreadPoolExecutor(len(requests)) as pool:
        answers = {what: pool.submit(client.timed, method, path, **kw)
                   for what, (method, path, kw) in requests.items()}
        return [(what, future.result()) for what, future in answers.items()]


def assert_unavailable_in_time(answers) -> None:
    for what, answer in answers:
        assert answer.reply is not None, (what, answer.error)
        assert answer.status == 503, (what, answer.status, answer.reply.body)
        assert answer.reply.headers.get("Retry-After") == "1", what
        assert answer.seconds < HOOK_TIMEOUT + SLACK, (what, answer.seconds)


def hook_failures(host) -> list[dict]:
    return [line for line in host.log_lines() if line.get("@message") == "Plugin OnConfigurationChange hook failed"]


def test_a_stopped_plugin_answers_503_within_the_hook_timeout_and_serves_again_when_it_resumes(make_host):
    host = make_host()
    prepare(host, health_interval=3600)  # no health check: the same process must come back
    host.start()
    client = Client(host.url, timeout=30)
    flow = OAuthHttp(client)
    user = flow.account()
    before, during = flow.tokens(user)["access_token"], flow.tokens(user)["access_token"]
    assert flow.me(before).status == 200
    pid = host.plugin_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        assert_unavailable_in_time(requests_while_stuck(flow, user, during))
        # The host's own hook calls give up too: a configuration change is not held up by the stuck plugin.
        started = time.monotonic()
        host.configure(lambda c: c["ServiceSettings"].update(SiteURL="https://chat.example.com"))
        wait_for(lambda: hook_failures(host), timeout=10, message="OnConfigurationChange to time out")
        assert "DEADLINE_EXCEEDED" in hook_failures(host)[0]["error"]
        assert time.monotonic() - started < 0.5 + HOOK_TIMEOUT + SLACK + 1  # the file is polled every 0.5 s
    finally:
        os.kill(pid, signal.SIGCONT)
    assert flow.me(during).status == 200
    assert flow.me(before).status == 200
    assert client.request("GET", "/api/v4/oauth/apps", token=flow.admin.token).status == 200
    flow.tokens(user)
    assert host.plugin_pid() == pid and host.status()["state"] == 2


def test_a_plugin_that_stays_stuck_is_restarted_by_the_health_check(make_host):
    host = make_host()
    prepare(host, health_interval=0.5)
    host.start()
    client = Client(host.url, timeout=30)
    flow = OAuthHttp(client)
    user = flow.account()
    token = flow.tokens(user)["access_token"]
    pid = host.plugin_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        assert_unavailable_in_time(requests_while_stuck(flow, user, token))
        wait_for(lambda: host.status()["state"] != 2, timeout=30, message="the health check to give up on it")
        while host.status()["state"] != 2:  # answered at once while it restarts
            answer = client.timed("GET", "/api/v4/users/me", token=token)
            if answer.status != 200:
                assert_unavailable_in_time([("restarting", answer)])
            time.sleep(0.05)
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass  # killed by the host, as it should be
    host.wait_state(2)
    assert host.plugin_pid() != pid
    assert flow.me(token).status == 200
    flow.tokens(user)

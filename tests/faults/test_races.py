"""A hundred clients at once over HTTP: one authorization code exchanged by all of them (exactly one gets tokens),
and one refresh token refreshed by all of them (with the default 30 s grace window every one gets the same
successor; with RefreshTokenGracePeriodSeconds 0 losing the race is reuse and the family is revoked).

The RPC-level counterparts (eight and six requests over several gRPC connections) are in
tests/rpc/test_differences_rpc.py; these go through the host's HTTP server and gateway."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import HostProcess, free_port
from tests.faults.flow import NO_RATE_LIMITS, Client, OAuthHttp, configure_plugin

CLIENTS = 100


def start_host(tmp_path_factory, **plugin_settings) -> HostProcess:
    host = HostProcess(tmp_path_factory.mktemp("races") / "data", free_port())
    host.data_dir.mkdir(parents=True)
    host.configure(lambda config: configure_plugin(config, **NO_RATE_LIMITS, **plugin_settings))
    return host.start()


@pytest.fixture(scope="module")
def default_host(tmp_path_factory):
    host = start_host(tmp_path_factory)
    yield host
    host.stop()


@pytest.fixture(scope="module")
def flow(default_host) -> OAuthHttp:
    return OAuthHttp(Client(default_host.url, timeout=60))


def at_once(client: Client, method: str, path: str, **kw) -> list:
    """CLIENTS identical requests released together; their replies."""
    barrier = threading.Barrier(CLIENTS)

    def one(_):
        barrier.wait(timeout=30)
        return client.request(method, path, **kw)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(one, range(CLIENTS)))


def test_a_hundred_concurrent_exchanges_of_one_code_have_exactly_one_winner(flow):
    client = flow.client
    user = flow.account()
    reply, verifier = flow.authorize(user)
    assert reply.status == 200, reply.body
    replies = at_once(client, "POST", "/oauth/access_token", **flow.exchange_form(flow.code_of(reply), verifier))
    winners = [r for r in replies if r.status == 200]
    assert len(winners) == 1, sorted(r.status for r in replies)
    for loser in replies:
        if loser.status != 200:
            assert loser.status == 400 and loser.json["error"] == "invalid_grant", loser.body
    # Whether a loser came after the winner's tokens existed (a replay, which revokes them) is up to the race; one
    # more replay now certainly is, and must find and revoke exactly the winner's tokens.
    replay = client.request("POST", "/oauth/access_token", **flow.exchange_form(flow.code_of(reply), verifier))
    assert replay.status == 400 and replay.json["error"] == "invalid_grant"
    assert flow.me(winners[0].json["access_token"]).status == 401


def test_a_hundred_concurrent_refreshes_within_the_grace_window_get_the_one_successor(flow):
    client = flow.client
    tokens = flow.tokens(flow.account())
    replies = at_once(client, "POST", "/oauth/access_token", **flow.refresh_form(tokens["refresh_token"]))
    assert all(r.status == 200 for r in replies), sorted(r.status for r in replies)
    successors = {(r.json["access_token"], r.json["refresh_token"]) for r in replies}
    assert len(successors) == 1, "every refresh got the same successor"
    access, refresh = successors.pop()
    assert flow.me(access).status == 200, "the family lives on"
    assert flow.me(tokens["access_token"]).status == 401, "the refreshed access token ended"
    again = client.request("POST", "/oauth/access_token", **flow.refresh_form(refresh))
    assert again.status == 200, again.body


def test_a_hundred_concurrent_refreshes_without_a_grace_window_revoke_the_family(tmp_path_factory):
    host = start_host(tmp_path_factory, RefreshTokenGracePeriodSeconds=0)
    try:
        client = Client(host.url, timeout=60)
        flow = OAuthHttp(client)
        tokens = flow.tokens(flow.account())
        replies = at_once(client, "POST", "/oauth/access_token", **flow.refresh_form(tokens["refresh_token"]))
        winners = [r for r in replies if r.status == 200]
        assert len(winners) == 1, sorted(r.status for r in replies)
        for loser in replies:
            if loser.status != 200:
                assert loser.status == 404 and loser.json["error"] == "invalid_grant", loser.body
        assert flow.me(winners[0].json["access_token"]).status == 401, "losing the race is reuse: family revoked"
        again = client.request("POST", "/oauth/access_token", **flow.refresh_form(winners[0].json["refresh_token"]))
        assert again.status == 404, again.body
    finally:
        host.stop()

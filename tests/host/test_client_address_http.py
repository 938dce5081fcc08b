"""The client's address behind a reverse proxy: ServiceSettings.TrustedProxyIPHeader, over HTTP against launched hosts.

Mattermost (server/channels/utils/utils.go, GetIPAddress) checks the configured headers in order, takes an address
from the first that has a valid IP, and otherwise the TCP peer; with the setting empty (its default) no header is
read, so a client cannot choose its address. Of a comma-separated list it takes the first entry; this host takes
the last, the one the proxy in front of it wrote (README, Security). The address is what the plugin's per-address
limits count, what the audit trail records and what the host logs. Every request of these tests comes from
127.0.0.1: the proxy, with the clients' addresses in the headers."""
from __future__ import annotations

import http.client
import json

import pytest

from tests.host.test_security_http import (
    ADMIN_PASSWORD,
    assert_rate_limited,
    audit_trail,
    introspect,
    leave_time_in_the_rate_window,
    make_app,
    own_host,
)

PER_ADDRESS = {"RateLimitPerClientPerMinute": 0, "RateLimitPerAddressPerMinute": 3}
CLIENT_A, CLIENT_B = "198.51.100.10", "198.51.100.20"


def xff(value: str) -> dict:
    return {"X-Forwarded-For": value}


def within_the_limit(api, app, headers: dict, times: int = 3) -> bool:
    return all(introspect(api, app, "unknown", headers=headers).status == 200 for _ in range(times))


def recorded_address(api, token: str, headers: dict) -> str:
    """The address the audit trail records for an app created with these request headers."""
    app = api.post("/api/v4/oauth/apps", {"name": "Addressed", "homepage": "https://app.example.com",
                                          "callback_urls": ["https://app.example.com/cb"]},
                   token=token, headers=headers)
    assert app.status == 201, app.body
    created = [e for e in audit_trail(api, token) if e["client_id"] == app.json["id"] and e["type"] == "app_created"]
    assert len(created) == 1, created
    return created[0]["remote_addr"]


def patch_service(api, token: str, **service):
    return api.put("/api/v4/config/patch", {"ServiceSettings": service}, token=token)


def test_behind_a_proxy_two_clients_get_their_own_per_address_limits(tmp_path):
    with own_host(tmp_path, PER_ADDRESS, TrustedProxyIPHeader=["X-Forwarded-For"]) as (host, api, boss):
        app = make_app(api, boss, name="Behind the proxy")
        leave_time_in_the_rate_window()
        assert within_the_limit(api, app, xff(CLIENT_A))
        assert_rate_limited(introspect(api, app, "unknown", headers=xff(CLIENT_A)))
        # nginx's $proxy_add_x_forwarded_for appends the address it saw to what the client sent: a client that
        # sends its own header still counts as itself.
        assert_rate_limited(introspect(api, app, "unknown", headers=xff(f"203.0.113.99, {CLIENT_A}")))
        assert within_the_limit(api, app, xff(CLIENT_B))
        assert within_the_limit(api, app, {})  # the proxy's own requests: its own address


def test_without_the_setting_the_forwarded_headers_are_ignored_and_setting_it_takes_effect_at_once(tmp_path):
    with own_host(tmp_path, PER_ADDRESS) as (host, api, boss):
        app = make_app(api, boss, name="No proxy")
        leave_time_in_the_rate_window()
        for headers in (xff(CLIENT_A), xff(CLIENT_B), {"X-Real-IP": CLIENT_B}):
            assert introspect(api, app, "unknown", headers=headers).status == 200
        for headers in (xff("203.0.113.1"), {"X-Real-IP": "203.0.113.2"}, {"Forwarded": "for=203.0.113.3"}):
            assert_rate_limited(introspect(api, app, "unknown", headers=headers))  # one address: the peer's
        assert recorded_address(api, boss, {**xff(CLIENT_A), "X-Real-IP": CLIENT_B}) == "127.0.0.1"

        assert patch_service(api, boss, TrustedProxyIPHeader=["X-Real-IP"]).status == 200
        assert within_the_limit(api, app, {"X-Real-IP": CLIENT_A})
        assert_rate_limited(introspect(api, app, "unknown", headers=xff(CLIENT_B)))  # not the configured header


@pytest.mark.parametrize("headers, expected", [
    (xff(CLIENT_A), CLIENT_A),
    (xff(f"203.0.113.5, 192.0.2.7,{CLIENT_A}"), CLIENT_A),         # the entry the proxy added: the last
    (xff(f" {CLIENT_A} "), CLIENT_A),
    (xff("2001:DB8::1"), "2001:db8::1"),
    (xff("::ffff:198.51.100.10"), CLIENT_A),
    ({"X-Real-IP": CLIENT_B, **xff(CLIENT_A)}, CLIENT_B),           # the headers in the configured order
    ({"X-Real-IP": "unknown", **xff(CLIENT_A)}, CLIENT_A),          # not an address: the next header
    ({"X-Real-IP": f"{CLIENT_B}:4711", **xff(CLIENT_A)}, CLIENT_A),  # an address with a port is no address
    (xff(f"{CLIENT_A}, garbage"), "127.0.0.1"),                    # nothing valid: the peer
    (xff(""), "127.0.0.1"),
    ({"Forwarded": f"for={CLIENT_A}"}, "127.0.0.1"),               # not configured
])
def test_the_client_address_comes_from_the_configured_headers_in_order(proxied, headers, expected):
    host, api, boss = proxied
    assert recorded_address(api, boss, headers) == expected


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    with own_host(tmp_path_factory.mktemp("proxied"), TrustedProxyIPHeader=["X-Real-IP", "X-Forwarded-For"]) as hab:
        yield hab


def test_the_host_logs_the_client_address(proxied):
    host, api, boss = proxied
    assert api.login("boss", ADMIN_PASSWORD, headers=xff(CLIENT_B)).status == 200
    logged = [line for line in host.log_lines() if line.get("@message") == "user logged in"]
    assert logged and logged[-1].get("remote_addr") == CLIENT_B, logged[-1:]


@pytest.mark.parametrize("value", [["Not a header"], ["X-Forwarded-For", ""], [1], "X-Forwarded-For", [["X"]]])
def test_a_trusted_proxy_ip_header_that_is_no_list_of_header_names_is_refused(proxied, value):
    host, api, boss = proxied
    reply = patch_service(api, boss, TrustedProxyIPHeader=value)
    assert reply.status == 400, reply.body


def test_several_header_lines_are_one_list_and_its_last_entry_counts(proxied):
    """A proxy that adds its own X-Forwarded-For line beside the client's (as scripts/two-nodes' balancer does):
    the lines are one list (RFC 9110 section 5.3), and the line the proxy added is the last."""
    host, api, boss = proxied
    conn = http.client.HTTPConnection(api.host, api.port, timeout=30)
    try:
        conn.putrequest("POST", "/api/v4/oauth/apps")
        for name, value in (("Authorization", f"Bearer {boss}"), ("Content-Type", "application/json"),
                            ("X-Forwarded-For", "203.0.113.66"), ("X-Forwarded-For", CLIENT_B)):
            conn.putheader(name, value)
        body = json.dumps({"name": "Two lines", "homepage": "https://app.example.com",
                           "callback_urls": ["https://app.example.com/cb"]}).encode()
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        created = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    events = [e for e in audit_trail(api, boss) if e["client_id"] == created["id"] and e["type"] == "app_created"]
    assert [e["remote_addr"] for e in events] == [CLIENT_B]

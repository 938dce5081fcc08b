"""The device authorization grant (RFC 8628) on two nodes over one PostgreSQL: a device asks one node for its codes,
the user approves on the other node's verification page, and the device's polls, whichever node they reach, share
one state: slow_down counts polls made to either node, the tokens come exactly once, and wrong codes entered on
one node count against the limit on the other."""
from __future__ import annotations

import urllib.parse

import pytest

from tests import postgres
from tests.forms import hidden_fields

from .conftest import CALLBACK, form, sign_up, start_nodes

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
ATTEMPTS = 3


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    with postgres.fresh_database(postgres.require_dsn()) as dsn:
        started = start_nodes(tmp_path_factory.mktemp("device-cluster"), dsn, shared_plugin_settings={
            "signingkeyencryptionkey": "one-secret-for-every-node", "enabledevicegrant": True,
            "devicepollintervalseconds": 1, "deviceusercodeattemptsperminute": ATTEMPTS})
        yield started
        for node in started:
            node.process.stop()


@pytest.fixture(scope="module")
def cluster(nodes):
    a, b = nodes
    _, admin_token = sign_up(a.api, "deviceadmin")
    app = a.api.post("/api/v4/oauth/apps", {"name": "TV on nodes", "homepage": "https://tv.example.com",
                                            "callback_urls": [CALLBACK], "device_grant_allowed": True},
                     token=admin_token)
    assert app.status == 201, app.body
    return a, b, admin_token, app.json


def start(api, app) -> dict:
    reply = api.post("/oauth/device_authorization", **form(client_id=app["id"], client_secret=app["client_secret"],
                                                           scope="openid users:read"))
    assert reply.status == 200, reply.body
    return reply.json


def poll(api, app, device):
    return api.post("/oauth/access_token", **form(grant_type=GRANT_TYPE, device_code=device["device_code"],
                                                  client_id=app["id"], client_secret=app["client_secret"]))


def enter(api, token: str, user_code: str):
    page = api.get("/oauth/device?" + urllib.parse.urlencode({"user_code": user_code}), token=token)
    assert page.status == 200, page.body
    return api.post("/oauth/device", **form(**hidden_fields(page.body), user_code=user_code), token=token)


def test_a_device_started_on_one_node_is_approved_on_the_other_and_redeemed_once(cluster):
    a, b, admin_token, app = cluster
    user_id, user_token = sign_up(a.api, "deviceuser", admin_token)
    device = start(a.api, app)
    assert poll(a.api, app, device).json["error"] == "authorization_pending"
    assert poll(b.api, app, device).json["error"] == "slow_down"  # the other node saw the poll just made
    confirm = enter(b.api, user_token, device["user_code"])
    assert confirm.status == 200 and b'id="allow"' in confirm.body
    decided = b.api.post("/oauth/device/decision", **form(**hidden_fields(confirm.body), decision="allow"),
                         token=user_token)
    assert decided.status == 200 and b'data-result="approved"' in decided.body
    tokens = poll(a.api, app, device)
    assert tokens.status == 200, tokens.body
    assert tokens.json["id_token"] and tokens.json["scope"] == "users:read openid"
    assert poll(b.api, app, device).json["error"] == "invalid_grant"
    me = b.api.get("/api/v4/users/me", token=tokens.json["access_token"])
    assert me.status == 200 and me.json["id"] == user_id


def test_wrong_codes_on_one_node_count_on_the_other(cluster):
    a, b, admin_token, app = cluster
    _, user_token = sign_up(a.api, "deviceguesser", admin_token)
    device = start(a.api, app)
    for api in (a.api, b.api, a.api):
        assert enter(api, user_token, "BCDF-GHJK").status == 400
    assert enter(b.api, user_token, device["user_code"]).status == 429

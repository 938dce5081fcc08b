"""DPoP on two nodes over one PostgreSQL, behind one site URL as behind a load balancer: a token bound on one node
is bound on the other, and a proof one node accepted is refused as a replay by the other (the jti is recorded in
the shared database, not in a node's memory)."""
from __future__ import annotations

import urllib.parse

import pytest

from tests import postgres
from tests.conftest import wait_for
from tests.dpop import DPoPKey

from .conftest import CALLBACK, code_for, create_app, pkce, sign_up, start_nodes

SITE = "https://chat.example.com"  # the public address every node answers for


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    with postgres.fresh_database(postgres.require_dsn()) as dsn:
        base = tmp_path_factory.mktemp("dpop-cluster")
        started = start_nodes(base, dsn)
        for node in started:
            node.process.configure(lambda config: config["ServiceSettings"].update({"SiteURL": SITE}))
        for node in started:
            wait_for(lambda: node.api.get("/.well-known/oauth-authorization-server").json.get("issuer") == SITE,
                     message=f"{node.name} answering for {SITE}")
        yield started
        for node in started:
            node.process.stop()


def test_a_proof_accepted_by_one_node_is_a_replay_on_the_other(nodes):
    a, b = nodes
    _, admin_token = sign_up(a.api, "dpopadmin")
    app = create_app(a.api, admin_token, "DPoP on nodes")
    key = DPoPKey()
    verifier, challenge = pkce()
    code = code_for(a.api, admin_token, app, challenge)

    def issued():
        return a.api.post("/oauth/access_token", body=urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_id": app["id"],
            "client_secret": app["client_secret"], "code_verifier": verifier}),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "DPoP": key.proof("POST", SITE + "/oauth/access_token")})
    reply = issued()
    assert reply.status == 200 and reply.json["token_type"] == "DPoP", reply.body
    token = reply.json["access_token"]

    def me(node, proof):
        return node.api.get("/api/v4/users/me", headers={"Authorization": f"DPoP {token}", "DPoP": proof})

    proof = key.proof("GET", SITE + "/api/v4/users/me", access_token=token)
    assert me(a, proof).status == 200
    replayed = me(b, proof)
    assert replayed.status == 401 and 'error="invalid_dpop_proof"' in replayed.headers["WWW-Authenticate"]
    assert me(b, key.proof("GET", SITE + "/api/v4/users/me", access_token=token)).status == 200
    as_bearer = b.api.get("/api/v4/users/me", token=token)
    assert as_bearer.status == 401 and 'error="invalid_token"' in as_bearer.headers["WWW-Authenticate"]

"""OpenID Connect on two nodes over one PostgreSQL, sharing the SigningKeyEncryptionKey setting: both publish the
same keys from the first activation on, an ID token one node signs verifies against the other's JWKS, and a rotation
on one node is what the other signs with next."""
from __future__ import annotations

import urllib.parse

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests import postgres

from .conftest import CALLBACK, create_app, exchange, pkce, sign_up, start_nodes

SHARED_SECRET = "the-same-key-encryption-secret-on-every-node"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    with postgres.fresh_database(postgres.require_dsn()) as dsn:
        base = tmp_path_factory.mktemp("openid-cluster")
        started = start_nodes(base, dsn, shared_plugin_settings={"signingkeyencryptionkey": SHARED_SECRET})
        yield started
        for node in started:
            node.process.stop()


def openid_tokens(api, user_token: str, app: dict) -> dict:
    verifier, challenge = pkce()
    reply = api.post("/oauth/authorize", {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK,
                                          "scope": "openid", "state": "s", "nonce": "n", "code_challenge": challenge,
                                          "code_challenge_method": "S256"}, token=user_token)
    assert reply.status == 200, reply.body
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(reply.json["redirect"]).query)["code"][0]
    issued = exchange(api, app, code, verifier)
    assert issued.status == 200, issued.body
    return issued.json


def jwks(node) -> dict:
    reply = node.api.get("/oauth/jwks")
    assert reply.status == 200, reply.body
    return reply.json


def test_two_nodes_publish_the_same_keys_and_verify_each_others_id_tokens(nodes):
    a, b = nodes
    assert jwks(a) == jwks(b) and len(jwks(a)["keys"]) == 2  # generated once, at the first activation
    admin_id, admin_token = sign_up(a.api, "oidcadmin")
    app = create_app(a.api, admin_token, "OpenID on nodes")
    tokens = openid_tokens(b.api, admin_token, app)  # signed by node b
    claims = jwt.decode(tokens["id_token"], KeySet.import_key_set(jwks(a))).claims
    assert claims["sub"] == admin_id and claims["nonce"] == "n"

    rotated = a.api.post("/api/v4/oauth/signing_keys/rotate", token=admin_token)
    assert rotated.status == 200, rotated.body
    after = openid_tokens(b.api, admin_token, app)
    kid = jwt.decode(after["id_token"], KeySet.import_key_set(jwks(a))).header["kid"]
    assert kid in rotated.json["rotated"]  # node b signs with the key node a made
    assert jwt.decode(tokens["id_token"], KeySet.import_key_set(jwks(b))).claims["sub"] == admin_id

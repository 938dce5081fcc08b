"""DPoP (RFC 9449) through a launched host and plugin, over HTTP: a token request with a proof gets a DPoP-bound
token; API v4 and UserInfo take it as `Authorization: DPoP` with a proof of its key for each request, and refuse it
as Bearer (from the token cache too), with another key's proof or a replayed one, with RFC 9449 section 7.1's
`WWW-Authenticate: DPoP` answers; htu is the site URL's, whatever the Host header says; nonces when asked for;
require_dpop per app; dpop_jkt binds the code."""
from __future__ import annotations

import urllib.parse

import pytest

from tests.conftest import wait_for
from tests.dpop import DPoPKey
from tests.forms import pkce

from .conftest import OAUTH_CALLBACK

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def app(api, admin) -> dict:
    reply = api.post("/api/v4/oauth/apps", {"name": "DPoP app", "homepage": "https://app.example.com",
                                            "callback_urls": [OAUTH_CALLBACK]}, token=admin.token)
    assert reply.status == 201, reply.body
    return reply.json


def code_for(api, app: dict, account, **fields) -> tuple[str, str]:
    """(code, verifier) after the account's consent."""
    verifier, challenge = pkce()
    consent = api.post("/oauth/authorize", {
        "response_type": "code", "client_id": app["id"], "redirect_uri": OAUTH_CALLBACK, "state": "s",
        "scope": "openid user", "code_challenge": challenge, "code_challenge_method": "S256", **fields},
        token=account.token)
    assert consent.status == 200, consent.body
    return urllib.parse.parse_qs(urllib.parse.urlsplit(consent.json["redirect"]).query)["code"][0], verifier


def token_request(api, host, app: dict, code: str, verifier: str, key: DPoPKey | None, nonce: str = ""):
    headers = dict(FORM)
    if key is not None:
        headers["DPoP"] = key.proof("POST", host.url + "/oauth/access_token", nonce=nonce)
    return api.post("/oauth/access_token", body=urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": OAUTH_CALLBACK, "client_id": app["id"],
        "client_secret": app["client_secret"], "code_verifier": verifier}), headers=headers)


def bound_token(api, host, app, account, key: DPoPKey) -> str:
    reply = token_request(api, host, app, *code_for(api, app, account), key)
    assert reply.status == 200, reply.body
    assert reply.json["token_type"] == "DPoP"
    return reply.json["access_token"]


def as_dpop(api, host, token: str, key: DPoPKey, path: str = "/api/v4/users/me", method: str = "GET",
            proof: str | None = None, **proof_fields):
    proof = proof or key.proof(method, host.url + path, access_token=token, **proof_fields)
    return api.request(method, path, headers={"Authorization": f"DPoP {token}", "DPoP": proof})


def challenge(reply) -> str:
    value = reply.headers["WWW-Authenticate"]
    assert value.startswith("DPoP "), value
    assert 'algs="' in value and "ES256" in value
    return value


def test_a_bound_token_calls_users_me_and_userinfo_as_dpop(api, host, app, new_user):
    user, key = new_user(), DPoPKey()
    token = bound_token(api, host, app, user, key)
    me = as_dpop(api, host, token, key)
    assert me.status == 200, me.body
    assert me.json["id"] == user.id
    again = as_dpop(api, host, token, key)  # a new proof each time, whatever the host keeps
    assert again.status == 200, again.body
    info = as_dpop(api, host, token, key, "/oauth/userinfo")
    assert info.status == 200, info.body
    assert info.json["sub"] == user.id


def test_a_bound_token_presented_as_bearer_is_refused_even_once_kept(api, host, app, new_user):
    user, key = new_user(), DPoPKey()
    token = bound_token(api, host, app, user, key)
    first = api.get("/api/v4/users/me", token=token)
    assert first.status == 401 and 'error="invalid_token"' in challenge(first)
    assert as_dpop(api, host, token, key).status == 200  # the host now keeps the validation
    kept = api.get("/api/v4/users/me", token=token)
    assert kept.status == 401 and 'error="invalid_token"' in challenge(kept)
    assert kept.json["id"] == "api.context.session_expired.app_error"
    userinfo = api.get("/oauth/userinfo", token=token)
    assert userinfo.status == 401 and 'error="invalid_token"' in challenge(userinfo)


def test_proofs_of_another_key_replayed_or_for_another_request_are_refused(api, host, app, new_user):
    user, key = new_user(), DPoPKey()
    token = bound_token(api, host, app, user, key)
    refusals = {
        "another key": as_dpop(api, host, token, DPoPKey()),
        "no proof": api.get("/api/v4/users/me", headers={"Authorization": f"DPoP {token}"}),
        "no ath": as_dpop(api, host, token, key, proof=key.proof("GET", host.url + "/api/v4/users/me")),
        "another path": as_dpop(api, host, token, key, proof=key.proof("GET", host.url + "/api/v4/users/x",
                                                                         access_token=token)),
        "another method": as_dpop(api, host, token, key, proof=key.proof("POST", host.url + "/api/v4/users/me",
                                                                           access_token=token)),
    }
    for case, reply in refusals.items():
        assert reply.status == 401, (case, reply.body)
        assert 'error="invalid_dpop_proof"' in challenge(reply), case
    proof = key.proof("GET", host.url + "/api/v4/users/me", access_token=token)
    assert as_dpop(api, host, token, key, proof=proof).status == 200
    replayed = as_dpop(api, host, token, key, proof=proof)
    assert replayed.status == 401 and 'error="invalid_dpop_proof"' in challenge(replayed)
    userinfo = as_dpop(api, host, token, DPoPKey(), "/oauth/userinfo")
    assert userinfo.status == 401 and 'error="invalid_dpop_proof"' in challenge(userinfo)
    assert userinfo.json["error"] == "invalid_dpop_proof"


def test_htu_is_the_site_url_not_the_host_header(api, host, app, new_user):
    user, key = new_user(), DPoPKey()
    token = bound_token(api, host, app, user, key)
    spoofed = key.proof("GET", "http://evil.example.com/api/v4/users/me", access_token=token)
    refused = api.get("/api/v4/users/me", headers={"Authorization": f"DPoP {token}", "DPoP": spoofed,
                                                   "Host": "evil.example.com"})
    assert refused.status == 401
    honest = key.proof("GET", host.url + "/api/v4/users/me?ignored=1", access_token=token)
    accepted = api.get("/api/v4/users/me", headers={"Authorization": f"DPoP {token}", "DPoP": honest,
                                                    "Host": "evil.example.com"})
    assert accepted.status == 200, accepted.body


def test_a_bearer_token_presented_as_dpop_is_refused(api, host, app, new_user):
    user = new_user()
    reply = token_request(api, host, app, *code_for(api, app, user), None)
    assert reply.status == 200 and reply.json["token_type"] == "bearer"
    token = reply.json["access_token"]
    refused = as_dpop(api, host, token, DPoPKey())
    assert refused.status == 401 and 'error="invalid_token"' in challenge(refused)
    assert api.get("/api/v4/users/me", token=token).status == 200
    unknown = as_dpop(api, host, "not-a-token", DPoPKey())
    assert unknown.status == 401 and 'error="invalid_token"' in challenge(unknown)


def test_a_bad_proof_at_the_token_endpoint_is_invalid_dpop_proof(api, host, app, new_user):
    user, key = new_user(), DPoPKey()
    code, verifier = code_for(api, app, user)
    reply = api.post("/oauth/access_token", body=urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": OAUTH_CALLBACK, "client_id": app["id"],
        "client_secret": app["client_secret"], "code_verifier": verifier}),
        headers={**FORM, "DPoP": key.proof("POST", host.url + "/oauth/revoke")})
    assert reply.status == 400 and reply.json["error"] == "invalid_dpop_proof", reply.body
    assert reply.headers["Cache-Control"] == "no-store"


def test_introspection_names_the_key_and_metadata_the_algorithms(api, host, app, new_user):
    user, key = new_user(), DPoPKey()
    token = bound_token(api, host, app, user, key)
    info = api.post("/oauth/introspect", body=urllib.parse.urlencode({
        "token": token, "client_id": app["id"], "client_secret": app["client_secret"]}), headers=FORM)
    assert info.status == 200 and info.json["cnf"] == {"jkt": key.jkt}
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        assert "ES256" in api.get(path).json["dpop_signing_alg_values_supported"]


def test_dpop_jkt_binds_the_code_to_the_key(api, host, app, new_user):
    user, key = new_user(), DPoPKey()
    code, verifier = code_for(api, app, user, dpop_jkt=key.jkt)
    refused = token_request(api, host, app, code, verifier, DPoPKey())
    assert refused.status == 400 and refused.json["error"] == "invalid_grant", refused.body
    code, verifier = code_for(api, app, user, dpop_jkt=key.jkt)
    assert token_request(api, host, app, code, verifier, key).json["token_type"] == "DPoP"


def test_an_app_that_requires_dpop(api, host, admin, new_user):
    created = api.post("/api/v4/oauth/apps", {"name": "Strict app", "homepage": "https://app.example.com",
                                              "callback_urls": [OAUTH_CALLBACK], "require_dpop": True},
                       token=admin.token)
    assert created.status == 201 and created.json["require_dpop"] is True, created.body
    strict, user = created.json, new_user()
    refused = token_request(api, host, strict, *code_for(api, strict, user), None)
    assert refused.status == 400 and refused.json["error"] == "invalid_dpop_proof"
    assert token_request(api, host, strict, *code_for(api, strict, user), DPoPKey()).json["token_type"] == "DPoP"
    updated = api.put(f"/api/v4/oauth/apps/{strict['id']}", {**strict, "require_dpop": False}, token=admin.token)
    assert updated.status == 200 and updated.json["require_dpop"] is False, updated.body


def _require_nonce(host, on: bool) -> None:
    def change(config):
        plugins = config.setdefault("PluginSettings", {}).setdefault("Plugins", {})
        plugins.setdefault("oauth-provider", {})["dpoprequirenonce"] = on
    host.configure(change)


def test_nonces_when_the_setting_asks_for_them(api, host, app, new_user):
    user, key = new_user(), DPoPKey()
    token = bound_token(api, host, app, user, key)
    _require_nonce(host, True)
    try:
        resource = wait_for(lambda: (r := as_dpop(api, host, token, key)).status == 401 and r,
                            message="the nonce setting in force")
        assert 'error="use_dpop_nonce"' in challenge(resource) and resource.headers["DPoP-Nonce"]
        answered = as_dpop(api, host, token, key, nonce=resource.headers["DPoP-Nonce"])
        assert answered.status == 200, answered.body
        userinfo = as_dpop(api, host, token, key, "/oauth/userinfo")
        assert userinfo.status == 401 and userinfo.headers["DPoP-Nonce"]
        assert userinfo.json["error"] == "use_dpop_nonce"

        code, verifier = code_for(api, app, user)
        asked = token_request(api, host, app, code, verifier, key)
        assert asked.status == 400 and asked.json["error"] == "use_dpop_nonce", asked.body
        nonce = asked.headers["DPoP-Nonce"]
        assert token_request(api, host, app, code, verifier, key, nonce).status == 200, "the code was not spent"
    finally:
        _require_nonce(host, False)
        wait_for(lambda: as_dpop(api, host, token, key).status == 200, message="nonces off again")

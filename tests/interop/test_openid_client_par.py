"""Pushed authorization requests (RFC 9126) driven by panva's openid-client v6 (tests/interop/openid_client/par.js)
against a launched host: the client discovers the PAR endpoint, pushes its request (`buildAuthorizationUrlWithPAR`),
the user allows it on the consent page reached with only client_id and request_uri, and the client exchanges the
code and reads userinfo. The same authorization URL opened again is refused: a request_uri is used once. With
DPoP, the proof on the push alone binds the code, and the client gets a DPoP-bound token."""
from __future__ import annotations

import json
import subprocess
import urllib.parse

import pytest

from tests.conftest import HostProcess, free_port
from tests.interop import npm
from tests.interop.test_oauth_clients import CALLBACK, Host, consent_via_page

requests = pytest.importorskip("requests")


@pytest.fixture(scope="module")
def rp_dir(tmp_path_factory):
    return npm.install("openid_client", tmp_path_factory.mktemp("openid_client_par"))


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("par-host") / "data", free_port())
    process.start()
    try:
        yield Host(process)
    finally:
        process.stop()


def new_app(host: Host, **fields) -> dict:
    reply = requests.post(host.url + "/api/v4/oauth/apps", headers=host.bearer(host.admin_token), json={
        "name": "PAR client", "homepage": "https://client.example.com", "callback_urls": [CALLBACK], **fields})
    assert reply.status_code == 201, reply.text
    return reply.json()


def sign_in_with_par(rp_dir, host: Host, app: dict, session_token: str, *mode: str) -> tuple[dict, dict]:
    """(what par.js printed first, what it printed at the end); `mode` "dpop": with DPoP proofs."""
    proc = subprocess.Popen(["node", "par.js", host.url, app["id"], app["client_secret"], CALLBACK, *mode], cwd=rp_dir,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        started = json.loads(line)
        assert "error" not in started, json.dumps(started)
        callback = consent_via_page(host, session_token, started["authorization_url"])
        proc.stdin.write(callback + "\n")
        proc.stdin.close()  # the script's last read
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        proc.wait(timeout=30)
        return started, json.loads(line)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_openid_client_completes_a_pushed_request_flow_and_its_request_uri_is_refused_again(rp_dir, host):
    app = new_app(host)
    user_id, _, session = host.new_user()
    started, result = sign_in_with_par(rp_dir, host, app, session)
    assert "error" not in result, json.dumps(result)
    assert result["par_endpoint"] == host.url + "/oauth/par" and result["require_pushed"] is False

    sent = urllib.parse.urlsplit(started["authorization_url"])
    assert dict(urllib.parse.parse_qsl(sent.query)) == {"client_id": app["id"], "request_uri": started["request_uri"]}
    assert started["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert result["claims"]["sub"] == user_id and result["claims"]["aud"] == app["id"]
    assert result["userinfo"]["sub"] == user_id and "openid" in result["scope"].split()

    replayed = requests.get(started["authorization_url"], headers=host.bearer(session), allow_redirects=False)
    assert replayed.status_code == 400 and "invalid_request_uri" in replayed.text


def test_an_app_that_must_push_signs_in_with_par_and_its_plain_requests_are_refused(rp_dir, host):
    # A confidential client: openid-client refuses the token answer Mattermost gives public clients (an empty
    # refresh_token member), so public clients' pushed requests are driven by tests/host/test_par_http.py.
    app = new_app(host, require_pushed_authorization_requests=True)
    assert app["require_pushed_authorization_requests"] is True
    user_id, _, session = host.new_user()
    _, result = sign_in_with_par(rp_dir, host, app, session)
    assert "error" not in result, json.dumps(result)
    assert result["claims"]["sub"] == user_id

    plain = requests.get(host.url + "/oauth/authorize", params={
        "response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK, "state": "s",
        "scope": "openid"},
        headers=host.bearer(session), allow_redirects=False)
    assert plain.status_code == 400 and "must push its authorization requests" in plain.text


def test_openid_client_pushes_with_a_dpop_proof_and_gets_a_bound_token(rp_dir, host):
    """RFC 9449 section 10.1: openid-client sends a proof with the push (and no dpop_jkt), which the PAR endpoint
    checks and binds the code to (another key's exchange is refused: tests/host/test_par_http.py); the token is
    DPoP-bound: userinfo with the client's proofs works, the token as Bearer is refused."""
    app = new_app(host)
    user_id, _, session = host.new_user()
    _, result = sign_in_with_par(rp_dir, host, app, session, "dpop")
    assert "error" not in result, json.dumps(result)
    assert result["token_type"].lower() == "dpop" and result["userinfo"]["sub"] == user_id
    as_bearer = requests.get(host.url + "/api/v4/users/me", headers=host.bearer(result["access_token"]))
    assert as_bearer.status_code == 401 and as_bearer.headers["WWW-Authenticate"].startswith("DPoP ")

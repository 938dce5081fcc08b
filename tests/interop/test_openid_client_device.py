"""The device authorization grant (RFC 8628) driven by a device nobody here wrote: panva's openid-client v6
(tests/interop/openid_client/device.js) against a launched host, with nothing but the issuer URL and its client.
openid-client discovers the device authorization endpoint, starts the flow, polls the token endpoint at the
interval it was given while the user approves the device on the verification page in between, validates the ID
token against the JWKS and reads userinfo. A denial must end its polling with access_denied, which proves the test
can fail."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.interop import npm
from tests.interop.device_flow import decide_on_page, device_app, device_host
from tests.interop.test_oauth_clients import Host

requests = pytest.importorskip("requests")


@pytest.fixture(scope="module")
def rp_dir(tmp_path_factory):
    return npm.install("openid_client", tmp_path_factory.mktemp("openid_client_device"))


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    yield from device_host(tmp_path_factory)


def run_device(rp_dir, host: Host, app: dict, session_token: str, decision: str = "allow") -> tuple[dict, dict]:
    secret = app.get("client_secret") or "-"
    proc = subprocess.Popen(["node", "device.js", host.url, app["id"], secret], cwd=rp_dir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        device = json.loads(proc.stdout.readline() or '{"error": "no output"}')
        assert "error" not in device, (device, proc.stderr.read())
        decide_on_page(host.url, session_token, device["verification_uri_complete"], decision)
        result = json.loads(proc.stdout.readline() or '{"error": "no output"}')
        proc.wait(timeout=30)
    finally:
        proc.kill()
    return device, result


def test_openid_client_completes_the_device_flow_with_the_page_approved_in_between(rp_dir, host):
    app = device_app(host)
    user_id, username, session = host.new_user()
    device, result = run_device(rp_dir, host, app, session)
    assert device["verification_uri"] == host.url + "/oauth/device"
    assert "error" not in result, result
    assert result["token_type"] == "bearer" and result["has_refresh_token"]
    assert set(result["scope"].split()) == {"openid", "profile", "email", "users:read"}
    claims = result["claims"]
    assert (claims["iss"], claims["aud"], claims["sub"]) == (host.url, app["id"], user_id)
    assert claims["auth_time"] <= claims["iat"] and "nonce" not in claims  # when the approving session signed in
    assert result["userinfo"]["sub"] == user_id and result["userinfo"]["preferred_username"] == username
    me = requests.get(host.url + "/api/v4/users/me", headers=host.bearer(result["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == user_id


def test_openid_client_as_a_public_device(rp_dir, host):
    app = device_app(host, is_public=True)
    user_id, _, session = host.new_user()
    _, result = run_device(rp_dir, host, app, session)
    assert "error" not in result, result
    assert result["claims"]["sub"] == user_id and not result["has_refresh_token"]


def test_a_denied_device_ends_openid_clients_polling_with_access_denied(rp_dir, host):
    app = device_app(host)
    _, _, session = host.new_user()
    _, result = run_device(rp_dir, host, app, session, decision="deny")
    assert (result["error"], result["step"]) == ("access_denied", "pollDeviceAuthorizationGrant")

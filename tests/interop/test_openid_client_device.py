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

from tests.conftest import HostProcess, free_port
from tests.forms import hidden_fields
from tests.interop import npm
from tests.interop.test_oauth_clients import Host

requests = pytest.importorskip("requests")


@pytest.fixture(scope="module")
def rp_dir(tmp_path_factory):
    return npm.install("openid_client", tmp_path_factory.mktemp("openid_client_device"))


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("device-host") / "data", free_port())
    process.configure(lambda config: config.setdefault("PluginSettings", {}).setdefault("Plugins", {})
                      .setdefault("oauth-provider", {}).update({"enabledevicegrant": True,
                                                                "devicepollintervalseconds": 1}))
    process.start()
    try:
        yield Host(process)
    finally:
        process.stop()


def device_app(host: Host, **fields) -> dict:
    reply = requests.post(host.url + "/api/v4/oauth/apps", headers=host.bearer(host.admin_token), json={
        "name": "Command-line tool", "homepage": "https://cli.example.com", "callback_urls":
        ["https://cli.example.com/unused"], "device_grant_allowed": True, **fields})
    assert reply.status_code == 201, reply.text
    return reply.json()


def decide_on_page(host_url: str, session_token: str, verification_uri_complete: str, decision: str = "allow"):
    """The user opens verification_uri_complete signed in, confirms the prefilled code, and allows or denies."""
    headers = {"Authorization": f"Bearer {session_token}"}
    page = requests.get(verification_uri_complete, headers=headers, allow_redirects=False)
    assert page.status_code == 200, page.text
    user_code = page.text.split('id="user_code" name="user_code" value="', 1)[1].split('"', 1)[0]
    confirm = requests.post(host_url + "/oauth/device", headers=headers,
                            data={**hidden_fields(page.content), "user_code": user_code})
    assert confirm.status_code == 200 and 'id="allow"' in confirm.text, confirm.text
    done = requests.post(host_url + "/oauth/device/decision", headers=headers,
                         data={**hidden_fields(confirm.content), "decision": decision})
    assert done.status_code == 200, done.text
    return done


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

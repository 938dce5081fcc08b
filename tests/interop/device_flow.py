"""What the device grant's interop tests share (RFC 8628): a launched host with device sign-in on and a one-second
polling interval, a device-allowed app, and the user's visit to the verification page."""
from __future__ import annotations

import requests

from tests.conftest import HostProcess, free_port
from tests.forms import hidden_fields
from tests.interop.test_oauth_clients import Host


def device_host(tmp_path_factory):
    """A module fixture's body: the host, running until the module is done."""
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

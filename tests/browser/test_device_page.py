"""The device verification page (RFC 8628) in Chromium: an admin allows an app device sign-in on the app form; a
device asks for a code; a person opens the page the device shows (verification_uri_complete), signs in, finds the
code prefilled, sees the app, its icon and what it asks for in words, and allows it; the device then gets its
tokens. A wrong code is answered on the page, and Deny leaves the device with access_denied."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.browser.test_oauth_pages import ADMIN, log_in, make_user, screenshot
from tests.conftest import HostProcess, free_port
from tests.host.conftest import Api

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("device-browser-host") / "data", free_port())
    process.configure(lambda config: config.setdefault("PluginSettings", {}).setdefault("Plugins", {})
                      .setdefault("oauth-provider", {}).update({"enabledevicegrant": True}))
    process.start()
    created = Api(process.url).post("/api/v4/users", ADMIN)
    assert created.status == 201, created.body  # the first account: system admin
    yield process
    process.stop()


def post_form(url: str, fields: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as failed:
        return failed.code, json.loads(failed.read())


@pytest.fixture(scope="module")
def credentials(browser, host) -> dict:
    """A TV app registered on the Integrations page by the admin, with device sign-in allowed there."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(host.url + "/login")
    log_in(page, ADMIN)
    page.wait_for_url(host.url + "/")
    page.goto(host.url + "/integrations/oauth2-apps")
    page.click("#add-app")
    page.check("#is_trusted_no")
    page.fill("#name", "Living Room TV")
    page.fill("#description", "The TV in the living room")
    page.fill("#homepage", "https://tv.example.com/")
    page.fill("#icon_url", "https://tv.example.com/icon.png")
    page.fill("#callback_urls", "https://tv.example.com/cb")
    page.check("#allow_device_grant")
    page.click("#save")
    page.wait_for_selector("text=Setup Successful")
    registered = {"client_id": page.text_content("#client-id").strip(),
                  "client_secret": page.text_content("#client-secret").strip()}
    context.close()
    return registered


def start_device(host, credentials, scope: str = "users:read") -> dict:
    status, device = post_form(host.url + "/oauth/device_authorization", {**credentials, "scope": scope})
    assert status == 200, device
    return device


def poll(host, credentials, device) -> tuple[int, dict]:
    return post_form(host.url + "/oauth/access_token", {**credentials, "grant_type": GRANT_TYPE,
                                                         "device_code": device["device_code"]})


def test_a_person_approves_a_device_from_the_link_it_shows(new_context, host, credentials, screenshot_dir):
    device = start_device(host, credentials)
    person = make_user(host)
    page = new_context().new_page()
    page.goto(device["verification_uri_complete"])
    log_in(page, person)  # sign in first, then back to the page
    page.wait_for_url(lambda url: urllib.parse.urlsplit(url).path == "/oauth/device")
    assert page.input_value("#user_code") == device["user_code"]
    page.click("#continue")
    page.wait_for_selector("#allow")
    assert page.text_content("h1") == "Connect Living Room TV to Your Mattermost User Account"
    assert page.text_content("#user-code") == device["user_code"]
    assert page.get_attribute("img.app-icon", "src") == "https://tv.example.com/icon.png"
    assert page.locator("#scopes li[data-scope='users:read']").is_visible()
    screenshot(page, screenshot_dir, "device-confirm.png")
    page.click("#allow")
    page.wait_for_selector("#result[data-result='approved']")
    assert "Living Room TV is signed in to your account" in page.text_content("main")
    status, tokens = poll(host, credentials, device)
    assert status == 200 and tokens["scope"] == "users:read", tokens
    me = Api(host.url).get("/api/v4/users/me", token=tokens["access_token"])
    assert me.status == 200 and me.json["username"] == person["username"]


def test_a_code_typed_by_hand_in_lower_case_and_a_wrong_one(new_context, host, credentials):
    device = start_device(host, credentials)
    page = new_context().new_page()
    page.goto(device["verification_uri"])
    log_in(page, make_user(host))
    page.wait_for_url(lambda url: urllib.parse.urlsplit(url).path == "/oauth/device")
    page.fill("#user_code", "BCDF-GHJK")
    page.click("#continue")
    page.wait_for_selector("#error")
    assert page.text_content("#error") == "That code is not valid or has expired. Check it and try again."
    page.fill("#user_code", device["user_code"].lower().replace("-", " "))
    page.click("#continue")
    page.wait_for_selector("#deny")
    page.click("#deny")
    page.wait_for_selector("#result[data-result='denied']")
    status, answer = poll(host, credentials, device)
    assert (status, answer["error"]) == (400, "access_denied")

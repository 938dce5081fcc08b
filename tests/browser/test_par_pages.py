"""Pushed authorization requests (RFC 9126) in Chromium: an admin requires them on the app's form, the app pushes
its request, and a person goes from the authorization URL (only client_id and request_uri) through log-in and
consent to the app's callback; signing in again with the consent remembered goes from the log-in page straight to
the callback. Both are redirects after a form's submission, which Chromium allows only to the origins the page's
CSP form-action names: the pushed request's redirect URI, which the browser never saw."""
from __future__ import annotations

import urllib.parse

import pytest

from tests.conftest import free_port
from tests.host.conftest import Api

from .test_oauth_pages import ADMIN, log_in, make_user, shows_consent

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def admin_token(host) -> str:
    api = Api(host.url)
    assert api.post("/api/v4/users", ADMIN).status == 201  # the first account: system admin
    return api.login(ADMIN["username"], ADMIN["password"]).headers["Token"]


@pytest.fixture(scope="module")
def app(browser, host, admin_token) -> dict:
    """Registered on the Integrations page with "Require pushed authorization requests" ticked. Its callback is
    on a port nobody listens on: the test watches the browser ask for it."""
    callback = f"http://localhost:{free_port()}/callback"
    context = browser.new_context()
    page = context.new_page()
    page.goto(host.url + "/login")
    log_in(page, ADMIN)
    page.wait_for_url(host.url + "/")
    page.goto(host.url + "/integrations/oauth2-apps/add")
    page.check("#is_trusted_no")
    page.fill("#name", "Pushing App")
    page.fill("#description", "An app that pushes its authorization requests")
    page.fill("#homepage", callback.rsplit("/", 1)[0] + "/")
    page.fill("#callback_urls", callback)
    page.check("#require_pushed")
    page.click("#save")
    page.wait_for_load_state()
    assert "Setup Successful" in page.content(), page.text_content("main")
    app = {"id": page.text_content("#client-id").strip(), "client_secret": page.text_content("#client-secret").strip(),
           "callback": callback}
    page.goto(host.url + f"/integrations/oauth2-apps/{app['id']}/edit")
    assert page.is_checked("#require_pushed")  # the edit form shows what was saved
    context.close()
    stored = Api(host.url).get(f"/api/v4/oauth/apps/{app['id']}", token=admin_token).json
    assert stored["require_pushed_authorization_requests"] is True
    return app


def authorization_url(host, app: dict) -> str:
    pushed = Api(host.url).post("/oauth/par", headers=FORM, body=urllib.parse.urlencode({
        "client_id": app["id"], "client_secret": app["client_secret"], "response_type": "code",
        "redirect_uri": app["callback"], "state": "pushed-state"}))
    assert pushed.status == 201, pushed.body
    return host.url + "/oauth/authorize?" + urllib.parse.urlencode(
        {"client_id": app["id"], "request_uri": pushed.json["request_uri"]})


def answer(request) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query))


def test_a_pushed_request_goes_through_log_in_and_consent_to_the_callback(new_context, host, app):
    user = make_user(host)
    page = new_context().new_page()
    page.goto(authorization_url(host, app))
    log_in(page, user)
    shows_consent(page, "Pushing App")
    with page.expect_request(lambda request: request.url.startswith(app["callback"] + "?")) as called:
        page.click("#allow")
    assert answer(called.value)["state"] == "pushed-state" and answer(called.value)["code"]

    # Signed out and in again: the consent is remembered, so the log-in form's answer redirects to the callback.
    again = new_context().new_page()
    again.goto(authorization_url(host, app))
    with again.expect_request(lambda request: request.url.startswith(app["callback"] + "?")) as called:
        log_in(again, user)
    assert answer(called.value)["code"]


def test_the_same_authorization_url_opened_twice_shows_the_error_page(new_context, host, app):
    user = make_user(host)
    context = new_context()
    page = context.new_page()
    url = authorization_url(host, app)
    page.goto(url)
    log_in(page, user)
    shows_consent(page, "Pushing App")
    with page.expect_request(lambda request: request.url.startswith(app["callback"] + "?")):
        page.click("#allow")
    again = context.new_page()  # the same signed-in profile (the first tab is busy failing to reach the app)
    again.goto(url)
    assert "invalid_request_uri" in again.text_content("main")

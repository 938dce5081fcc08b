"""What people do in a browser: the first admin signs up, registers an app on the Integrations page, and a user
signs in to that app (examples/oauth_client_app.py, its own process) through log-in and consent; Deny, deauthorize,
secret regeneration and trusted apps, each seen from the app's side.

The tests of this module share one host and one registered app, and run in order."""
from __future__ import annotations

import itertools
import urllib.parse

import pytest

from tests.host.conftest import Api

ADMIN = {"email": "admin@example.com", "username": "admin", "password": "Admin-Passw0rd!"}
USER_PASSWORD = "User-Passw0rd!"
_users = itertools.count(1)


# --- steps ---------------------------------------------------------------------------------------------------------

def register_app(page, host, *, name: str, callback_url: str, trusted: bool = False) -> dict:
    """Integrations > OAuth 2.0 Applications > Add, as a person fills it in; answers the credentials shown once."""
    page.goto(host.url + "/integrations/oauth2-apps")
    page.click("#add-app")
    page.check("#is_trusted_yes" if trusted else "#is_trusted_no")
    page.fill("#name", name)
    page.fill("#description", f"{name}, the example client of examples/")
    page.fill("#homepage", callback_url.rsplit("/", 1)[0] + "/")
    page.fill("#callback_urls", callback_url)
    page.click("#save")
    page.wait_for_selector("text=Setup Successful")
    credentials = {"client_id": page.text_content("#client-id").strip(),
                   "client_secret": page.text_content("#client-secret").strip()}
    assert len(credentials["client_id"]) == 26 and credentials["client_secret"]
    return credentials


def make_user(host) -> dict:
    api = Api(host.url)
    token = api.login(ADMIN["username"], ADMIN["password"]).headers["Token"]
    n = next(_users)
    user = {"username": f"person{n}", "email": f"person{n}@example.com", "password": USER_PASSWORD}
    created = api.post("/api/v4/users", user, token=token)
    assert created.status == 201, created.body
    return user


def committed_paths(page) -> list[str]:
    """Every page the browser actually showed (redirects are not shown), as URL paths with their host."""
    shown: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and shown.append(frame.url))
    return shown


def log_in(page, user: dict) -> None:
    page.wait_for_url(lambda url: urllib.parse.urlsplit(url).path == "/login")
    page.fill("#login_id", user["username"])
    page.fill("#password", user["password"])
    page.click("#login")


def signed_in_as(page, example) -> str:
    page.wait_for_url(example.url + "/")
    return page.text_content("#username")


def shows_consent(page, app_name: str) -> None:
    page.wait_for_selector("#allow")
    heading = page.text_content("h1")
    assert heading == f"Authorize {app_name} to Connect to Your Mattermost User Account"
    # The example app asks for no scope: Mattermost's full power, in words.
    scope = page.locator("#scopes li[data-scope='user']")
    assert scope.is_visible() and scope.text_content().startswith("Do anything you can do in Mattermost")


def screenshot(page, directory, name: str) -> None:
    if directory is not None:
        page.screenshot(path=str(directory / name), full_page=True)


# --- shared set-up -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def admin_context(browser, host):
    """The first admin, signed up through the sign-up page of a fresh server, in its own browser profile."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(host.url + "/")
    page.click("#signup-link")
    assert "first account of this server" in page.text_content("main")
    page.fill("#email", ADMIN["email"])
    page.fill("#username", ADMIN["username"])
    page.fill("#password", ADMIN["password"])
    page.fill("#password_confirm", ADMIN["password"])
    page.click("#signup")
    page.wait_for_url(host.url + "/")
    yield context
    context.close()


@pytest.fixture(scope="module")
def admin_page(admin_context):
    return admin_context.new_page()


@pytest.fixture(scope="module")
def example(example_apps):
    return example_apps("example")


@pytest.fixture(scope="module")
def registered(admin_page, host, example, screenshot_dir) -> dict:
    """The example app registered through the Integrations page, and started with its credentials."""
    credentials = register_app(admin_page, host, name="Example App", callback_url=example.callback_url)
    example.start(credentials["client_id"], credentials["client_secret"])
    admin_page.goto(host.url + "/integrations/oauth2-apps")
    screenshot(admin_page, screenshot_dir, "integrations.png")
    return credentials


# --- the tests -----------------------------------------------------------------------------------------------------

def test_first_account_signed_up_on_the_page_is_the_system_admin(admin_page, host):
    admin_page.goto(host.url + "/")
    assert admin_page.text_content("h1") == "Welcome, @admin"
    assert admin_page.is_visible("text=System Console › Plugins")
    admin_page.goto(host.url + "/admin/plugins")
    assert admin_page.text_content("[data-plugin-id=oauth-provider] .state") == "Running (2)"


def test_registered_app_is_listed_without_its_secret(admin_page, host, registered):
    admin_page.goto(host.url + "/integrations/oauth2-apps")
    item = admin_page.locator(f"li.app[data-app-id='{registered['client_id']}']")
    assert item.locator(".app-name").text_content() == "Example App"
    assert registered["client_secret"] not in admin_page.content()


def test_sign_in_goes_through_log_in_consent_and_allow_and_the_app_shows_the_user(
        new_context, host, example, registered, screenshot_dir):
    user = make_user(host)
    page = new_context().new_page()
    page.goto(example.url + "/")
    page.click("#sign-in")
    log_in(page, user)
    shows_consent(page, "Example App")
    screenshot(page, screenshot_dir, "consent.png")
    page.click("#allow")
    assert signed_in_as(page, example) == user["username"]
    assert f'"email": "{user["email"]}"' in page.text_content("#me")

    page.click("#refresh")
    page.wait_for_selector("#refreshes:text('1')")
    assert page.text_content("#username") == user["username"]

    page.click("#logout")
    page.wait_for_selector("#sign-in")


def test_deny_returns_access_denied_with_the_state_to_the_app(new_context, host, example, registered):
    user = make_user(host)
    page = new_context().new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(example.url + "/login")
    log_in(page, user)
    shows_consent(page, "Example App")
    page.click("#deny")
    page.wait_for_selector("#error")
    assert "access_denied" in page.text_content("#error") and "state checked" in page.text_content("#error")
    authorize = next(u for u in requests if u.startswith(host.url + "/oauth/authorize?"))
    returned = next(u for u in requests if u.startswith(example.callback_url + "?"))
    sent_state = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize).query)["state"]
    answer = urllib.parse.parse_qs(urllib.parse.urlsplit(returned).query)
    assert answer["error"] == ["access_denied"] and answer["state"] == sent_state and "code" not in answer


def test_deauthorizing_on_the_account_page_brings_consent_back(new_context, host, example, registered):
    user = make_user(host)
    page = new_context().new_page()
    shown = committed_paths(page)
    page.goto(example.url + "/login")
    log_in(page, user)
    shows_consent(page, "Example App")
    page.click("#allow")
    assert signed_in_as(page, example) == user["username"]

    # Consent given: signing in again goes straight through.
    shown.clear()
    page.goto(example.url + "/login")
    assert signed_in_as(page, example) == user["username"]
    assert not [url for url in shown if url.startswith(host.url)], shown

    page.goto(host.url + "/account/security")
    app_row = page.locator(f"li.authorized[data-app-id='{registered['client_id']}']")
    assert app_row.locator(".app-name").text_content() == "Example App"
    assert app_row.locator("li.scope[data-scope='user']").is_visible()
    app_row.locator("button.deauthorize").click()
    page.wait_for_selector("#no-authorized-apps")

    page.goto(example.url + "/login")
    shows_consent(page, "Example App")


def test_regenerated_secret_replaces_the_old_one(admin_page, new_context, host, example, registered):
    admin_page.goto(host.url + "/integrations/oauth2-apps")
    admin_page.locator(f"li.app[data-app-id='{registered['client_id']}'] button.regenerate").click()
    admin_page.wait_for_selector("text=Client Secret Regenerated")
    new_secret = admin_page.text_content("#client-secret").strip()
    assert new_secret and new_secret != registered["client_secret"]

    user = make_user(host)
    page = new_context().new_page()
    page.goto(example.url + "/login")  # the app still holds the old secret
    log_in(page, user)
    shows_consent(page, "Example App")
    page.click("#allow")
    page.wait_for_selector("#error")
    assert "invalid_client" in page.text_content("#error")

    example.start(registered["client_id"], new_secret)
    registered["client_secret"] = new_secret
    page.goto(example.url + "/login")  # consent was given: no question this time
    assert signed_in_as(page, example) == user["username"]


def test_trusted_app_signs_in_without_consent(admin_page, new_context, host, example_apps):
    trusted = example_apps("trusted")
    credentials = register_app(admin_page, host, name="Trusted App", callback_url=trusted.callback_url,
                               trusted=True)
    trusted.start(credentials["client_id"], credentials["client_secret"])
    admin_page.goto(host.url + "/integrations/oauth2-apps")
    item = admin_page.locator(f"li.app[data-app-id='{credentials['client_id']}']")
    assert item.locator(".is-trusted").text_content() == "Yes"

    user = make_user(host)
    page = new_context().new_page()
    shown = committed_paths(page)
    page.goto(trusted.url + "/login")
    log_in(page, user)
    assert signed_in_as(page, trusted) == user["username"]
    assert not [url for url in shown if urllib.parse.urlsplit(url).path == "/oauth/authorize"], shown

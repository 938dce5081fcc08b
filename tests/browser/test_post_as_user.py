"""The app acting as the user, in a browser: a person signs in to examples/post_as_user.py (its own process), which
asks only for `channels:read posts:write`, lists their channels and posts a message as them; the host's channel
page then shows the post marked APP, with the app's override name only while the server allows it."""
from __future__ import annotations

import urllib.parse

import pytest

from tests.conftest import ROOT
from tests.host.conftest import Api

ADMIN = {"email": "admin@example.com", "username": "admin", "password": "Admin-Passw0rd!"}
USER = {"email": "poster@example.com", "username": "poster", "password": "User-Passw0rd!"}


@pytest.fixture(scope="module")
def setup(host, example_apps):
    api = Api(host.url)
    assert api.post("/api/v4/users", ADMIN).status == 201  # the first account: the system admin
    admin_token = api.login(ADMIN["username"], ADMIN["password"]).headers["Token"]
    assert api.post("/api/v4/users", USER, token=admin_token).status == 201
    user_token = api.login(USER["username"], USER["password"]).headers["Token"]
    team = api.post("/api/v4/teams", {"name": "zap-team", "display_name": "Zap Team", "type": "O"},
                    token=user_token)
    assert team.status == 201, team.body
    example = example_apps("post-as-user", script=ROOT / "examples" / "post_as_user.py",
                           extra_args=("--post-as", "Zapier Bot"))
    registered = api.post("/api/v4/oauth/apps", {"name": "Post as you", "homepage": example.url + "/",
                                                 "callback_urls": [example.callback_url]}, token=admin_token)
    assert registered.status == 201, registered.body
    example.start(registered.json["id"], registered.json["client_secret"])
    return {"api": api, "admin_token": admin_token, "example": example}


def set_override(setup, on: bool) -> None:
    reply = setup["api"].put("/api/v4/config/patch", {"ServiceSettings": {"EnablePostUsernameOverride": on}},
                             token=setup["admin_token"])
    assert reply.status == 200, reply.body


def test_the_app_posts_as_the_user_and_the_channel_page_marks_it(new_context, host, setup, screenshot_dir):
    example = setup["example"]
    page = new_context().new_page()
    page.goto(example.url + "/")
    page.click("#sign-in")
    page.wait_for_url(lambda url: urllib.parse.urlsplit(url).path == "/login")
    asked = urllib.parse.parse_qs(urllib.parse.urlsplit(
        urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["redirect_to"][0]).query)
    assert asked["scope"] == ["channels:read posts:write"]
    page.fill("#login_id", USER["username"])
    page.fill("#password", USER["password"])
    page.click("#login")
    page.wait_for_selector("#allow")
    page.click("#allow")
    page.wait_for_url(example.url + "/")
    assert page.text_content("#channel-count") == "2"
    page.select_option("#channel", label="Town Square (Public)")
    page.fill("#message", "Hello from the app")
    page.click("#send")
    page.wait_for_selector("#notice")

    try:
        set_override(setup, False)
        page.goto(host.url + "/zap-team/channels/town-square")
        post = page.locator(".post", has_text="Hello from the app")
        assert post.locator(".app-mark").text_content() == "APP"
        assert post.locator(".post-author").text_content() == USER["username"]
        if screenshot_dir is not None:
            page.screenshot(path=str(screenshot_dir / "channel-override-off.png"), full_page=True)
        set_override(setup, True)
        page.reload()
        post = page.locator(".post", has_text="Hello from the app")
        assert post.locator(".post-author").text_content() == "Zapier Bot"
        assert post.locator(".app-mark").is_visible()
        if screenshot_dir is not None:
            page.screenshot(path=str(screenshot_dir / "channel-override-on.png"), full_page=True)
    finally:
        set_override(setup, False)

    # The person posts as themself from the page: no APP mark on that one.
    page.fill("#message", "Hello from me")
    page.click("#send")
    mine = page.locator(".post", has_text="Hello from me")
    mine.wait_for()
    assert mine.locator(".app-mark").count() == 0
    assert mine.locator(".post-author").text_content() == USER["username"]
    texts = page.locator(".post-message").all_text_contents()
    assert texts.index("Hello from the app") < texts.index("Hello from me")  # oldest to newest

"""The team and channel pages over HTTP: what they show (sidebar, posts oldest to newest, the APP mark, the override
name and icon only while the settings allow them), posting as yourself with the form's CSRF token, and the pages'
framing and CSRF rules."""
from __future__ import annotations

import html

import pytest

from tests.host.test_channels_http import join, new_channel
from tests.host.test_pages import Browser, inputs
from tests.host.test_teams_http import new_team

from .conftest import USER_PASSWORD


@pytest.fixture
def signed_in(api, new_user):
    def make():
        user = new_user()
        browser = Browser(api)
        assert browser.log_in(user.username, USER_PASSWORD).status == 303
        return browser, user
    return make


def set_overrides(api, admin, on: bool) -> None:
    reply = api.put("/api/v4/config/patch", {"ServiceSettings": {"EnablePostUsernameOverride": on,
                                                                 "EnablePostIconOverride": on}}, token=admin.token)
    assert reply.status == 200, reply.body


def test_without_a_team_the_page_offers_to_create_one(api, signed_in):
    browser, user = signed_in()
    page = browser.get("/channels")
    assert page.status == 200 and b'id="no-team"' in page.body
    assert page.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in \
        page.headers["Content-Security-Policy"]
    csrf = inputs(page.body)["csrf"]
    refused = browser.post("/channels", {"csrf": "forged", "name": "page-team", "display_name": "Page team"})
    assert refused.status == 403
    created = browser.post("/channels", {"csrf": csrf, "name": "page-team", "display_name": "Page team"})
    assert created.status == 303 and created.headers["Location"] == "/page-team/channels/town-square"
    assert browser.get("/channels").headers["Location"] == "/page-team/channels/town-square"
    taken = browser.post("/channels", {"csrf": csrf, "name": "page-team", "display_name": "Again"})
    assert taken.status == 400 and b"already exists" in taken.body


def test_the_channel_page_shows_the_sidebar_and_posts_oldest_to_newest(api, signed_in, new_user):
    browser, user = signed_in()
    team = new_team(api, user.token)
    private = new_channel(api, user.token, team["id"], "P")
    town_square = api.get(f"/api/v4/teams/{team['id']}/channels/name/town-square", token=user.token).json
    for n in range(3):
        assert api.post("/api/v4/posts", {"channel_id": town_square["id"], "message": f"message <{n}>"},
                        token=user.token).status == 201
    page = browser.get(f"/{team['name']}/channels/town-square")
    assert page.status == 200
    text = page.body.decode()
    assert text.index("message &lt;0&gt;") < text.index("message &lt;1&gt;") < text.index("message &lt;2&gt;")
    for name in (team["display_name"], "Town Square", "Off-Topic", private["display_name"]):
        assert html.escape(name) in text
    assert 'class="app-mark"' not in text
    # Someone who is not in the team sees no channel, not even that it exists.
    stranger_browser, _ = signed_in()
    assert stranger_browser.get(f"/{team['name']}/channels/town-square").status == 404
    assert stranger_browser.get("/no-such-team/channels/town-square").status == 404


def test_posting_from_the_page_needs_the_forms_csrf_token(api, signed_in):
    browser, user = signed_in()
    team = new_team(api, user.token)
    path = f"/{team['name']}/channels/town-square"
    csrf = inputs(browser.get(path).body)["csrf"]
    assert browser.post(path, {"csrf": "forged", "message": "forged"}).status == 403
    sent = browser.post(path, {"csrf": csrf, "message": "hello from the page"})
    assert sent.status == 303 and sent.headers["Location"] == path
    channel = api.get(f"/api/v4/teams/{team['id']}/channels/name/town-square", token=user.token).json
    posts = api.get(f"/api/v4/channels/{channel['id']}/posts", token=user.token).json
    assert [p["message"] for p in posts["posts"].values()] == ["hello from the page"]
    assert posts["posts"][posts["order"][0]]["props"] == {}  # a person, not an app
    too_long = browser.post(path, {"csrf": csrf, "message": "x" * 16384})
    assert too_long.status == 400 and b"Message is too long" in too_long.body


def test_app_posts_are_marked_and_overrides_shown_only_while_allowed(api, admin, signed_in, oauth_token):
    browser, user = signed_in()
    team = new_team(api, user.token)
    channel = api.get(f"/api/v4/teams/{team['id']}/channels/name/town-square", token=user.token).json
    props = {"override_username": "Zapier Bot", "override_icon_url": "https://app.example.com/zap.png"}
    made = api.post("/api/v4/posts", {"channel_id": channel["id"], "message": "from an app", "props": props},
                    token=oauth_token(user))
    assert made.status == 201
    # A person's post with the same props is shown as the person's, setting or not.
    assert api.post("/api/v4/posts", {"channel_id": channel["id"], "message": "from a person", "props": props},
                    token=user.token).status == 201
    path = f"/{team['name']}/channels/town-square"
    try:
        set_overrides(api, admin, False)
        off = browser.get(path).body.decode()
        assert off.count('class="app-mark"') == 1
        assert "Zapier Bot" not in off and "zap.png" not in off
        assert off.count(f'<strong class="post-author">{user.username}</strong>') == 2
        set_overrides(api, admin, True)
        on = browser.get(path).body.decode()
        assert on.count('<strong class="post-author">Zapier Bot</strong>') == 1
        assert on.count('src="https://app.example.com/zap.png"') == 1
        assert on.count(f'<strong class="post-author">{user.username}</strong>') == 1
    finally:
        set_overrides(api, admin, False)


def test_a_member_of_a_team_joins_the_conversation_in_a_direct_channel(api, signed_in, new_user):
    browser, user = signed_in()
    friend = new_user()
    team = new_team(api, user.token)
    join(api, user.token, team["id"], friend.id)
    direct = api.post("/api/v4/channels/direct", [user.id, friend.id], token=user.token).json
    assert api.post("/api/v4/posts", {"channel_id": direct["id"], "message": "psst"}, token=friend.token).status == 201
    page = browser.get(f"/{team['name']}/channels/{direct['name']}")
    assert page.status == 200 and b"psst" in page.body and f"@{friend.username}".encode() in page.body

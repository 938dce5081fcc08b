"""mattermostdriver, the Python client of Mattermost's API v4 that bots and integrations use, works against the host
unchanged with an OAuth access token: it signs in with the token, finds the user's teams and channels, creates,
reads, patches and deletes posts, and raises its own exceptions for Mattermost's error statuses."""
from __future__ import annotations

import urllib.parse

import pytest

from tests.faults.flow import Client, OAuthHttp

mattermostdriver = pytest.importorskip("mattermostdriver")
from mattermostdriver import exceptions  # noqa: E402


def driver_for(host, token: str):
    parts = urllib.parse.urlsplit(host.url)
    driver = mattermostdriver.Driver({"scheme": "http", "url": parts.hostname, "port": parts.port,
                                      "token": token, "timeout": 10})
    driver.login()  # with a token: GET /users/me
    return driver


def test_mattermostdriver_creates_and_reads_posts_with_an_oauth_access_token(make_host):
    host = make_host().start()
    flow = OAuthHttp(Client(host.url))
    user = flow.account("driver")
    access_token = flow.tokens(user)["access_token"]
    driver = driver_for(host, access_token)
    assert driver.users.get_user("me")["id"] == user.id

    team = driver.teams.create_team(options={"name": "driver-team", "display_name": "Driver", "type": "O"})
    assert [t["id"] for t in driver.teams.get_user_teams("me")] == [team["id"]]
    channels = driver.channels.get_channels_for_user("me", team["id"])
    assert sorted(c["name"] for c in channels) == ["off-topic", "town-square"]
    town_square = driver.channels.get_channel_by_name_and_team_name("driver-team", "town-square")

    created = driver.posts.create_post(options={"channel_id": town_square["id"], "message": "from the driver",
                                                "props": {"override_username": "Driver Bot"}})
    assert created["props"] == {"override_username": "Driver Bot", "from_oauth_app": "true"}
    reply = driver.posts.create_post(options={"channel_id": town_square["id"], "message": "a reply",
                                              "root_id": created["id"]})
    listed = driver.posts.get_posts_for_channel(town_square["id"], params={"per_page": 10})
    assert listed["order"] == [reply["id"], created["id"]]
    assert listed["posts"][created["id"]]["message"] == "from the driver"
    assert driver.posts.get_post(created["id"])["user_id"] == user.id
    assert driver.posts.get_thread(reply["id"])["order"] == [reply["id"], created["id"]]
    patched = driver.posts.patch_post(created["id"], options={"message": "edited by the driver"})
    assert patched["message"] == "edited by the driver" and patched["edit_at"] > 0
    assert driver.posts.delete_post(reply["id"])["status"] == "OK"

    with pytest.raises(exceptions.InvalidOrMissingParameters):
        driver.posts.create_post(options={"channel_id": town_square["id"], "message": "x" * 16384})
    private = flow.client.request("POST", "/api/v4/channels", token=flow.admin.token, json={
        "team_id": team["id"], "name": "admins-only", "display_name": "Admins", "type": "P"})
    assert private.status == 201, private.body
    with pytest.raises(exceptions.NotEnoughPermissions):
        driver.posts.create_post(options={"channel_id": private.json["id"], "message": "let me in"})
    with pytest.raises(exceptions.ResourceNotFound):
        driver.posts.get_post("a" * 26)

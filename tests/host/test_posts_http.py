"""API v4 posts over HTTP against a launched host, with a host session and with an OAuth access token: create,
get, patch, delete, a channel's posts in Mattermost's PostList with its paging, the app mark, and Mattermost's
limits and errors (api4/post.go, app/post.go)."""
from __future__ import annotations

import pytest

from tests.host.test_channels_http import join, new_channel
from tests.host.test_teams_http import new_team


@pytest.fixture(scope="module")
def place(api, new_user):
    """A team with a public channel; its owner and a second member."""
    owner, member = new_user(), new_user()
    team = new_team(api, owner.token)
    join(api, owner.token, team["id"], member.id)
    channel = new_channel(api, owner.token, team["id"])
    assert api.post(f"/api/v4/channels/{channel['id']}/members", {"user_id": member.id},
                    token=owner.token).status == 201
    return {"team": team, "channel": channel, "owner": owner, "member": member}


def post(api, token: str, channel_id: str, message: str, **fields):
    return api.post("/api/v4/posts", {"channel_id": channel_id, "message": message, **fields}, token=token)


def test_a_post_has_mattermosts_fields_and_the_app_mark_only_when_an_app_made_it(api, place, credential):
    member = place["member"]
    made = post(api, credential(member), place["channel"]["id"], "hello #world",
                props={"from_oauth_app": "true", "custom": {"a": 1}})
    assert made.status == 201, made.body
    body = made.json
    assert set(body) >= {"id", "create_at", "update_at", "edit_at", "delete_at", "is_pinned", "user_id",
                         "channel_id", "root_id", "original_id", "message", "type", "props", "hashtags",
                         "pending_post_id", "reply_count", "last_reply_at", "participants", "metadata"}
    assert (body["user_id"], body["message"], body["hashtags"]) == (member.id, "hello #world", "#world")
    by_app = credential(member) != member.token
    # The host alone says whether an app made the post: a session's claim is dropped.
    assert body["props"] == ({"custom": {"a": 1}, "from_oauth_app": "true"} if by_app else {"custom": {"a": 1}})
    fetched = api.get(f"/api/v4/posts/{body['id']}", token=credential(place["owner"]))
    assert fetched.status == 200 and fetched.json["props"] == body["props"]


def test_override_props_are_kept_as_sent_whatever_the_settings(api, admin, place, oauth_token):
    """Mattermost keeps props.override_username / override_icon_url on API posts as sent; the settings decide
    whether they are shown (the channel page), not what is stored."""
    props = {"override_username": "Zapier", "override_icon_url": "https://app.example.com/icon.png"}
    token = oauth_token(place["member"])
    for on in (False, True):
        patched = api.put("/api/v4/config/patch", {"ServiceSettings": {
            "EnablePostUsernameOverride": on, "EnablePostIconOverride": on}}, token=admin.token)
        assert patched.status == 200, patched.body
        assert patched.json["ServiceSettings"]["EnablePostUsernameOverride"] is on
        made = post(api, token, place["channel"]["id"], f"override {on}", props=props)
        assert made.status == 201 and made.json["props"] == {**props, "from_oauth_app": "true"}
    assert api.put("/api/v4/config/patch", {"ServiceSettings": {
        "EnablePostUsernameOverride": False, "EnablePostIconOverride": False}}, token=admin.token).status == 200


def test_replies_and_mattermosts_reply_rules(api, place, credential, new_user):
    token = credential(place["member"])
    channel_id = place["channel"]["id"]
    root = post(api, token, channel_id, "root").json
    reply = post(api, token, channel_id, "reply", root_id=root["id"])
    assert reply.status == 201 and reply.json["root_id"] == root["id"]
    other = new_channel(api, place["owner"].token, place["team"]["id"])
    cases = [
        (post(api, token, channel_id, "reply to a reply", root_id=reply.json["id"]), 400,
         "api.post.create_post.root_id.app_error"),
        (post(api, token, channel_id, "no such root", root_id="a" * 26), 400,
         "api.post.create_post.root_id.app_error"),
        (post(api, token, channel_id, "bad root", root_id="x"), 400, "model.post.is_valid.root_id.app_error"),
        (post(api, place["owner"].token, other["id"], "root elsewhere", root_id=root["id"]), 400,
         "api.post.create_post.channel_root_id.app_error"),
    ]
    for answer, status, error_id in cases:
        assert (answer.status, answer.error_id) == (status, error_id), answer.body


def test_mattermosts_limits_and_errors_on_create(api, place, credential, new_user):
    token = credential(place["member"])
    channel_id = place["channel"]["id"]
    assert post(api, token, channel_id, "x" * 16383).status == 201
    stranger = new_user()
    private = new_channel(api, place["owner"].token, place["team"]["id"], "P")
    archived = new_channel(api, place["owner"].token, place["team"]["id"])
    assert api.request("DELETE", f"/api/v4/channels/{archived['id']}", token=place["owner"].token).status == 200
    cases = [
        (post(api, token, channel_id, "x" * 16384), 400, "model.post.is_valid.message_length.app_error"),
        (post(api, token, private["id"], "not a member"), 403, "api.context.permissions.app_error"),
        (post(api, credential(stranger), channel_id, "not in the team"), 403, "api.context.permissions.app_error"),
        (post(api, token, "a" * 26, "no such channel"), 403, "api.context.permissions.app_error"),
        (post(api, place["owner"].token, archived["id"], "archived"), 400,
         "api.post.create_post.can_not_post_to_deleted.error"),
        (post(api, token, channel_id, "system", type="system_join_channel"), 400,
         "api.context.invalid_param.app_error"),
        (post(api, token, channel_id, "props", props=[1]), 400, "api.context.invalid_body_param.app_error"),
        (api.post("/api/v4/posts", "not an object", token=token), 400, "api.context.invalid_body_param.app_error"),
        (post(api, None, channel_id, "nobody"), 401, "api.context.session_expired.app_error"),
    ]
    for answer, status, error_id in cases:
        assert (answer.status, answer.error_id) == (status, error_id), answer.body


def test_patch_and_delete_own_posts_not_others(api, place, credential):
    member, owner = place["member"], place["owner"]
    channel_id = place["channel"]["id"]
    made = post(api, credential(member), channel_id, "first words", props={"k": "v"}).json
    patched = api.put(f"/api/v4/posts/{made['id']}/patch", {"message": "second words", "props": {"k": "w"}},
                      token=credential(member))
    assert patched.status == 200
    assert patched.json["message"] == "second words" and patched.json["edit_at"] > 0
    assert patched.json["props"]["k"] == "w"
    assert (patched.json["props"].get("from_oauth_app") == "true") == (made["props"].get("from_oauth_app") == "true")
    # A team admin may delete others' posts (team_admin's delete_others_posts) but not edit them.
    others = api.put(f"/api/v4/posts/{made['id']}/patch", {"message": "not mine"}, token=credential(owner))
    assert (others.status, others.error_id) == (403, "api.context.permissions.app_error")
    too_long = api.put(f"/api/v4/posts/{made['id']}/patch", {"message": "x" * 16384}, token=credential(member))
    assert (too_long.status, too_long.error_id) == (400, "model.post.is_valid.message_length.app_error")
    root = post(api, credential(owner), channel_id, "thread").json
    reply = post(api, credential(member), channel_id, "in thread", root_id=root["id"]).json
    refused = api.request("DELETE", f"/api/v4/posts/{root['id']}", token=credential(member))
    assert (refused.status, refused.error_id) == (403, "api.context.permissions.app_error")
    assert api.request("DELETE", f"/api/v4/posts/{root['id']}", token=credential(owner)).status == 200
    for post_id in (root["id"], reply["id"]):  # the thread went with its root
        gone = api.get(f"/api/v4/posts/{post_id}", token=credential(owner))
        assert (gone.status, gone.error_id) == (404, "app.post.get.app_error")
    assert api.request("DELETE", f"/api/v4/posts/{made['id']}", token=credential(member)).status == 200


def test_reading_needs_the_channel(api, place, credential, new_user):
    stranger = new_user()
    made = post(api, place["owner"].token, place["channel"]["id"], "members only").json
    for path in (f"/api/v4/posts/{made['id']}", f"/api/v4/channels/{place['channel']['id']}/posts"):
        reply = api.get(path, token=credential(stranger))
        assert (reply.status, reply.error_id) == (403, "api.context.permissions.app_error"), path


def test_a_channels_posts_page_by_page_with_mattermosts_cursors(api, place, credential):
    token = credential(place["owner"])
    channel = new_channel(api, token, place["team"]["id"])
    ids = [post(api, token, channel["id"], f"message {n}").json["id"] for n in range(5)]  # oldest first
    base = f"/api/v4/channels/{channel['id']}/posts"
    first = api.get(base + "?per_page=2", token=token).json
    assert set(first) >= {"order", "posts", "next_post_id", "prev_post_id"}
    assert first["order"] == [ids[4], ids[3]] and set(first["posts"]) == {ids[4], ids[3]}
    assert (first["next_post_id"], first["prev_post_id"]) == ("", ids[2])
    second = api.get(base + "?per_page=2&page=1", token=token).json
    assert second["order"] == [ids[2], ids[1]]
    assert (second["next_post_id"], second["prev_post_id"]) == (ids[3], ids[0])
    before = api.get(base + f"?before={ids[2]}&per_page=10", token=token).json
    assert before["order"] == [ids[1], ids[0]] and (before["next_post_id"], before["prev_post_id"]) == (ids[2], "")
    after = api.get(base + f"?after={ids[1]}&per_page=2", token=token).json
    assert after["order"] == [ids[3], ids[2]] and (after["next_post_id"], after["prev_post_id"]) == (ids[4], ids[1])
    past_the_end = api.get(base + "?page=1000000&per_page=200", token=token).json
    assert past_the_end["order"] == [] and past_the_end["posts"] == {}
    # since: what changed after a time, deleted posts included (as Mattermost answers, so clients learn of them).
    created = api.get(f"/api/v4/posts/{ids[3]}", token=token).json["create_at"]
    assert api.request("DELETE", f"/api/v4/posts/{ids[4]}", token=token).status == 200
    since = api.get(base + f"?since={created}", token=token).json
    assert since["order"] == [ids[4]] and since["posts"][ids[4]]["delete_at"] > 0
    assert since["posts"][ids[4]]["message"] == ""
    for query, name in (("after=bad", "after"), ("before=bad", "before"), ("since=1.5", "since"),
                        ("since=99999999999999999999", "since")):
        reply = api.get(base + "?" + query, token=token)
        assert (reply.status, reply.error_id) == (400, "api.context.invalid_body_param.app_error"), query
        assert name in reply.json["message"]
    lenient = api.get(base + "?page=-1&per_page=abc", token=token)  # Mattermost reads these as the defaults
    assert lenient.status == 200 and lenient.json["order"][0] == ids[3]


def test_replies_come_with_their_roots(api, place):
    token = place["owner"].token
    channel = new_channel(api, token, place["team"]["id"])
    root = post(api, token, channel["id"], "root").json
    for n in range(3):
        post(api, token, channel["id"], f"reply {n}", root_id=root["id"])
    page = api.get(f"/api/v4/channels/{channel['id']}/posts?per_page=2", token=token).json
    assert len(page["order"]) == 2 and root["id"] not in page["order"] and root["id"] in page["posts"]


def test_direct_channel_posts(api, new_user, credential):
    alice, bob, carol = new_user(), new_user(), new_user()
    channel = api.post("/api/v4/channels/direct", [alice.id, bob.id], token=credential(alice)).json
    assert post(api, credential(alice), channel["id"], "hi bob").status == 201
    seen = api.get(f"/api/v4/channels/{channel['id']}/posts", token=credential(bob)).json
    assert [p["message"] for p in seen["posts"].values()] == ["hi bob"]
    assert post(api, credential(carol), channel["id"], "let me in").status == 403


def test_a_posts_thread_is_its_root_and_every_reply(api, place, credential, new_user):
    token = credential(place["member"])
    channel_id = place["channel"]["id"]
    root = post(api, token, channel_id, "thread root").json
    replies = [post(api, token, channel_id, f"answer {n}", root_id=root["id"]).json for n in range(2)]
    post(api, token, channel_id, "not in the thread")
    for start in (root["id"], replies[0]["id"]):
        thread = api.get(f"/api/v4/posts/{start}/thread", token=token)
        assert thread.status == 200
        assert thread.json["order"] == [replies[1]["id"], replies[0]["id"], root["id"]]
        assert set(thread.json["posts"]) == {root["id"], replies[0]["id"], replies[1]["id"]}
    refused = api.get(f"/api/v4/posts/{root['id']}/thread", token=credential(new_user()))
    assert (refused.status, refused.error_id) == (403, "api.context.permissions.app_error")
    missing = api.get("/api/v4/posts/" + "a" * 26 + "/thread", token=token)
    assert (missing.status, missing.error_id) == (404, "app.post.get.app_error")

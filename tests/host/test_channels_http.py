"""API v4 channels over HTTP against a launched host, with a host session and with an OAuth access token:
public, private and direct channels, members, Mattermost's errors and permission checks (api4/channel.go)."""
from __future__ import annotations

import itertools

from tests.host.test_teams_http import new_team

_names = itertools.count(1)


def new_channel(api, token: str, team_id: str, type_: str = "O") -> dict:
    n = next(_names)
    reply = api.post("/api/v4/channels", {"team_id": team_id, "name": f"channel-{n}", "display_name": f"Channel {n}",
                                          "type": type_}, token=token)
    assert reply.status == 201, reply.body
    return reply.json


def join(api, token: str, team_id: str, user_id: str) -> None:
    assert api.post(f"/api/v4/teams/{team_id}/members", {"user_id": user_id}, token=token).status == 201


def test_public_and_private_channels_are_created_read_and_listed(api, new_user, credential):
    user = new_user()
    token = credential(user)
    team = new_team(api, token)
    public, private = new_channel(api, token, team["id"]), new_channel(api, token, team["id"], "P")
    assert set(public) >= {"id", "create_at", "update_at", "delete_at", "team_id", "type", "display_name", "name",
                           "header", "purpose", "last_post_at", "total_msg_count", "creator_id"}
    assert (public["type"], private["type"], public["creator_id"]) == ("O", "P", user.id)
    by_id = api.get(f"/api/v4/channels/{private['id']}", token=token)
    by_name = api.get(f"/api/v4/teams/{team['id']}/channels/name/{private['name']}", token=token)
    assert by_id.json["id"] == by_name.json["id"] == private["id"]
    mine = {c["id"] for c in api.get(f"/api/v4/users/me/teams/{team['id']}/channels", token=token).json}
    assert {public["id"], private["id"]} <= mine
    member = api.get(f"/api/v4/channels/{private['id']}/members/{user.id}", token=token)
    assert member.status == 200 and member.json["roles"] == "channel_user channel_admin"


def test_a_team_member_reads_public_channels_but_not_private_ones(api, new_user, credential):
    owner, member, stranger = new_user(), new_user(), new_user()
    team = new_team(api, credential(owner))
    join(api, credential(owner), team["id"], member.id)
    public = new_channel(api, credential(owner), team["id"])
    private = new_channel(api, credential(owner), team["id"], "P")
    token = credential(member)
    assert api.get(f"/api/v4/channels/{public['id']}", token=token).status == 200
    assert api.get(f"/api/v4/channels/{private['id']}", token=token).status == 403
    hidden = api.get(f"/api/v4/teams/{team['id']}/channels/name/{private['name']}", token=token)
    assert (hidden.status, hidden.error_id) == (404, "app.channel.get_by_name.missing.app_error")
    for path in (f"/api/v4/channels/{public['id']}", f"/api/v4/users/{member.id}/teams/{team['id']}/channels"):
        reply = api.get(path, token=credential(stranger))
        assert (reply.status, reply.error_id) == (403, "api.context.permissions.app_error"), path
    assert api.get(f"/api/v4/users/{owner.id}/teams/{team['id']}/channels", token=token).status == 403


def test_channel_creation_errors_and_permissions(api, new_user, credential):
    user, stranger = new_user(), new_user()
    token = credential(user)
    team = new_team(api, token)
    taken = new_channel(api, token, team["id"])
    cases = [
        ({"team_id": team["id"], "name": taken["name"], "display_name": "X", "type": "O"}, 400,
         "store.sql_channel.save_channel.exists.app_error"),
        ({"team_id": team["id"], "name": "x", "display_name": "X", "type": "O"}, 400,
         "model.channel.is_valid.2_or_more.app_error"),
        ({"team_id": team["id"], "name": "fine-name", "display_name": "", "type": "O"}, 400,
         "model.channel.is_valid.display_name.app_error"),
        ({"team_id": team["id"], "name": "fine-name", "display_name": "X", "type": "Q"}, 400,
         "model.channel.is_valid.type.app_error"),
        ({"team_id": team["id"], "name": "fine-name", "display_name": "X", "type": "D"}, 400,
         "api.channel.create_channel.direct_channel.app_error"),
    ]
    for body, status, error_id in cases:
        reply = api.post("/api/v4/channels", body, token=token)
        assert (reply.status, reply.error_id) == (status, error_id), reply.body
    outsider = api.post("/api/v4/channels", {"team_id": team["id"], "name": "not-mine", "display_name": "X",
                                             "type": "O"}, token=credential(stranger))
    assert (outsider.status, outsider.error_id) == (403, "api.context.permissions.app_error")
    missing = api.get("/api/v4/channels/" + "a" * 26, token=token)
    assert (missing.status, missing.error_id) == (404, "app.channel.get.existing.app_error")


def test_direct_channels_are_one_per_pair(api, new_user, credential):
    alice, bob, carol = new_user(), new_user(), new_user()
    first = api.post("/api/v4/channels/direct", [alice.id, bob.id], token=credential(alice))
    again = api.post("/api/v4/channels/direct", [bob.id, alice.id], token=credential(bob))
    assert first.status == again.status == 201
    assert first.json["id"] == again.json["id"] and first.json["type"] == "D" and first.json["team_id"] == ""
    assert first.json["name"] == "__".join(sorted((alice.id, bob.id)))
    members = api.get(f"/api/v4/channels/{first.json['id']}/members", token=credential(bob)).json
    assert {m["user_id"] for m in members} == {alice.id, bob.id}
    assert api.get(f"/api/v4/channels/{first.json['id']}", token=credential(carol)).status == 403
    cases = [
        (api.post("/api/v4/channels/direct", [bob.id, carol.id], token=credential(alice)), 403,
         "api.context.permissions.app_error"),
        (api.post("/api/v4/channels/direct", [alice.id], token=credential(alice)), 400,
         "api.context.invalid_body_param.app_error"),
        (api.post("/api/v4/channels/direct", [alice.id, "nope"], token=credential(alice)), 400,
         "api.context.invalid_body_param.app_error"),
        (api.post("/api/v4/channels/direct", [alice.id, "a" * 26], token=credential(alice)), 400,
         "api.channel.create_direct_channel.invalid_user.app_error"),
        (api.post("/api/v4/channels/direct", {"a": 1}, token=credential(alice)), 400,
         "api.context.invalid_body_param.app_error"),
    ]
    for reply, status, error_id in cases:
        assert (reply.status, reply.error_id) == (status, error_id), reply.body


def test_members_join_leave_and_are_managed(api, new_user, credential):
    owner, member, outsider = new_user(), new_user(), new_user()
    team = new_team(api, credential(owner))
    join(api, credential(owner), team["id"], member.id)
    public = new_channel(api, credential(owner), team["id"])
    private = new_channel(api, credential(owner), team["id"], "P")
    token = credential(member)
    joined = api.post(f"/api/v4/channels/{public['id']}/members", {"user_id": member.id}, token=token)
    assert joined.status == 201 and joined.json["roles"] == "channel_user"
    refused = api.post(f"/api/v4/channels/{private['id']}/members", {"user_id": member.id}, token=token)
    assert (refused.status, refused.error_id) == (403, "api.context.permissions.app_error")
    added = api.post(f"/api/v4/channels/{private['id']}/members", {"user_id": member.id},
                     token=credential(owner))
    assert added.status == 201
    not_in_team = api.post(f"/api/v4/channels/{public['id']}/members", {"user_id": outsider.id},
                           token=credential(owner))
    assert (not_in_team.status, not_in_team.error_id) == (403, "api.channel.add_user.to.channel.failed.deleted.app_error")
    listed = api.get(f"/api/v4/channels/{private['id']}/members", token=token).json
    assert {m["user_id"] for m in listed} == {owner.id, member.id}
    assert api.request("DELETE", f"/api/v4/channels/{private['id']}/members/me", token=token).status == 200
    assert api.get(f"/api/v4/channels/{private['id']}", token=token).status == 403
    town_square = api.get(f"/api/v4/teams/{team['id']}/channels/name/town-square", token=token).json
    stays = api.request("DELETE", f"/api/v4/channels/{town_square['id']}/members/me", token=token)
    assert (stays.status, stays.error_id) == (400, "api.channel.leave.default.app_error")
    gone = api.request("DELETE", f"/api/v4/channels/{private['id']}/members/{member.id}", token=credential(owner))
    assert (gone.status, gone.error_id) == (404, "app.channel.get_member.missing.app_error")


def test_archiving_a_channel(api, new_user, credential):
    owner, member = new_user(), new_user()
    team = new_team(api, credential(owner))
    join(api, credential(owner), team["id"], member.id)
    channel = new_channel(api, credential(owner), team["id"], "P")
    assert api.request("DELETE", f"/api/v4/channels/{channel['id']}", token=credential(member)).status == 403
    assert api.request("DELETE", f"/api/v4/channels/{channel['id']}", token=credential(owner)).status == 200
    assert api.get(f"/api/v4/channels/{channel['id']}", token=credential(owner)).json["delete_at"] > 0
    again = api.request("DELETE", f"/api/v4/channels/{channel['id']}", token=credential(owner))
    assert (again.status, again.error_id) == (400, "api.channel.delete_channel.deleted.app_error")
    by_name = f"/api/v4/teams/{team['id']}/channels/name/{channel['name']}"
    assert api.get(by_name, token=credential(owner)).status == 404
    assert api.get(by_name + "?include_deleted=true", token=credential(owner)).status == 200
    town_square = api.get(f"/api/v4/teams/{team['id']}/channels/name/town-square", token=credential(owner)).json
    kept = api.request("DELETE", f"/api/v4/channels/{town_square['id']}", token=credential(owner))
    assert (kept.status, kept.error_id) == (400, "api.channel.delete_channel.cannot.app_error")
    direct = api.post("/api/v4/channels/direct", [owner.id, member.id], token=credential(owner)).json
    refused = api.request("DELETE", f"/api/v4/channels/{direct['id']}", token=credential(owner))
    assert (refused.status, refused.error_id) == (400, "api.channel.delete_channel.type.invalid")


def test_a_users_channels_in_every_team(api, new_user, credential):
    user, friend = new_user(), new_user()
    token = credential(user)
    first, second = new_team(api, token), new_team(api, token)
    private = new_channel(api, token, second["id"], "P")
    direct = api.post("/api/v4/channels/direct", [user.id, friend.id], token=token).json
    every = api.get("/api/v4/users/me/channels", token=token)
    assert every.status == 200
    ids = {c["id"] for c in every.json}
    assert {private["id"], direct["id"]} <= ids and len(ids) == 6  # two default channels per team, and those
    assert {c["team_id"] for c in every.json} == {first["id"], second["id"], ""}
    refused = api.get(f"/api/v4/users/{user.id}/channels", token=credential(friend))
    assert (refused.status, refused.error_id) == (403, "api.context.permissions.app_error")

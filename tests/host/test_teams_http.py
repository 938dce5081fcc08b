"""API v4 teams over HTTP against a launched host, each call with a host session and with an OAuth access token:
Mattermost's JSON, statuses, error ids and permission checks (api4/team.go)."""
from __future__ import annotations

import itertools

import pytest

_names = itertools.count(1)


def new_team(api, token: str, **fields) -> dict:
    n = next(_names)
    body = {"name": f"team-{n}", "display_name": f"Team {n}", "type": "O", **fields}
    reply = api.post("/api/v4/teams", body, token=token)
    assert reply.status == 201, reply.body
    return reply.json


def test_a_new_team_has_its_creator_as_team_admin_and_mattermosts_default_channels(api, new_user, credential):
    user = new_user()
    token = credential(user)
    team = new_team(api, token, description="for tests")
    assert set(team) >= {"id", "create_at", "update_at", "delete_at", "display_name", "name", "description",
                         "email", "type", "company_name", "allowed_domains", "invite_id", "allow_open_invite"}
    member = api.get(f"/api/v4/teams/{team['id']}/members/{user.id}", token=token)
    assert member.status == 200
    assert member.json["roles"] == "team_user team_admin" and member.json["scheme_admin"] is True
    channels = api.get(f"/api/v4/users/me/teams/{team['id']}/channels", token=token)
    assert channels.status == 200
    assert sorted(c["name"] for c in channels.json) == ["off-topic", "town-square"]
    assert {c["type"] for c in channels.json} == {"O"}


def test_get_team_by_id_and_name_and_the_users_teams(api, new_user, credential):
    user = new_user()
    token = credential(user)
    team = new_team(api, token)
    by_id = api.get(f"/api/v4/teams/{team['id']}", token=token)
    by_name = api.get(f"/api/v4/teams/name/{team['name']}", token=token)
    assert by_id.status == by_name.status == 200
    assert by_id.json["id"] == by_name.json["id"] == team["id"]
    mine = api.get("/api/v4/users/me/teams", token=token)
    assert [t["id"] for t in mine.json] == [team["id"]]
    assert api.get(f"/api/v4/users/{user.id}/teams", token=token).json == mine.json
    members = api.get("/api/v4/users/me/teams/members", token=token)
    assert [m["team_id"] for m in members.json] == [team["id"]]


def test_team_errors_are_mattermosts(api, new_user, credential):
    user = new_user()
    token = credential(user)
    team = new_team(api, token)
    cases = [
        (api.post("/api/v4/teams", {"name": team["name"], "display_name": "Again", "type": "O"}, token=token),
         400, "app.team.save.existing.app_error"),
        (api.post("/api/v4/teams", {"name": "api", "display_name": "Reserved", "type": "O"}, token=token),
         400, "model.team.is_valid.reserved.app_error"),
        (api.post("/api/v4/teams", {"name": "Bad Name!", "display_name": "X", "type": "O"}, token=token),
         400, "model.team.is_valid.characters.app_error"),
        (api.post("/api/v4/teams", {"name": "no-display", "display_name": "", "type": "O"}, token=token),
         400, "model.team.is_valid.name.app_error"),
        (api.post("/api/v4/teams", {"name": "bad-type", "display_name": "X", "type": "Z"}, token=token),
         400, "model.team.is_valid.type.app_error"),
        (api.post("/api/v4/teams", [1], token=token), 400, "api.context.invalid_body_param.app_error"),
        (api.get("/api/v4/teams/" + "a" * 26, token=token), 404, "app.team.get.find.app_error"),
        (api.get("/api/v4/teams/not-an-id", token=token), 400, "api.context.invalid_url_param.app_error"),
        (api.get("/api/v4/teams/name/no-such-team", token=token), 404, "app.team.get_by_name.missing.app_error"),
        (api.get(f"/api/v4/teams/{team['id']}/members/" + "a" * 26, token=token), 404,
         "app.team.get_member.missing.app_error"),
    ]
    for reply, status, error_id in cases:
        assert (reply.status, reply.error_id) == (status, error_id), reply.body
    assert api.post("/api/v4/teams", {"name": "x-y", "display_name": "X", "type": "O"}).status == 401


def test_a_stranger_cannot_see_an_invite_only_team_nor_its_members(api, new_user, credential):
    owner, stranger = new_user(), new_user()
    team = new_team(api, credential(owner))
    token = credential(stranger)
    for path in (f"/api/v4/teams/{team['id']}", f"/api/v4/teams/name/{team['name']}",
                 f"/api/v4/teams/{team['id']}/members", f"/api/v4/teams/{team['id']}/members/{owner.id}"):
        reply = api.get(path, token=token)
        assert (reply.status, reply.error_id) == (403, "api.context.permissions.app_error"), path
    assert api.get(f"/api/v4/users/{owner.id}/teams", token=token).status == 403
    # An open team that allows open invites can be seen by anyone, without its invite id.
    open_team = new_team(api, credential(owner), allow_open_invite=True)
    seen = api.get(f"/api/v4/teams/{open_team['id']}", token=token)
    assert seen.status == 200 and seen.json["invite_id"] == ""
    assert api.get(f"/api/v4/teams/{open_team['id']}", token=credential(owner)).json["invite_id"]


def test_members_are_added_listed_given_roles_and_removed(api, new_user, credential):
    owner, other, third = new_user(), new_user(), new_user()
    token = credential(owner)
    team = new_team(api, token)
    added = api.post(f"/api/v4/teams/{team['id']}/members", {"team_id": team["id"], "user_id": other.id},
                     token=token)
    assert added.status == 201 and added.json["roles"] == "team_user" and added.json["scheme_admin"] is False
    listed = api.get(f"/api/v4/teams/{team['id']}/members?per_page=1&page=0", token=token).json
    assert len(listed) == 1
    everyone = api.get(f"/api/v4/teams/{team['id']}/members", token=token).json
    assert {m["user_id"] for m in everyone} == {owner.id, other.id}
    # The new member joined the default channels; as a team_user they may add members (Mattermost's team_user
    # has add_user_to_team), not remove them.
    names = {c["name"] for c in api.get(f"/api/v4/users/me/teams/{team['id']}/channels",
                                        token=credential(other)).json}
    assert names == {"town-square", "off-topic"}
    assert api.post(f"/api/v4/teams/{team['id']}/members", {"user_id": third.id},
                    token=credential(other)).status == 201
    refused = api.request("DELETE", f"/api/v4/teams/{team['id']}/members/{third.id}", token=credential(other))
    assert (refused.status, refused.error_id) == (403, "api.context.permissions.app_error")
    # The team admin makes them admin; then they may remove.
    promoted = api.put(f"/api/v4/teams/{team['id']}/members/{other.id}/roles", {"roles": "team_user team_admin"},
                       token=token)
    assert promoted.status == 200 and promoted.json == {"status": "OK"}
    assert api.request("DELETE", f"/api/v4/teams/{team['id']}/members/{third.id}",
                       token=credential(other)).status == 200
    assert api.post(f"/api/v4/teams/{team['id']}/members", {"user_id": third.id}, token=token).status == 201
    bad_roles = api.put(f"/api/v4/teams/{team['id']}/members/{other.id}/roles", {"roles": "system_admin"},
                        token=token)
    assert (bad_roles.status, bad_roles.error_id) == (400, "api.context.invalid_body_param.app_error")
    # Leaving is always allowed; a member who left is a member no more, and their channels went with the team.
    left = api.request("DELETE", f"/api/v4/teams/{team['id']}/members/me", token=credential(third))
    assert left.status == 200
    assert api.get(f"/api/v4/users/{third.id}/teams", token=credential(third)).json == []
    assert api.get(f"/api/v4/teams/{team['id']}/members/{third.id}", token=token).json["delete_at"] > 0
    again = api.request("DELETE", f"/api/v4/teams/{team['id']}/members/{third.id}", token=token)
    assert (again.status, again.error_id) == (404, "app.team.get_member.missing.app_error")


def test_joining_yourself_needs_an_open_team(api, new_user, credential):
    owner, joiner = new_user(), new_user()
    closed, opened = new_team(api, credential(owner)), new_team(api, credential(owner), allow_open_invite=True)
    token = credential(joiner)
    refused = api.post(f"/api/v4/teams/{closed['id']}/members", {"user_id": joiner.id}, token=token)
    assert (refused.status, refused.error_id) == (403, "api.context.permissions.app_error")
    joined = api.post(f"/api/v4/teams/{opened['id']}/members", {"user_id": joiner.id}, token=token)
    assert joined.status == 201 and joined.json["user_id"] == joiner.id


def test_team_creation_needs_create_team(api, admin, new_user):
    role = api.get("/api/v4/roles/name/system_user", token=admin.token).json
    user = new_user()
    without = [p for p in role["permissions"] if p != "create_team"]
    assert api.put(f"/api/v4/roles/{role['id']}/patch", {"permissions": without}, token=admin.token).status == 200
    try:
        refused = api.post("/api/v4/teams", {"name": "not-allowed", "display_name": "No", "type": "O"},
                           token=user.token)
        assert (refused.status, refused.error_id) == (403, "api.team.is_team_creation_allowed.disabled.app_error")
    finally:
        assert api.put(f"/api/v4/roles/{role['id']}/patch", {"permissions": role["permissions"]},
                       token=admin.token).status == 200


@pytest.mark.parametrize("path", ["/api/v4/teams/{team}", "/api/v4/teams/{team}/members",
                                  "/api/v4/users/me/teams", "/api/v4/users/me/teams/{team}/channels"])
def test_team_routes_need_a_caller(api, admin, path):
    team = new_team(api, admin.token)
    reply = api.get(path.format(team=team["id"]))
    assert (reply.status, reply.error_id) == (401, "api.context.session_expired.app_error")

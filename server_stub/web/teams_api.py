"""API v4 teams: create, get by id or name, a user's teams, members (list, get, add, remove, roles). Mattermost's
paths, bodies, statuses, error ids and permission checks (server/channels/api4/team.go)."""
from __future__ import annotations

import logging

from aiohttp import web

from .. import permissions as perms
from ..accounts import AccountError, is_valid_id
from ..accounts.teams import TEAM_OPEN, Team, missing_team
from . import auth
from .api_params import account_error, accounts_of, body, id_param, may_in_team, paging
from .body import get_bool, get_str, invalid_body_param, invalid_url_param
from .responses import AppErrorResponse, json_response, status_ok

log = logging.getLogger("server_stub.teams")
TEAM_ROLES = frozenset({perms.TEAM_USER_ROLE, perms.TEAM_ADMIN_ROLE})


def _missing_member() -> AppErrorResponse:
    return AppErrorResponse(404, "app.team.get_member.missing.app_error",
                            "No team member found for that user ID and team ID.")


def team_json(request: web.Request, session: auth.Session, team: Team) -> dict:
    """Email and invite id only for whoever may manage the team (Mattermost's SanitizeTeam)."""
    return team.to_json(sanitize=not may_in_team(request, session, team.id, "manage_team"))


def _team_or_404(request: web.Request, team_id: str) -> Team:
    team = accounts_of(request).get_team(team_id)
    if team is None:
        raise account_error(missing_team())
    return team


def _check_view(request: web.Request, session: auth.Session, team: Team) -> None:
    """Anyone may see an open team that allows open invites; any other needs view_team in it."""
    if not (team.allow_open_invite and team.type == TEAM_OPEN) and \
            not may_in_team(request, session, team.id, perms.VIEW_TEAM):
        raise auth.permission_error()


async def create_team(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    data = await body(request, "team")
    if not isinstance(data, dict):
        raise invalid_body_param("team")
    fields = {key: get_str(data, key) for key in ("name", "display_name", "type", "description", "email",
                                                   "company_name")}
    allow_open_invite = get_bool(data, "allow_open_invite")
    if not session.has_permission(perms.CREATE_TEAM):
        raise AppErrorResponse(403, "api.team.is_team_creation_allowed.disabled.app_error",
                               "Team creation has been disabled. Please ask your System Administrator for details.")
    try:
        team = accounts_of(request).create_team(
            session.user_id, fields["name"], fields["display_name"], fields["type"], fields["description"],
            fields["email"].lower(), fields["company_name"], allow_open_invite)
    except AccountError as exc:
        raise account_error(exc) from None
    log.info("team created", extra={"team_id": team.id, "by": session.user_id})
    return json_response(request, team.to_json(sanitize=False), status=201)


async def get_team(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    team = _team_or_404(request, id_param(request, "team_id"))
    _check_view(request, session, team)
    return json_response(request, team_json(request, session, team))


async def get_team_by_name(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    name = request.match_info["team_name"]
    if not 2 <= len(name) <= 64:
        raise invalid_url_param("team_name")
    team = accounts_of(request).get_team_by_name(name)
    if team is None:
        raise AppErrorResponse(404, "app.team.get_by_name.missing.app_error", "Unable to find the existing team.")
    _check_view(request, session, team)
    return json_response(request, team_json(request, session, team))


def _check_user_teams(session: auth.Session, user_id: str) -> None:
    if user_id != session.user_id and not session.has_permission(perms.READ_OTHER_USERS_TEAMS):
        raise auth.permission_error()


async def get_teams_for_user(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    user_id = id_param(request, "user_id", session)
    _check_user_teams(session, user_id)
    teams = accounts_of(request).teams_for_user(user_id)
    return json_response(request, [team_json(request, session, team) for team in teams])


async def get_team_members_for_user(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    user_id = id_param(request, "user_id", session)
    _check_user_teams(session, user_id)
    members = accounts_of(request).team_members_for_user(user_id)
    return json_response(request, [member.to_json() for member in members])


# --- members -----------------------------------------------------------------------------------------------------

async def get_team_members(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    team_id = id_param(request, "team_id")
    if not may_in_team(request, session, team_id, perms.VIEW_TEAM):
        raise auth.permission_error()
    offset, limit, _ = paging(request)
    members = accounts_of(request).team_members(team_id, offset, limit)
    return json_response(request, [member.to_json() for member in members])


async def get_team_member(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    team_id, user_id = id_param(request, "team_id"), id_param(request, "user_id", session)
    if not may_in_team(request, session, team_id, perms.VIEW_TEAM):
        raise auth.permission_error()
    member = accounts_of(request).get_team_member(team_id, user_id)
    if member is None:
        raise _missing_member()
    return json_response(request, member.to_json())


async def add_team_member(request: web.Request) -> web.Response:
    """Body {"team_id", "user_id"}. Joining yourself needs join_public_teams (an open team) or
    join_private_teams; adding someone else needs add_user_to_team in the team."""
    session = await auth.require_session(request)
    team_id = id_param(request, "team_id")
    data = await body(request, "team_member")
    if not isinstance(data, dict):
        raise invalid_body_param("team_member")
    user_id = get_str(data, "user_id")
    if not is_valid_id(user_id):
        raise invalid_body_param("user_id")
    accounts = accounts_of(request)
    if user_id == session.user_id:
        team = _team_or_404(request, team_id)
        needed = "join_public_teams" if team.allow_open_invite and team.type == TEAM_OPEN else "join_private_teams"
        if not session.has_permission(needed):
            raise auth.permission_error()
    else:
        if not may_in_team(request, session, team_id, perms.ADD_USER_TO_TEAM):
            raise auth.permission_error()
        _team_or_404(request, team_id)
    if accounts.get_user(user_id) is None:
        raise AppErrorResponse(404, "app.user.missing_account.const", "Unable to find the user.")
    member = accounts.add_team_member(team_id, user_id)
    log.info("team member added", extra={"team_id": team_id, "user_id": user_id, "by": session.user_id})
    return json_response(request, member.to_json(), status=201)


async def remove_team_member(request: web.Request) -> web.Response:
    """Leaving is always allowed; removing someone else needs remove_user_from_team in the team."""
    session = await auth.require_session(request)
    team_id, user_id = id_param(request, "team_id"), id_param(request, "user_id", session)
    if user_id != session.user_id and not may_in_team(request, session, team_id, perms.REMOVE_USER_FROM_TEAM):
        raise auth.permission_error()
    if not accounts_of(request).remove_team_member(team_id, user_id):
        raise _missing_member()
    log.info("team member removed", extra={"team_id": team_id, "user_id": user_id, "by": session.user_id})
    return status_ok(request)


async def update_team_member_roles(request: web.Request) -> web.Response:
    """Body {"roles": "team_user team_admin"}: manage_team_roles in the team."""
    session = await auth.require_session(request)
    team_id, user_id = id_param(request, "team_id"), id_param(request, "user_id", session)
    data = await body(request, "roles")
    if not isinstance(data, dict):
        raise invalid_body_param("roles")
    names = perms.split_roles(get_str(data, "roles", required=True))
    if perms.TEAM_USER_ROLE not in names or not set(names) <= TEAM_ROLES:
        raise invalid_body_param("roles")
    if not may_in_team(request, session, team_id, perms.MANAGE_TEAM_ROLES):
        raise auth.permission_error()
    if accounts_of(request).set_team_member_roles(team_id, user_id, " ".join(dict.fromkeys(names))) is None:
        raise _missing_member()
    log.info("team member roles changed", extra={"team_id": team_id, "user_id": user_id, "roles": names,
                                                 "by": session.user_id})
    return status_ok(request)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v4/teams", create_team)
    app.router.add_get("/api/v4/teams/name/{team_name}", get_team_by_name)
    app.router.add_get("/api/v4/teams/{team_id}", get_team)
    app.router.add_get("/api/v4/users/{user_id}/teams", get_teams_for_user)
    app.router.add_get("/api/v4/users/{user_id}/teams/members", get_team_members_for_user)
    app.router.add_get("/api/v4/teams/{team_id}/members", get_team_members)
    app.router.add_post("/api/v4/teams/{team_id}/members", add_team_member)
    app.router.add_get("/api/v4/teams/{team_id}/members/{user_id}", get_team_member)
    app.router.add_delete("/api/v4/teams/{team_id}/members/{user_id}", remove_team_member)
    app.router.add_put("/api/v4/teams/{team_id}/members/{user_id}/roles", update_team_member_roles)

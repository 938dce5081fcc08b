"""API v4 channels: create (public, private, direct), get by id or by name, archive, a user's channels in a team,
members (list, get, add, remove). Mattermost's paths, bodies, statuses, error ids and permission names
(server/channels/api4/channel.go)."""
from __future__ import annotations

import logging

from aiohttp import web

from .. import permissions as perms
from ..accounts import DIRECT, OPEN, PRIVATE, AccountError, Channel, is_valid_id
from ..accounts.channels import DEFAULT_CHANNEL, missing_channel
from ..accounts.teams import missing_team
from . import auth
from .api_params import (account_error, accounts_of, body, id_param, may_in_channel, may_in_team, may_read_channel,
                         paging)
from .body import get_str, invalid_body_param
from .responses import AppErrorResponse, json_response, status_ok

log = logging.getLogger("server_stub.channels")
_CREATE = {OPEN: perms.CREATE_PUBLIC_CHANNEL, PRIVATE: perms.CREATE_PRIVATE_CHANNEL}
_DELETE = {OPEN: perms.DELETE_PUBLIC_CHANNEL, PRIVATE: perms.DELETE_PRIVATE_CHANNEL}
_MANAGE_MEMBERS = {OPEN: perms.MANAGE_PUBLIC_CHANNEL_MEMBERS, PRIVATE: perms.MANAGE_PRIVATE_CHANNEL_MEMBERS}


def channel_or_404(request: web.Request, channel_id: str) -> Channel:
    channel = accounts_of(request).get_channel(channel_id)
    if channel is None:
        raise account_error(missing_channel())
    return channel


def _missing_member() -> AppErrorResponse:
    return AppErrorResponse(404, "app.channel.get_member.missing.app_error",
                            "No channel member found for that user ID and channel ID.")


def _parse_bool(text: str | None) -> bool:
    """Go's strconv.ParseBool, an error read as false (Mattermost's include_deleted)."""
    return (text or "") in ("1", "t", "T", "TRUE", "true", "True")


async def create_channel(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    data = await body(request, "channel")
    if not isinstance(data, dict):
        raise invalid_body_param("channel")
    fields = {key: get_str(data, key) for key in ("team_id", "name", "display_name", "type", "header", "purpose")}
    type_ = fields["type"]
    if type_ in (DIRECT, "G"):
        raise AppErrorResponse(400, "api.channel.create_channel.direct_channel.app_error",
                               "Must use createDirectChannel API service for direct message channel creation.")
    if type_ in _CREATE and not may_in_team(request, session, fields["team_id"], _CREATE[type_]):
        raise auth.permission_error()
    accounts = accounts_of(request)
    try:
        if type_ in _CREATE and accounts.get_team(fields["team_id"]) is None:
            raise missing_team()
        channel = accounts.create_channel(session.user_id, fields["team_id"], fields["name"],
                                          fields["display_name"], type_, fields["header"], fields["purpose"])
    except AccountError as exc:
        raise account_error(exc) from None
    log.info("channel created", extra={"channel_id": channel.id, "team_id": channel.team_id, "by": session.user_id})
    return json_response(request, channel.to_json(), status=201)


async def create_direct_channel(request: web.Request) -> web.Response:
    """Body [user_id, user_id]: the caller must be one of them (or manage the system), with create_direct_channel;
    the same channel comes back for the same pair."""
    session = await auth.require_session(request)
    user_ids = await body(request, "user_ids")
    if not isinstance(user_ids, list) or not all(isinstance(uid, str) for uid in user_ids):
        raise invalid_body_param("user_ids")
    if not all(is_valid_id(uid) for uid in user_ids):
        raise invalid_body_param("user_id")
    if session.user_id not in user_ids and not session.has_permission(perms.MANAGE_SYSTEM):
        raise auth.permission_error()
    if len(user_ids) != 2:
        raise invalid_body_param("user_ids")
    if not session.has_permission(perms.CREATE_DIRECT_CHANNEL):
        raise auth.permission_error()
    accounts = accounts_of(request)
    if any(accounts.get_user(uid) is None for uid in set(user_ids)):
        raise AppErrorResponse(400, "api.channel.create_direct_channel.invalid_user.app_error",
                               "Invalid user ID for direct channel creation.")
    channel = accounts.direct_channel(*user_ids)
    return json_response(request, channel.to_json(), status=201)


async def get_channel(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    channel = channel_or_404(request, id_param(request, "channel_id"))
    if not may_read_channel(request, session, channel) and \
            not may_in_channel(request, session, channel, perms.READ_CHANNEL):
        raise auth.permission_error()
    return json_response(request, channel.to_json())


async def get_channel_by_name(request: web.Request) -> web.Response:
    """By team id or team name. A channel the caller cannot read is answered as missing, so that its name is not
    confirmed."""
    session = await auth.require_session(request)
    accounts = accounts_of(request)
    if "team_name" in request.match_info:
        team = accounts.get_team_by_name(request.match_info["team_name"])
        team_id = team.id if team is not None else ""
    else:
        team_id = id_param(request, "team_id")
    channel = accounts.get_channel_by_name(team_id, request.match_info["channel_name"]) if team_id else None
    if channel is not None and channel.delete_at and not _parse_bool(request.query.get("include_deleted")):
        channel = None
    if channel is None or not may_read_channel(request, session, channel):
        raise AppErrorResponse(404, "app.channel.get_by_name.missing.app_error", "Unable to find the existing "
                               "channel.")
    return json_response(request, channel.to_json())


async def get_channels_for_team_for_user(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    user_id, team_id = id_param(request, "user_id", session), id_param(request, "team_id")
    if user_id != session.user_id and not session.has_permission(perms.EDIT_OTHER_USERS):
        raise auth.permission_error()
    if not may_in_team(request, session, team_id, perms.VIEW_TEAM):
        raise auth.permission_error()
    channels = accounts_of(request).channels_for_user(user_id, team_id,
                                                      _parse_bool(request.query.get("include_deleted")))
    return json_response(request, [channel.to_json() for channel in channels])


async def get_channels_for_user(request: web.Request) -> web.Response:
    """Every channel of the user, in all their teams, and their direct channels."""
    session = await auth.require_session(request)
    user_id = id_param(request, "user_id", session)
    if user_id != session.user_id and not session.has_permission(perms.EDIT_OTHER_USERS):
        raise auth.permission_error()
    channels = accounts_of(request).channels_for_user(user_id, None, _parse_bool(request.query.get("include_deleted")))
    return json_response(request, [channel.to_json() for channel in channels])


async def delete_channel(request: web.Request) -> web.Response:
    """Archive a public or private channel (delete_public_channel / delete_private_channel in it)."""
    session = await auth.require_session(request)
    channel = channel_or_404(request, id_param(request, "channel_id"))
    if channel.type not in _DELETE:
        raise AppErrorResponse(400, "api.channel.delete_channel.type.invalid",
                               "Cannot delete direct or group message channels.")
    if not may_in_channel(request, session, channel, _DELETE[channel.type]):
        raise auth.permission_error()
    if channel.name == DEFAULT_CHANNEL:
        raise AppErrorResponse(400, "api.channel.delete_channel.cannot.app_error",
                               f"Unable to delete the default channel {DEFAULT_CHANNEL}.")
    if not accounts_of(request).archive_channel(channel.id):
        raise AppErrorResponse(400, "api.channel.delete_channel.deleted.app_error",
                               "The channel has been archived or deleted.")
    log.info("channel archived", extra={"channel_id": channel.id, "by": session.user_id})
    return status_ok(request)


# --- members -----------------------------------------------------------------------------------------------------

async def get_channel_members(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    channel = channel_or_404(request, id_param(request, "channel_id"))
    if not may_in_channel(request, session, channel, perms.READ_CHANNEL):
        raise auth.permission_error()
    offset, limit, _ = paging(request)
    members = accounts_of(request).channel_members(channel.id, offset, limit)
    return json_response(request, [member.to_json() for member in members])


async def get_channel_member(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    channel = channel_or_404(request, id_param(request, "channel_id"))
    user_id = id_param(request, "user_id", session)
    if not may_in_channel(request, session, channel, perms.READ_CHANNEL):
        raise auth.permission_error()
    member = accounts_of(request).get_channel_member(channel.id, user_id)
    if member is None:
        raise _missing_member()
    return json_response(request, member.to_json())


async def add_channel_member(request: web.Request) -> web.Response:
    """Body {"user_id"}. Joining a public channel yourself needs join_public_channels in its team; adding someone
    needs manage_public_channel_members (private: manage_private_channel_members) in the channel. The user must
    be a member of the channel's team."""
    session = await auth.require_session(request)
    channel = channel_or_404(request, id_param(request, "channel_id"))
    data = await body(request, "channel_member")
    if not isinstance(data, dict):
        raise invalid_body_param("channel_member")
    user_id = get_str(data, "user_id")
    if not is_valid_id(user_id):
        raise invalid_body_param("user_id")
    if channel.type not in _MANAGE_MEMBERS:
        raise AppErrorResponse(400, "api.channel.add_user_to_channel.type.app_error",
                               "Can not add user to this channel type.")
    if channel.type == OPEN and user_id == session.user_id:
        allowed = may_in_team(request, session, channel.team_id, perms.JOIN_PUBLIC_CHANNELS)
    else:
        allowed = may_in_channel(request, session, channel, _MANAGE_MEMBERS[channel.type])
    if not allowed:
        raise auth.permission_error()
    if channel.delete_at:
        raise AppErrorResponse(400, "api.channel.add_user.to.channel.failed.deleted.app_error",
                               "Failed to add user to channel because the channel has been archived.")
    accounts = accounts_of(request)
    if accounts.get_user(user_id) is None:
        raise AppErrorResponse(404, "app.user.missing_account.const", "Unable to find the user.")
    team_member = accounts.get_team_member(channel.team_id, user_id)
    if team_member is None or team_member.delete_at:
        raise AppErrorResponse(403, "api.channel.add_user.to.channel.failed.deleted.app_error",
                               "Failed to add user to channel because they are not a member of its team.")
    member = accounts.add_channel_member(channel.id, user_id)
    log.info("channel member added", extra={"channel_id": channel.id, "user_id": user_id, "by": session.user_id})
    return json_response(request, member.to_json(), status=201)


async def remove_channel_member(request: web.Request) -> web.Response:
    """Leaving is allowed (not the team's town-square); removing someone needs manage_*_channel_members."""
    session = await auth.require_session(request)
    channel = channel_or_404(request, id_param(request, "channel_id"))
    user_id = id_param(request, "user_id", session)
    if channel.type not in _MANAGE_MEMBERS:
        raise invalid_body_param("channel_id")
    leaving = user_id == session.user_id
    if not leaving and not may_in_channel(request, session, channel, _MANAGE_MEMBERS[channel.type]):
        raise auth.permission_error()
    if channel.name == DEFAULT_CHANNEL:
        error_id = "api.channel.leave.default.app_error" if leaving else "api.channel.remove.default.app_error"
        raise AppErrorResponse(400, error_id, f"Unable to remove user from the default channel {DEFAULT_CHANNEL}.")
    if not accounts_of(request).remove_channel_member(channel.id, user_id):
        raise _missing_member()
    log.info("channel member removed", extra={"channel_id": channel.id, "user_id": user_id, "by": session.user_id})
    return status_ok(request)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v4/channels", create_channel)
    app.router.add_post("/api/v4/channels/direct", create_direct_channel)
    app.router.add_get("/api/v4/channels/{channel_id}", get_channel)
    app.router.add_delete("/api/v4/channels/{channel_id}", delete_channel)
    app.router.add_get("/api/v4/teams/name/{team_name}/channels/name/{channel_name}", get_channel_by_name)
    app.router.add_get("/api/v4/teams/{team_id}/channels/name/{channel_name}", get_channel_by_name)
    app.router.add_get("/api/v4/users/{user_id}/teams/{team_id}/channels", get_channels_for_team_for_user)
    app.router.add_get("/api/v4/users/{user_id}/channels", get_channels_for_user)
    app.router.add_get("/api/v4/channels/{channel_id}/members", get_channel_members)
    app.router.add_post("/api/v4/channels/{channel_id}/members", add_channel_member)
    app.router.add_get("/api/v4/channels/{channel_id}/members/{user_id}", get_channel_member)
    app.router.add_delete("/api/v4/channels/{channel_id}/members/{user_id}", remove_channel_member)

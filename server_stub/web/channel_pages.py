"""The team and channel view: a sidebar of the user's teams and of their channels in the team, the channel's newest
posts oldest to newest, each with its author (or the override name and icon an app asked for, when the server
allows it: post_display.py) and an "APP" mark on posts made by an OAuth app, and a box to post as yourself.

Mattermost's URLs: the channel `name` of a team `team_name`; a direct channel by its name (the two user ids).
Posting goes through posts_api.create_post_as, the API's own checks.

| Route | What |
|---|---|
| GET `/channels` | the first of the user's teams (its town-square), or a form to create a team |
| POST `/channels` | create a team (create_team), then go to it |
| GET `/{team_name}/channels/{channel_name}` | the channel |
| POST `/{team_name}/channels/{channel_name}` | post a message as yourself |
"""
from __future__ import annotations

import logging
import urllib.parse

from aiohttp import web

from .. import permissions as perms
from ..accounts import DIRECT, AccountError
from ..accounts.channels import DEFAULT_CHANNEL
from . import forms, pages, post_display, posts_api
from .api_params import accounts_of, may_in_channel, may_read_channel
from .forms import PageError, page
from .responses import AppErrorResponse

log = logging.getLogger("server_stub.pages")

CHANNELS_PATH = "/channels"
PAGE_POSTS = 60  # the newest posts a channel page shows
MESSAGE_FIELD_MAX = 16383 * 4  # a message of Mattermost's maximum length, in the bytes of the widest UTF-8


def channel_url(team_name: str, channel_name: str) -> str:
    return f"/{urllib.parse.quote(team_name)}/channels/{urllib.parse.quote(channel_name)}"


# --- /channels -----------------------------------------------------------------------------------------------------

def _no_team_page(request, session, error: str = "", status: int = 200, values: dict | None = None):
    return pages.render("channels_start.html", status=status, title="Teams", error=error, csrf=session.csrf_token,
                        values=values or {"name": "", "display_name": ""},
                        may_create=session.has_permission(perms.CREATE_TEAM), **forms.nav_context(request, session))


@page
async def channels_home(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    teams = accounts_of(request).teams_for_user(session.user_id)
    if teams:
        raise web.HTTPFound(channel_url(teams[0].name, DEFAULT_CHANNEL))
    return _no_team_page(request, session)


@page
async def create_team_submit(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    form = await forms.check_csrf(request, session)
    values = {"name": forms.field(form, "name", 64).strip(), "display_name": forms.field(form, "display_name", 64)}
    if not session.has_permission(perms.CREATE_TEAM):
        raise PageError(403, "Team creation has been disabled. Please ask your System Administrator for details.")
    try:
        team = accounts_of(request).create_team(session.user_id, values["name"], values["display_name"].strip())
    except AccountError as exc:
        return _no_team_page(request, session, exc.message, exc.status, values)
    log.info("team created", extra={"team_id": team.id, "by": session.user_id})
    raise forms.see_other(channel_url(team.name, DEFAULT_CHANNEL))


# --- a channel -----------------------------------------------------------------------------------------------------

def _find(request: web.Request, session):
    """The team and channel of the path, when the user may read them (else a 404 page: not even their names are
    confirmed)."""
    accounts = accounts_of(request)
    team = accounts.get_team_by_name(request.match_info["team_name"])
    member = accounts.get_team_member(team.id, session.user_id) if team is not None else None
    channel = None
    if member is not None and member.delete_at == 0:
        name = request.match_info["channel_name"]
        channel = accounts.get_channel_by_name(team.id, name) or accounts.get_channel_by_name("", name)
    if channel is None or not may_read_channel(request, session, channel):
        raise PageError(404, "Channel not found.")
    return team, channel


def _channel_label(accounts, channel, user_id: str) -> str:
    if channel.type != DIRECT:
        return channel.display_name
    others = [uid for uid in channel.name.split("__") if uid != user_id] or [user_id]
    other = accounts.get_user(others[0])
    return "@" + (other.username if other else "someone")


def _channel_page(request: web.Request, session, team, channel, error: str = "", status: int = 200,
                  message: str = "") -> web.Response:
    accounts = accounts_of(request)
    config = forms.host_of(request).config.config
    newest = accounts.posts_page(channel.id, 0, PAGE_POSTS)
    usernames: dict[str, str] = {}
    shown = []
    for post_id in reversed(newest.order):  # oldest to newest
        post = newest.posts[post_id]
        if post.user_id not in usernames:
            author = accounts.get_user(post.user_id)
            usernames[post.user_id] = author.username if author else "someone"
        shown.append(post_display.shown(post, usernames[post.user_id], config))
    sidebar = [{"label": _channel_label(accounts, c, session.user_id), "type": c.type,
                "url": channel_url(team.name, c.name), "current": c.id == channel.id}
               for c in accounts.channels_for_user(session.user_id, team.id)]
    teams = [{"display_name": t.display_name, "url": channel_url(t.name, DEFAULT_CHANNEL), "current": t.id == team.id}
             for t in accounts.teams_for_user(session.user_id)]
    may_post = channel.delete_at == 0 and may_in_channel(request, session, channel, perms.CREATE_POST)
    return pages.render("channel.html", status=status, title=_channel_label(accounts, channel, session.user_id),
                        wide=True, team=team, channel=channel, label=_channel_label(accounts, channel, session.user_id),
                        teams=teams, sidebar=sidebar, posts=shown, may_post=may_post, error=error, message=message,
                        action=channel_url(team.name, channel.name), csrf=session.csrf_token,
                        **forms.nav_context(request, session))


@page
async def channel_page(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    team, channel = _find(request, session)
    return _channel_page(request, session, team, channel)


@page
async def post_submit(request: web.Request) -> web.Response:
    session = await forms.require_page_session(request)
    form = await forms.check_csrf(request, session)
    team, channel = _find(request, session)
    message = forms.field(form, "message", MESSAGE_FIELD_MAX)
    if not message.strip():
        return _channel_page(request, session, team, channel, "Write a message first.", 400)
    try:
        await posts_api.create_post_as(request, session, channel.id, message)
    except AppErrorResponse as exc:
        return _channel_page(request, session, team, channel, exc.error_message, exc.status_code, message)
    raise forms.see_other(channel_url(team.name, channel.name))


def add_routes(app: web.Application) -> None:
    app.router.add_get(CHANNELS_PATH, channels_home)
    app.router.add_post(CHANNELS_PATH, create_team_submit)
    path = "/{team_name:[a-z0-9_-]{2,64}}/channels/{channel_name:[A-Za-z0-9_-]{1,64}}"
    app.router.add_get(path, channel_page)
    app.router.add_post(path, post_submit)

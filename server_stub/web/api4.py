"""The host's own API v4 (Mattermost's core: users, sessions, roles, configuration, plugins, teams, channels,
posts).

The OAuth routes (/oauth/*, /api/v4/oauth/*) are the gateway's, in oauth_routes.py."""
from __future__ import annotations

from aiohttp import web

from . import channels_api, plugins_api, posts_api, roles_api, system_api, teams_api, users_api


def add_core_routes(app: web.Application) -> None:
    users_api.add_routes(app)
    roles_api.add_routes(app)
    system_api.add_routes(app)
    teams_api.add_routes(app)
    channels_api.add_routes(app)
    posts_api.add_routes(app)
    plugins_api.add_routes(app)

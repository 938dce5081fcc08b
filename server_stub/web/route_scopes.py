"""Which scope each API v4 route needs from an OAuth access token: one table, checked on every request that
authenticates with one (web/auth.py). Login sessions, personal sessions and local mode are not checked: their
limits are the user's permissions.

    ROUTE_SCOPES[("GET", "/api/v4/users/{user_id}")]  # "users:read"
    allowed, needed = allows(request, token_scopes)    # auth.py answers 403 insufficient_scope when not allowed

A token's scopes are the API scopes the plugin expanded for it (ValidateTokenResponse.scopes: Mattermost's
full-power value `user` gives every scope below but system:manage), parsed once per validated token and kept with
it in the token cache, so the check is one dictionary and one set lookup.

- A route with `ANY_TOKEN` is open to every valid token (ping, logout: a token may always end itself).
- A route of the router that is not here refuses OAuth tokens: nothing grants it. On /oauth/* (deauthorize,
  the consent API) that is a 403 insufficient_scope; a page treats the token as no session (log in).
- `system:manage` is the scope of what changes the server (configuration, roles, plugins, OAuth apps, creating
  users, other users' roles, activity and passwords); only a system admin can grant it.

Every API v4 route needs an entry: tests/host/test_route_scopes.py walks the router and fails on a route with
none, or an entry whose route does not exist, or a scope the plugin does not register (plugin/oauth/scopes.py).
HEAD is answered as GET.
"""
from __future__ import annotations

from aiohttp import web

ANY_TOKEN = ""
USERS_READ = "users:read"
TEAMS_READ, TEAMS_WRITE = "teams:read", "teams:write"
CHANNELS_READ, CHANNELS_WRITE = "channels:read", "channels:write"
POSTS_READ, POSTS_WRITE = "posts:read", "posts:write"
SYSTEM_MANAGE = "system:manage"

ROUTE_SCOPES: dict[tuple[str, str], str] = {
    ("GET", "/api/v4/system/ping"): ANY_TOKEN,
    # users (users_api.py)
    ("POST", "/api/v4/users"): SYSTEM_MANAGE,
    ("POST", "/api/v4/users/login"): ANY_TOKEN,
    ("POST", "/api/v4/users/logout"): ANY_TOKEN,
    ("GET", "/api/v4/users/{user_id}"): USERS_READ,
    ("PUT", "/api/v4/users/{user_id}/password"): SYSTEM_MANAGE,
    ("PUT", "/api/v4/users/{user_id}/active"): SYSTEM_MANAGE,
    ("PUT", "/api/v4/users/{user_id}/roles"): SYSTEM_MANAGE,
    # roles (roles_api.py): reading them is how clients learn what the user may do
    ("GET", "/api/v4/roles"): USERS_READ,
    ("POST", "/api/v4/roles/names"): USERS_READ,
    ("GET", "/api/v4/roles/name/{role_name}"): USERS_READ,
    ("GET", "/api/v4/roles/{role_id}"): USERS_READ,
    ("PUT", "/api/v4/roles/{role_id}/patch"): SYSTEM_MANAGE,
    # configuration and plugins (system_api.py)
    ("GET", "/api/v4/config"): SYSTEM_MANAGE,
    ("PUT", "/api/v4/config"): SYSTEM_MANAGE,
    ("PUT", "/api/v4/config/patch"): SYSTEM_MANAGE,
    ("GET", "/api/v4/plugins"): SYSTEM_MANAGE,
    ("GET", "/api/v4/plugins/statuses"): SYSTEM_MANAGE,
    ("POST", "/api/v4/plugins"): SYSTEM_MANAGE,
    ("DELETE", "/api/v4/plugins/{plugin_id}"): SYSTEM_MANAGE,
    ("POST", "/api/v4/plugins/{plugin_id}/enable"): SYSTEM_MANAGE,
    ("POST", "/api/v4/plugins/{plugin_id}/disable"): SYSTEM_MANAGE,
    # teams (teams_api.py); a team admin changing a member's team roles stays within the team: teams:write
    ("POST", "/api/v4/teams"): TEAMS_WRITE,
    ("GET", "/api/v4/teams/{team_id}"): TEAMS_READ,
    ("GET", "/api/v4/teams/name/{team_name}"): TEAMS_READ,
    ("GET", "/api/v4/users/{user_id}/teams"): TEAMS_READ,
    ("GET", "/api/v4/users/{user_id}/teams/members"): TEAMS_READ,
    ("GET", "/api/v4/teams/{team_id}/members"): TEAMS_READ,
    ("GET", "/api/v4/teams/{team_id}/members/{user_id}"): TEAMS_READ,
    ("POST", "/api/v4/teams/{team_id}/members"): TEAMS_WRITE,
    ("DELETE", "/api/v4/teams/{team_id}/members/{user_id}"): TEAMS_WRITE,
    ("PUT", "/api/v4/teams/{team_id}/members/{user_id}/roles"): TEAMS_WRITE,
    # channels (channels_api.py)
    ("POST", "/api/v4/channels"): CHANNELS_WRITE,
    ("POST", "/api/v4/channels/direct"): CHANNELS_WRITE,
    ("GET", "/api/v4/channels/{channel_id}"): CHANNELS_READ,
    ("DELETE", "/api/v4/channels/{channel_id}"): CHANNELS_WRITE,
    ("GET", "/api/v4/teams/{team_id}/channels/name/{channel_name}"): CHANNELS_READ,
    ("GET", "/api/v4/teams/name/{team_name}/channels/name/{channel_name}"): CHANNELS_READ,
    ("GET", "/api/v4/users/{user_id}/teams/{team_id}/channels"): CHANNELS_READ,
    ("GET", "/api/v4/users/{user_id}/channels"): CHANNELS_READ,
    ("GET", "/api/v4/channels/{channel_id}/members"): CHANNELS_READ,
    ("GET", "/api/v4/channels/{channel_id}/members/{user_id}"): CHANNELS_READ,
    ("POST", "/api/v4/channels/{channel_id}/members"): CHANNELS_WRITE,
    ("DELETE", "/api/v4/channels/{channel_id}/members/{user_id}"): CHANNELS_WRITE,
    # posts (posts_api.py)
    ("POST", "/api/v4/posts"): POSTS_WRITE,
    ("GET", "/api/v4/posts/{post_id}"): POSTS_READ,
    ("GET", "/api/v4/posts/{post_id}/thread"): POSTS_READ,
    ("PUT", "/api/v4/posts/{post_id}/patch"): POSTS_WRITE,
    ("DELETE", "/api/v4/posts/{post_id}"): POSTS_WRITE,
    ("GET", "/api/v4/channels/{channel_id}/posts"): POSTS_READ,
    # OAuth apps (the routes the plugin's RPCs declare, oauth_routes.py): an app that manages apps could make
    # itself a trusted one
    ("POST", "/api/v4/oauth/apps"): SYSTEM_MANAGE,
    ("GET", "/api/v4/oauth/apps"): SYSTEM_MANAGE,
    ("GET", "/api/v4/oauth/apps/{app_id}"): SYSTEM_MANAGE,
    ("PUT", "/api/v4/oauth/apps/{app_id}"): SYSTEM_MANAGE,
    ("DELETE", "/api/v4/oauth/apps/{app_id}"): SYSTEM_MANAGE,
    ("POST", "/api/v4/oauth/apps/{app_id}/regen_secret"): SYSTEM_MANAGE,
    ("GET", "/api/v4/oauth/apps/{app_id}/info"): USERS_READ,
    ("GET", "/api/v4/users/{user_id}/oauth/apps/authorized"): USERS_READ,
    ("GET", "/api/v4/oauth/audits"): SYSTEM_MANAGE,
    ("POST", "/api/v4/oauth/signing_keys/rotate"): SYSTEM_MANAGE,
    ("POST", "/api/v4/oauth/apps/register"): ANY_TOKEN,
}


def required_scope(method: str, path: str) -> str | None:
    """The scope a route needs, ANY_TOKEN, or None when no token may call it."""
    return ROUTE_SCOPES.get(("GET" if method == "HEAD" else method, path))


def route_path(request: web.Request) -> str:
    """The path pattern of the route that matched ("/api/v4/users/{user_id}"); "" when none did."""
    resource = getattr(request.match_info.route, "resource", None)
    return resource.canonical if resource is not None else ""


def is_page(request: web.Request) -> bool:
    """A page of the web UI (not API v4, not an OAuth endpoint)."""
    return not request.path.startswith(("/api/", "/oauth/"))


def allows(request: web.Request, token_scopes: frozenset[str]) -> tuple[bool, str | None]:
    """(whether a token with these scopes may make this request, the scope its route needs)."""
    scope = required_scope(request.method, route_path(request))
    return scope == ANY_TOKEN or (scope is not None and scope in token_scopes), scope

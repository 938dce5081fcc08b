"""The scopes an app can ask for (RFC 6749 §3.3): what exists, how the consent page words it, which scopes an
app may request, and what a granted scope lets a token do on API v4.

    SCOPES.get("posts:read").description        # "Read messages in channels you can read"
    requested = resolve(raw_scope, app_allowed)   # raises invalid_scope for a scope the app may not have
    api_scopes("user")                            # the full-power API scopes (never system:manage)
    covers(consented, requested)                  # whether a remembered consent covers a request

Mattermost's scopes are cosmetic: it stores any string (`DefaultScope` "user", the only value in its
`scopes_supported`) and every token has its user's full power. Here:

- **Full power**: Mattermost's value `user`, and a request that names no known scope (empty, or only values
  nobody registered), get every API scope marked `full_power`: what a Mattermost token can do, so that today's
  apps keep working. Full power never includes `system:manage`.
- **Unknown values grant nothing**: they are dropped from the request (RFC 6749 §3.3 lets the server issue a
  different scope, and the token response then names the granted one). `"posts:read foo"` is `posts:read`; a
  request of only unknown values is the default request, as it is on Mattermost.
- **system:manage** (configuration, roles, plugins, other users' roles and activity, OAuth apps) is granted
  only by a system admin, only to an app whose registration lists it, and only when the request names it.

The host owns the other half: which API v4 route needs which scope (server_stub/web/route_scopes.py). A new
scope is one `Scope(...)` line in `SCOPES` below, plus the routes that need it there.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import OAuthErrorCode

INVALID_SCOPE = OAuthErrorCode.INVALID_SCOPE
ACCESS_DENIED = OAuthErrorCode.ACCESS_DENIED

# Mattermost's DefaultScope (model/authorize.go) and its only scopes_supported value (model/oauth_metadata.go).
LEGACY_SCOPE = "user"
SYSTEM_MANAGE = "system:manage"


@dataclass(frozen=True)
class Scope:
    name: str
    # The sentence the consent page shows, completing "The app would like to:".
    description: str
    # A scope API v4 routes are checked against (the host's table); OpenID's are about the ID token instead.
    api: bool = True
    # Part of what the full-power values (`user`, no scope) give.
    full_power: bool = True
    # Only a system admin can grant it (and only an app registered with it may ask).
    admin_only: bool = False


class Registry:
    """The registered scopes, in the order the consent page lists them."""

    def __init__(self, scopes: Iterable[Scope]) -> None:
        self._scopes = {scope.name: scope for scope in scopes}

    def __contains__(self, name: str) -> bool:
        return name in self._scopes

    def __iter__(self):
        return iter(self._scopes.values())

    def get(self, name: str) -> Scope | None:
        return self._scopes.get(name)

    def names(self) -> list[str]:
        return list(self._scopes)

    def ordered(self, names: Iterable[str]) -> list[str]:
        """The registered ones among `names`, once each, in registry order (so equal sets read the same)."""
        wanted = set(names)
        return [name for name in self._scopes if name in wanted]


SCOPES = Registry([
    Scope(LEGACY_SCOPE, "Do anything you can do in Mattermost, except change the server's configuration",
          api=False),
    Scope("users:read", "See your profile and the people you can see"),
    Scope("teams:read", "See the teams you belong to and their members"),
    Scope("teams:write", "Create teams and manage their members as you"),
    Scope("channels:read", "See the channels you can see and their members"),
    Scope("channels:write", "Create channels and manage their members as you"),
    Scope("posts:read", "Read messages in channels you can read"),
    Scope("posts:write", "Post messages as you"),
    Scope(SYSTEM_MANAGE, "Change the server: its configuration, roles, plugins, OAuth apps, and other users' "
          "roles and activity", full_power=False, admin_only=True),
    Scope("openid", "Sign you in to the app with your Mattermost account", api=False, full_power=False),
    # The OpenID scopes' sentences name the claims they release (oidc/claims.py SCOPE_CLAIMS, test_scopes checks).
    Scope("profile", "See your name, nickname, username, profile picture, language and when your profile last "
          "changed", api=False, full_power=False),
    Scope("email", "See your email address and whether it is verified", api=False, full_power=False),
])

FULL_POWER = frozenset(scope.name for scope in SCOPES if scope.api and scope.full_power)


def parse(scope: str) -> list[str]:
    """The values of a space-delimited scope (§3.3), once each, in the order given."""
    return list(dict.fromkeys(scope.split()))


def join(names: Iterable[str]) -> str:
    return " ".join(names)


def normalize(names: Iterable[str]) -> list[str]:
    """Registered values only, in registry order; the full-power value when none remains."""
    return SCOPES.ordered(names) or [LEGACY_SCOPE]


def held(names: Iterable[str]) -> frozenset[str]:
    """Every scope the names give: themselves, and for the full-power value every full-power scope."""
    names = frozenset(names)
    return names | FULL_POWER if LEGACY_SCOPE in names else names


def api_scopes(scope: str) -> frozenset[str]:
    """The API v4 scopes a token with this stored scope holds: what the host checks each route against. A stored
    scope with no registered value (rows written before scopes meant anything) is full power, as it was."""
    return frozenset(name for name in held(normalize(parse(scope))) if SCOPES.get(name).api)


def default_allowed() -> list[str]:
    """What an app whose registration restricts nothing may ask for: every scope but the admin-only ones."""
    return [scope.name for scope in SCOPES if not scope.admin_only]


def allowed_for(app_allowed: Iterable[str]) -> list[str]:
    app_allowed = list(app_allowed)
    return app_allowed or default_allowed()


def unknown(names: Iterable[str]) -> list[str]:
    return [name for name in names if name not in SCOPES]


def resolve(raw: str, app_allowed: Iterable[str]) -> list[str] | None:
    """The scopes a request asks for, normalized, or None when it asks for one the app may not have
    (invalid_scope). No known value is the app's default: everything its registration allows when it restricts
    (but never an admin-only scope it did not name), otherwise the full-power value."""
    app_allowed = list(app_allowed)
    requested = SCOPES.ordered(parse(raw))
    if not requested:
        if not app_allowed:
            return [LEGACY_SCOPE]
        return [name for name in app_allowed if name in SCOPES and not SCOPES.get(name).admin_only] or None
    allowed = held(allowed_for(app_allowed))
    return requested if all(name in allowed for name in requested) else None


def grantable(names: list[str], is_system_admin: bool) -> tuple[list[str], list[str]]:
    """(what this user can grant, what only a system admin can)."""
    if is_system_admin:
        return names, []
    refused = [name for name in names if SCOPES.get(name).admin_only]
    return [name for name in names if name not in refused], refused


def covers(consented: str, requested: Iterable[str]) -> bool:
    """An earlier consent covers a request that asks for nothing it did not cover: a new scope is a new consent,
    a subset of an old one is not (full power covers each full-power scope)."""
    given = held(normalize(parse(consented)))
    return all(name in given for name in requested)


def merge(consented: str, granted: Iterable[str]) -> str:
    """The remembered consent after granting more: everything the user agreed to, either time."""
    return join(SCOPES.ordered([*parse(consented), *granted]))


def validate_allowed(names: Iterable[str]) -> list[str] | None:
    """An app registration's allowed scopes, normalized; None when a value is not a registered scope."""
    names = list(names)
    return None if unknown(names) else SCOPES.ordered(names)


@dataclass(frozen=True)
class ScopeDecision:
    """What an authorization request gets: `granted` (normalized), `refused` (asked for, but only a system admin
    can grant them), or `error`, the RFC 6749 §4.1.2.1 code to send back instead."""
    granted: list[str]
    refused: list[str]
    error: str = ""


def decide(raw: str, app_allowed: Iterable[str], is_system_admin: bool) -> ScopeDecision:
    """invalid_scope for a scope the app may not ask for. A scope only a system admin can grant is refused for
    anyone else and the rest is granted (RFC 6749 §3.3: the token response names what was granted), so that a
    user can still use the app for what they can give; access_denied when nothing would remain."""
    requested = resolve(raw, app_allowed)
    if requested is None:
        return ScopeDecision([], [], INVALID_SCOPE)
    granted, refused = grantable(requested, is_system_admin)
    if not granted:
        return ScopeDecision([], refused, ACCESS_DENIED)
    return ScopeDecision(granted, refused)

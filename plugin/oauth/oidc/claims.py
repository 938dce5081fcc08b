"""Which claims each scope releases (OpenID Connect Core 1.0 section 5.4), and their values for a host user
(section 5.1). Scopes stay the space-separated string the provider keeps; a scope registry can take its claims
from `SCOPE_CLAIMS`."""
from __future__ import annotations

from ..host import HostUser

OPENID = "openid"

# Section 5.4, restricted to what Mattermost knows of a user.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "given_name", "family_name", "nickname", "preferred_username", "picture", "locale",
                "updated_at"),
    "email": ("email", "email_verified"),
}

# The claims of every ID token (Core 1.0 section 2) and of UserInfo's `sub`.
ID_TOKEN_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "sid")


def has_openid(scope: str) -> bool:
    return OPENID in scope.split()


def claims_supported() -> list[str]:
    return list(dict.fromkeys([*ID_TOKEN_CLAIMS, *(c for claims in SCOPE_CLAIMS.values() for c in claims)]))


def _values(user: HostUser) -> dict:
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return {
        "name": name,
        "given_name": user.first_name,
        "family_name": user.last_name,
        "nickname": user.nickname,
        "preferred_username": user.username,
        "picture": user.picture,
        "locale": user.locale,
        "updated_at": (user.update_at or user.create_at) // 1000,
        "email": user.email,
        "email_verified": user.email_verified,
    }


def user_claims(user: HostUser, scope: str) -> dict:
    """The claims `scope` releases, without the empty ones (section 5.3.2: a claim without a value is left out)."""
    granted = scope.split()
    values = _values(user)
    released = {}
    for name in (c for s, claims in SCOPE_CLAIMS.items() if s in granted for c in claims):
        value = values[name]
        if value not in ("", None) and not (name == "updated_at" and value == 0):
            released[name] = value
    return released

"""OpenID Connect on the provider's registry: an addition, registered by `register(server)`, that edits no grant.

- `keys.py`: the signing keys (generated, sealed at rest, rotated, published in the JWKS);
- `id_token.py`: ID tokens, added to the token endpoint's answer by an `after_issue` hook;
- `authentication.py`: what an authorization request says of the sign-in (nonce, auth_time, prompt, max_age),
  kept for the code by an `after_authorize` hook;
- `claims.py`: the claims each scope releases; `userinfo.py`: the UserInfo endpoint; `discovery.py`: the
  OpenID Provider configuration, derived from the registry.
"""
from __future__ import annotations

from typing import Callable

from ..endpoints.base import Endpoint
from ..guards import MANAGE_SYSTEM, Caller, require_permission, require_session
from ..server import AFTER_AUTHORIZE, AFTER_ISSUE
from .authentication import Authentications
from .discovery import openid_configuration
from .id_token import IDTokens
from .implicit import IDTokenResponse, IDTokenTokenResponse, add_id_token
from .keys import SigningKeys
from .logout import Logout
from .userinfo import userinfo

JWKS_PATH = "oauth/jwks"
USERINFO_PATH = "oauth/userinfo"
END_SESSION_PATH = "oauth/end_session"


class JWKSEndpoint(Endpoint):
    name = "jwks"
    path = JWKS_PATH
    discovery_key = "jwks_uri"

    def handle(self) -> dict:
        return self.server.openid.keys.jwks()


class UserInfoEndpoint(Endpoint):
    name = "userinfo"
    path = USERINFO_PATH
    discovery_key = "userinfo_endpoint"

    def handle(self, authorization: str, form_token: str = "", target=None) -> dict:
        return userinfo(self.server, authorization, form_token, target)


class EndSessionEndpoint(Endpoint):
    """RP-initiated logout: the decision; the host's page ends the session."""
    name = "end_session"
    path = END_SESSION_PATH
    discovery_key = "end_session_endpoint"

    def handle(self, caller: Caller | None, **params: str):
        return self.server.openid.logout.end_session(caller, **params)


class OpenIDConfigurationEndpoint(Endpoint):
    name = "openid_configuration"

    def handle(self) -> dict:
        return openid_configuration(self.server)


class SigningKeysEndpoint(Endpoint):
    """A system admin rotates the signing keys now."""
    name = "signing_keys"

    def rotate(self, caller: Caller | None) -> dict:
        caller = require_session(caller)
        require_permission(caller, MANAGE_SYSTEM)
        keys = self.server.openid.keys
        return {"rotated": keys.rotate(), **keys.jwks()}


ENDPOINTS = (JWKSEndpoint, UserInfoEndpoint, EndSessionEndpoint, OpenIDConfigurationEndpoint, SigningKeysEndpoint)


class OpenID:
    """What OpenID Connect keeps beside the registry: the keys, the ID tokens and the authentications."""

    def __init__(self, services, local_secret: Callable[[], bytes] | None = None) -> None:
        self.keys = SigningKeys(services, local_secret)
        self.id_tokens = IDTokens(services, self.keys)
        self.authentications = Authentications(services)
        self.logout = Logout(services, self.keys)

    def housekeeping(self) -> int:
        """The scheduled rotation, and the removal of retired keys nothing valid was signed with."""
        self.keys.rotate_when_due()
        return self.keys.delete_removed()


def register(server, local_secret: Callable[[], bytes] | None = None) -> OpenID:
    openid = OpenID(server.services, local_secret)
    server.openid = openid
    for endpoint in ENDPOINTS:
        server.register_endpoint(endpoint)
    for response_type in (IDTokenResponse, IDTokenTokenResponse):
        server.register_response_type(response_type)
    server.register_hook(AFTER_AUTHORIZE, openid.authentications.after_authorize)
    server.register_hook(AFTER_AUTHORIZE, lambda *args: add_id_token(openid.id_tokens, *args))
    server.register_hook(AFTER_ISSUE, openid.id_tokens.after_issue)
    return openid

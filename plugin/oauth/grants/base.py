"""What a grant declares and does. The token endpoint (endpoints/token.py) finds the grant by `grant_type`, runs
`check_request` before it authenticates the client (Mattermost answers a missing code before bad credentials),
authenticates the client with the grant's `auth_methods`, runs `check_client`, then `issue`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from plugin.store.contract import Issue
from plugin.store.records import AppRecord, GrantRecord

from .. import client_auth
from ..policy import refresh_token_key
from ..ratelimit import Meter
from ..rfc6749 import TokenRequest, TokenResponse
from ..rfc9449 import token_type
from ..services import Services
from ..settings import Settings
from ..tokens import new_access_token, new_refresh_token


@dataclass
class Issued:
    """What a grant issued: the grant the tokens belong to (None when the answer repeats one already given, in
    a refresh token's grace window), and the answer (hooks may add to it: an id_token)."""
    grant: GrantRecord | None
    response: TokenResponse


def first_tokens(settings: Settings, app: AppRecord, grant: GrantRecord, now: int, jkt: str,
                 mattermost_shape: bool = True) -> Issue:
    """A new grant's tokens and answer: an access token, a refresh token when the policy gives one, both bound to
    the key the request's DPoP proof proved (`jkt`, RFC 9449 section 5; "" for none)."""
    access_token, access = new_access_token(settings, grant, grant.audience, now, jkt)
    refresh_token, refresh = new_refresh_token(settings, app, grant, grant.audience, access, now,
                                               refresh_token_key(app, jkt))
    response = TokenResponse(access_token=access_token, expires_in=settings.access_token_lifetime_seconds,
                             token_type=token_type(jkt), scope=grant.scope, refresh_token=refresh_token,
                             audience=grant.audience, mattermost_shape=mattermost_shape)
    return Issue(grant, access, refresh, response)


class Grant:
    grant_type: ClassVar[str]
    # Client authentication methods this grant accepts; without "none", public clients are refused with
    # `public_refused_id` (Mattermost's id for that grant).
    auth_methods: ClassVar[tuple[str, ...]] = client_auth.METHODS
    public_refused_id: ClassVar[str] = ""
    # Whether a successful request may end tokens issued before it (a refresh ends the previous access token):
    # the host then forgets what it keeps of the client's tokens.
    ends_tokens: ClassVar[bool] = True

    def __init__(self, services: Services) -> None:
        self.services = services

    def enabled(self, settings: Settings) -> bool:
        return True

    def check_request(self, request: TokenRequest) -> None:
        """The parameters the grant requires (AppError 400 invalid_request)."""

    def check_client(self, app: AppRecord, request: TokenRequest) -> None:
        """Rules for the authenticated client (e.g. PKCE for public clients)."""

    def issue(self, app: AppRecord, request: TokenRequest, meter: Meter) -> Issued:
        """Issue, or raise AppError. Call `meter.client_authenticated()` once the request has shown something
        that exists for this client (its code, its token): a public client has no secret, and a request that
        only names it must not use up its rate limit."""
        raise NotImplementedError

"""Response types of the authorization endpoint (RFC 6749 §3.1.1), registered with the AuthorizationServer:
each issues what the browser carries back to the client once the user has agreed."""
from __future__ import annotations

from typing import ClassVar

from plugin.store.records import CodeRecord, GrantRecord

from ..audit import AuditEvent
from ..ids import hash_secret, new_id, new_secret
from ..rfc6749 import AUTH_CODE_LIFETIME_SECONDS, AuthorizeRequest, implicit_params
from ..services import Services
from ..settings import Settings
from ..tokens import new_access_token


class ResponseType:
    response_type: ClassVar[str]
    grant_type: ClassVar[str]  # what RFC 8414's grant_types_supported calls it
    in_fragment: ClassVar[bool] = False  # the answer travels in the redirect's fragment (§4.2.2)

    def __init__(self, services: Services) -> None:
        self.services = services

    def enabled(self, settings: Settings) -> bool:
        return True

    def issue(self, user_id: str, request: AuthorizeRequest, scope: str) -> dict[str, str]:
        """Issue, and return the response's parameters (the authorization endpoint adds `iss` and delivers them;
        hooks after it may add to them)."""
        raise NotImplementedError


class CodeResponse(ResponseType):
    """The authorization code (§4.1.2), bound to the client, the redirect URI, the PKCE challenge, the resource and
    the DPoP key (RFC 9449 `dpop_jkt`)."""
    response_type = "code"
    grant_type = "authorization_code"

    def issue(self, user_id: str, request: AuthorizeRequest, scope: str) -> dict[str, str]:
        services = self.services
        code = new_secret()
        services.store.save_code(CodeRecord(
            code_hash=hash_secret(code), client_id=request.client_id, user_id=user_id,
            redirect_uri=request.redirect_uri, state=request.state, scope=scope, create_at=services.now(),
            expires_in=AUTH_CODE_LIFETIME_SECONDS, code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method, resource=request.resource,
            dpop_jkt=request.dpop_jkt))
        services.audit.record(AuditEvent.CODE_ISSUED, user_id=user_id, client_id=request.client_id,
                              pkce=bool(request.code_challenge))
        return {"code": code, "state": request.state}


class ImplicitResponse(ResponseType):
    """The implicit grant (§4.2), only behind the off-by-default EnableImplicitGrant setting (RFC 9700 §2.1.2:
    SHOULD NOT)."""
    response_type = "token"
    grant_type = "implicit"
    in_fragment = True

    def enabled(self, settings: Settings) -> bool:
        return settings.enable_implicit_grant

    def issue(self, user_id: str, request: AuthorizeRequest, scope: str) -> dict[str, str]:
        services = self.services
        settings, now = services.settings, services.now()
        grant = GrantRecord(id=new_id(), client_id=request.client_id, user_id=user_id, scope=scope,
                            audience=request.resource, redirect_uri=request.redirect_uri, create_at=now)
        token, access = new_access_token(settings, grant, request.resource, now)
        services.store.issue_tokens(grant, access, None)
        services.audit.record(AuditEvent.TOKEN_ISSUED, user_id=user_id, client_id=request.client_id,
                              grant_id=grant.id, grant_type=self.grant_type)
        return implicit_params(token, settings.access_token_lifetime_seconds, scope, request.state)

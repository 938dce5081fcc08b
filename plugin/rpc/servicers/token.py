"""oauthplugin.v1.TokenService: the token endpoint, revocation, introspection, and the host's bearer validation,
logout and user deactivation."""
from __future__ import annotations

from oauthplugin.v1 import token_pb2, token_pb2_grpc
from plugin.oauth.apps import GRANT_AUTHORIZATION_CODE
from plugin.oauth.rfc6749 import TokenActionRequest, TokenRequest

from .calls import AreaServicer, caller_of

_TOKEN_FIELDS = [f.name for f in token_pb2.TokenRequest.DESCRIPTOR.fields if f.name != "context"]


def token_action(message: token_pb2.TokenActionRequest) -> TokenActionRequest:
    return TokenActionRequest(token=message.token, token_type_hint=message.token_type_hint,
                              client_id=message.client_id, client_secret=message.client_secret)


def rotated_client(request: TokenRequest) -> str:
    """The client whose kept tokens a successful token request ended: a refresh ends the previous access token; a
    code exchange ends nothing. (A failed request names its client whatever it failed at: a replayed code or a
    reused refresh token revokes a grant, and naming a client whose tokens did not change only costs the host a
    validation.)"""
    return "" if request.grant_type == GRANT_AUTHORIZATION_CODE else request.client_id


class TokenServicer(AreaServicer, token_pb2_grpc.TokenServiceServicer):
    async def Token(self, request, context):
        body = TokenRequest(**{name: getattr(request, name) for name in _TOKEN_FIELDS})

        def work(p):
            issued = p.token(body, caller_of(request.context))
            return token_pb2.TokenResponse(
                access_token=issued.access_token, token_type=issued.token_type, expires_in=issued.expires_in,
                scope=issued.scope, refresh_token=issued.refresh_token, id_token=issued.id_token,
                audience=issued.audience, revoked_client_id=rotated_client(body))
        return await self.calls(token_pb2.TokenResponse, work, request.context.request_id,
                                revoked_client_id=body.client_id)

    async def Revoke(self, request, context):
        def work(p):
            p.revoke(token_action(request), caller_of(request.context))
            return token_pb2.RevokeResponse(revoked_client_id=request.client_id)
        return await self.calls(token_pb2.RevokeResponse, work, request.context.request_id,
                                revoked_client_id=request.client_id)

    async def Introspect(self, request, context):
        return await self.calls(token_pb2.IntrospectResponse, lambda p: token_pb2.IntrospectResponse(
            **p.introspect(token_action(request), caller_of(request.context))), request.context.request_id)

    async def ValidateToken(self, request, context):
        def work(p):
            info = p.validate_token(request.token)
            return token_pb2.ValidateTokenResponse(
                user_id=info.user_id, client_id=info.client_id, scope=info.scope, audience=info.audience,
                expires_at=info.expires_at, grant_id=info.grant_id, cacheable=self.calls.runtime.cacheable)
        return await self.calls(token_pb2.ValidateTokenResponse, work, request.context.request_id)

    async def RevokeAccessToken(self, request, context):
        return await self.calls.status(request, lambda p, c: p.revoke_access_token(request.token))

    async def RevokeUser(self, request, context):
        return await self.calls.status(request, lambda p, c: p.revoke_user(request.user_id))

"""oauthplugin.v1.TokenService: the token endpoint, revocation, introspection, and the host's bearer validation,
logout and user deactivation.

Token, Revoke and Introspect take the client's HTTP request as it came and answer it whole: the form and the
client's credentials are read, and every answer shaped, by plugin/oauth/client_request.py; the provider's calls
take the domain's TokenRequest and TokenActionRequest, whose fields are the form parameters they read."""
from __future__ import annotations

import dataclasses

from oauthplugin.v1 import token_pb2, token_pb2_grpc
from plugin.oauth import client_request
from plugin.oauth.rfc6749 import TokenActionRequest, TokenRequest
from plugin.oauth.rfc9449 import ALGORITHMS, DPoPError
from plugin.oauth.scopes import api_scopes

from .calls import AreaServicer, caller_of, error_message, failure, target_of

TOKEN_ACTION_PARAMETERS = [f.name for f in dataclasses.fields(TokenActionRequest)]


class TokenServicer(AreaServicer, token_pb2_grpc.TokenServiceServicer):
    async def Token(self, request, context):
        def work(p, form: client_request.ClientRequest):
            body = TokenRequest.from_parameters(form.fields, form.client_id, form.client_secret, target_of(request))
            issued = p.token(body, caller_of(request.context))
            # The client whose kept tokens this may have ended (the grant says; a failure always names it).
            return client_request.json_answer(issued.to_json()), \
                body.client_id if p.token_ends_tokens(body.grant_type) else ""
        return await self.calls.client_answer(request, work, "Token", failure_revokes=True)

    async def Revoke(self, request, context):
        def work(p, form: client_request.ClientRequest):
            p.revoke(TokenActionRequest(**form.values(TOKEN_ACTION_PARAMETERS)), caller_of(request.context))
            return client_request.empty_answer(), form.client_id
        return await self.calls.client_answer(request, work, "Revoke", failure_revokes=True)

    async def Introspect(self, request, context):
        def work(p, form: client_request.ClientRequest):
            info = p.introspect(TokenActionRequest(**form.values(TOKEN_ACTION_PARAMETERS)), caller_of(request.context))
            return client_request.introspection_answer(info), ""
        return await self.calls.client_answer(request, work, "Introspect")

    async def ValidateToken(self, request, context):
        def work(p):
            try:
                info = p.validate_token(request.token, request.scheme or "Bearer", target_of(request))
            except DPoPError as refused:  # RFC 9449 section 7.1: the host answers the DPoP challenge
                return token_pb2.ValidateTokenResponse(error=error_message(failure(refused)), dpop_nonce=refused.nonce)
            return token_pb2.ValidateTokenResponse(
                user_id=info.user_id, client_id=info.client_id, scope=info.scope, audience=info.audience,
                expires_at=info.expires_at, grant_id=info.grant_id, cacheable=self.calls.runtime.cacheable,
                scopes=sorted(api_scopes(info.scope)), dpop_jkt=info.dpop_jkt)
        answer = await self.calls(token_pb2.ValidateTokenResponse, work, request.context.request_id)
        answer.dpop_algs.extend(ALGORITHMS)  # for the host's DPoP challenge, whatever the answer
        return answer

    async def RevokeAccessToken(self, request, context):
        return await self.calls.status(request, lambda p, c: p.revoke_access_token(request.token))

    async def RevokeUser(self, request, context):
        self.calls.runtime.forget_user(request.user_id)  # the host deactivated them: ask it again from now on
        return await self.calls.status(request, lambda p, c: p.revoke_user(request.user_id))

"""oauthplugin.v1.OpenIDService: discovery, the JWKS, UserInfo and signing-key rotation, each answered whole."""
from __future__ import annotations

from oauthplugin.v1 import openid_pb2, openid_pb2_grpc
from plugin.oauth import client_request
from plugin.oauth.errors import AppError
from plugin.oauth.oidc.errors import BearerErrorCode
from plugin.oauth.oidc.userinfo import BearerError, answer as userinfo_answer, error_answer as bearer_error_answer

from ..runtime import AwaitingDatabase, NotActive
from .calls import AreaServicer, answer_message, caller_of, failure, target_of

# The discovery document and the keys change rarely; a relying party that meets an unknown kid fetches them again.
DOCUMENT_CACHE = (("Cache-Control", "public, max-age=300"),)
JWKS_CACHE = (("Cache-Control", "public, max-age=60"),)


class OpenIDServicer(AreaServicer, openid_pb2_grpc.OpenIDServiceServicer):
    async def _document(self, request, rpc: str, work, headers) -> object:
        request_id = request.context.request_id
        try:
            body = await self.calls.run(work, rpc, request_id)
        except (AppError, AwaitingDatabase, NotActive) as exc:
            return answer_message(client_request.error_answer(failure(exc), request_id, ""))
        answer = client_request.json_answer(body)
        return answer_message(client_request.Answer(answer.status, headers, answer.body))

    async def GetOpenIDConfiguration(self, request, context):
        return await self._document(request, "GetOpenIDConfiguration", lambda p: p.openid_configuration(),
                                    DOCUMENT_CACHE)

    async def GetJwks(self, request, context):
        return await self._document(request, "GetJwks", lambda p: p.jwks(), JWKS_CACHE)

    async def GetUserInfo(self, request, context):
        return await self._userinfo(request, "")

    async def PostUserInfo(self, request, context):
        if client_request.media_type(request.content_type) != client_request.FORM:
            return await self._userinfo(request, "")
        try:
            form = client_request.read(request.content_type, request.body, "")
        except client_request.Refused as refused:
            return answer_message(bearer_error_answer(BearerError(400, BearerErrorCode.INVALID_REQUEST,
                                                                  refused.error.message), request.context.request_id))
        return await self._userinfo(request, form.fields.get("access_token", ""))

    async def _userinfo(self, request, form_token: str):
        request_id = request.context.request_id
        try:
            claims = await self.calls.run(lambda p: p.userinfo(request.authorization, form_token, target_of(request)),
                                          "UserInfo", request_id)
        except BearerError as refused:
            return answer_message(bearer_error_answer(refused, request_id))
        except (AppError, AwaitingDatabase, NotActive) as exc:
            return answer_message(client_request.error_answer(failure(exc), request_id, ""))
        return answer_message(userinfo_answer(claims))

    async def RotateSigningKeys(self, request, context):
        request_id = request.context.request_id
        try:
            body = await self.calls.run(lambda p: p.rotate_signing_keys(caller_of(request.context)),
                                        "RotateSigningKeys", request_id)
        except (AppError, AwaitingDatabase, NotActive) as exc:
            return answer_message(client_request.error_answer(failure(exc), request_id, ""))
        return answer_message(client_request.json_answer(body))

    async def EndSession(self, request, context):
        def work(p):
            decided = p.end_session(caller_of(request.context), id_token_hint=request.id_token_hint,
                                    post_logout_redirect_uri=request.post_logout_redirect_uri, state=request.state,
                                    client_id=request.client_id)
            return openid_pb2.EndSessionResponse(confirm=decided.confirm, redirect_url=decided.redirect_url,
                                                 client_name=decided.client_name)
        return await self.calls(openid_pb2.EndSessionResponse, work, request.context.request_id)

"""oauthplugin.v1.AuthorizeService: the authorization endpoint, consent and deauthorization."""
from __future__ import annotations

from oauthplugin.v1 import authorize_pb2, authorize_pb2_grpc
from plugin.oauth import CONSENT, LOGIN, REDIRECT
from plugin.oauth.rfc6749 import AuthorizeRequest

from .apps import app_message, scope_descriptions
from .calls import AreaServicer, caller_of

_OUTCOMES = {
    LOGIN: authorize_pb2.BeginAuthorizationResponse.LOGIN,
    CONSENT: authorize_pb2.BeginAuthorizationResponse.CONSENT,
    REDIRECT: authorize_pb2.BeginAuthorizationResponse.REDIRECT,
}
_AUTHORIZE_FIELDS = [f.name for f in authorize_pb2.AuthorizeRequest.DESCRIPTOR.fields]


def authorize_request(message: authorize_pb2.AuthorizeRequest) -> AuthorizeRequest:
    return AuthorizeRequest(**{name: getattr(message, name) for name in _AUTHORIZE_FIELDS})


def authorize_message(request: AuthorizeRequest) -> authorize_pb2.AuthorizeRequest:
    return authorize_pb2.AuthorizeRequest(**{name: getattr(request, name) for name in _AUTHORIZE_FIELDS})


class AuthorizeServicer(AreaServicer, authorize_pb2_grpc.AuthorizeServiceServicer):
    async def BeginAuthorization(self, request, context):
        def work(p):
            outcome = p.begin_authorization(caller_of(request.context), authorize_request(request.request))
            return authorize_pb2.BeginAuthorizationResponse(
                outcome=_OUTCOMES[outcome.kind], redirect_url=outcome.redirect_url, app=app_message(outcome.app),
                scopes=scope_descriptions(outcome.scopes), refused_scopes=scope_descriptions(outcome.refused_scopes),
                return_to=outcome.return_to, reauthenticate=outcome.reauthenticate, login_hint=outcome.login_hint,
                form_fields=outcome.form_fields or {}, request=authorize_message(outcome.request))
        return await self.calls(authorize_pb2.BeginAuthorizationResponse, work, request.context.request_id)

    async def DecideConsent(self, request, context):
        # An absent `request` is a missing body (Mattermost's TestNilAuthorizeOAuthApp: invalid_body_param).
        authorize = authorize_request(request.request) if request.HasField("request") else None
        def work(p):
            outcome = p.decide(caller_of(request.context), authorize, request.allow)
            return authorize_pb2.RedirectResponse(redirect_url=outcome.redirect_url,
                                                  form_fields=outcome.form_fields or {})
        return await self.calls(authorize_pb2.RedirectResponse, work, request.context.request_id)

    async def Deauthorize(self, request, context):
        return await self.calls.status(request, lambda p, c: p.deauthorize(c, request.client_id))

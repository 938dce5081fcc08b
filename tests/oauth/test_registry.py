"""The AuthorizationServer as a registry: a grant registered later is reached by its grant_type with the same
client authentication and rate limits as the built-in ones, and hooks add to or refuse an issuance without
editing the grant (the way OpenID Connect adds its id_token and DPoP checks its proof)."""
from __future__ import annotations

from plugin.oauth import AppError, TokenRequest, TokenResponse
from plugin.oauth import client_auth
from plugin.oauth.errors import app_error
from plugin.oauth.grants import Grant, Issued
from plugin.oauth.server import AFTER_ISSUE, BEFORE_ISSUE

from .conftest import app_error_of, expect_error


class EchoGrant(Grant):
    """A grant of the kind RFC 8628 adds: its own parameter, confidential clients only."""
    grant_type = "urn:example:params:oauth:grant-type:echo"
    auth_methods = client_auth.SECRET_METHODS
    public_refused_id = "model.oauth.validate_grant.public_client_refresh_token.app_error"

    def check_request(self, request: TokenRequest) -> None:
        if not request.param("echo"):
            raise app_error("api.oauth.get_access_token.bad_request.app_error", 400, oauth_error="invalid_request")

    def issue(self, app, request: TokenRequest, meter) -> Issued:
        return Issued(None, TokenResponse(access_token="echo:" + request.param("echo"), expires_in=1))


def echo_request(app, secret=None, **params) -> TokenRequest:
    return TokenRequest(grant_type=EchoGrant.grant_type, client_id=app.id,
                        client_secret=app.client_secret if secret is None else secret, params=params)


def test_a_registered_grant_is_reached_by_its_grant_type(provider, confidential_app):
    assert app_error_of(provider.token, echo_request(confidential_app, echo="x")).oauth_error == \
        "unsupported_grant_type"
    provider.server.register_grant(EchoGrant)
    assert provider.token(echo_request(confidential_app, echo="hello")).access_token == "echo:hello"


def test_a_registered_grant_gets_the_endpoints_client_authentication(provider, confidential_app, public_app):
    provider.server.register_grant(EchoGrant)
    error = expect_error("api.oauth.get_access_token.bad_request.app_error", 400, provider.token,
                         echo_request(confidential_app))  # its own parameter check, before credentials
    error = expect_error("model.oauth.validate_grant.credentials.app_error", 401, provider.token,
                         echo_request(confidential_app, secret="wrong", echo="x"))
    assert error.oauth_error == "invalid_client"
    error = expect_error(EchoGrant.public_refused_id, 400, provider.token, echo_request(public_app, echo="x"))
    assert error.oauth_error == "unauthorized_client"


def test_an_after_issue_hook_adds_to_the_code_grants_answer(provider, flow, confidential_app, admin):
    seen = []

    def add_id_token(grant, app, request, issued):
        seen.append((grant.grant_type, app.id, issued.grant.user_id))
        issued.response.id_token = "signed-for-" + issued.grant.user_id

    provider.server.register_hook(AFTER_ISSUE, add_id_token)
    tokens = flow.exchange(confidential_app, flow.code_for(admin, confidential_app))
    assert tokens.id_token == "signed-for-" + admin.user_id
    assert seen == [("authorization_code", confidential_app.id, admin.user_id)]


def test_a_before_issue_hook_refuses_after_the_client_authenticated(provider, flow, confidential_app, admin):
    calls = []

    def refuse(grant, app, request):
        calls.append(app.id)
        raise app_error("api.oauth.get_access_token.bad_request.app_error", 400, oauth_error="invalid_request")

    provider.server.register_hook(BEFORE_ISSUE, refuse)
    code = flow.code_for(admin, confidential_app)
    assert app_error_of(flow.exchange, confidential_app, code, client_secret="wrong").status == 401
    assert calls == []  # a client that did not authenticate never reaches the hooks
    assert isinstance(app_error_of(flow.exchange, confidential_app, code), AppError)
    assert calls == [confidential_app.id]

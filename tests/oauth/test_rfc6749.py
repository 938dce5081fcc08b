"""The authorization request (AuthorizeRequest.IsValid) and redirects back to the client."""
from __future__ import annotations

import pytest

from plugin.oauth.ids import new_id
from plugin.oauth.rfc6749 import (
    AuthorizeRequest,
    TokenResponse,
    code_redirect,
    error_redirect,
    implicit_redirect,
    merge_query,
    validate_authorize_request,
)
from plugin.oauth.urls import parse_query

from .conftest import CHALLENGE


def valid_request(**fields) -> AuthorizeRequest:
    values = dict(response_type="code", client_id=new_id(), redirect_uri="https://example.com/cb", state="s")
    values.update(fields)
    return AuthorizeRequest(**values)


def request_error(req):
    error = validate_authorize_request(req)
    return error.id if error else None


def test_checks_run_in_mattermost_order():
    """Port of the progressive walk of TestAuthIsValid, on the fields an authorization request has."""
    req = AuthorizeRequest(client_id="x" * 28, response_type="", redirect_uri="", state="s" * 1025,
                           scope="c" * 129)
    assert request_error(req) == "model.authorize.is_valid.client_id.app_error"
    req.client_id = new_id()
    assert request_error(req) == "model.authorize.is_valid.response_type.app_error"
    req.response_type = "code"
    assert request_error(req) == "model.authorize.is_valid.redirect_uri.app_error"
    req.redirect_uri = "http://example.com"
    assert request_error(req) == "model.authorize.is_valid.state.app_error"
    req.state = "s" * 1024
    assert request_error(req) == "model.authorize.is_valid.scope.app_error"
    req.scope = "c" * 128
    assert request_error(req) is None


def test_response_type_value_is_not_checked_here():
    assert request_error(valid_request(response_type="junk")) is None


@pytest.mark.parametrize(
    "redirect_uri",
    ["", "abcdefghijklmnopqrstuvwxyz12", "https://example.com/" + "r" * 237, "data:text/html,hi",
     "javascript://evil.example.com/x"],
)
def test_invalid_redirect_uri(redirect_uri):
    """Port of TestAuthIsValid (empty, 28 random characters, 257 characters)."""
    assert request_error(valid_request(redirect_uri=redirect_uri)) == "model.authorize.is_valid.redirect_uri.app_error"


def test_custom_scheme_redirect_uri_is_accepted_for_registered_desktop_clients():
    assert request_error(valid_request(redirect_uri="cursor://anysphere.cursor-mcp/oauth/callback")) is None


def test_pkce_fields_are_checked_together():
    """Port of TestAuthorizeRequestPKCE/RequiredTogether."""
    assert request_error(valid_request(code_challenge=CHALLENGE, code_challenge_method="S256")) is None
    assert request_error(valid_request(code_challenge=CHALLENGE)) == (
        "model.authorize.is_valid.code_challenge_method.app_error"
    )
    assert request_error(valid_request(code_challenge_method="S256")) == (
        "model.authorize.is_valid.code_challenge.app_error"
    )


def test_resource_is_validated_last():
    """Port of TestAuthorizeRequest_ResourceValidation."""
    assert request_error(valid_request(resource="https://api.example.com")) is None
    assert request_error(valid_request(resource="")) is None
    assert request_error(valid_request(resource="not-a-valid-uri")) == (
        "model.authorize.is_valid.resource.not_absolute.app_error"
    )
    assert request_error(valid_request(resource="https://example.com/" + "a" * 500)) == (
        "model.authorize.is_valid.resource.length.app_error"
    )


def test_validation_errors_are_400():
    assert validate_authorize_request(valid_request(client_id="")).status == 400


# --- redirects ------------------------------------------------------------------------------------------------

def test_state_round_trips_through_a_callback_that_has_a_query():
    """Port of TestAuthorizeOAuthApp's `https://nowhere.com?simply=lovely` case."""
    state = "/oauthcallback?sesskey=abcd&other=123"
    url = code_redirect("https://nowhere.com?simply=lovely", "thecode", state)
    assert url == (
        "https://nowhere.com?code=thecode&simply=lovely&state=%2Foauthcallback%3Fsesskey%3Dabcd%26other%3D123"
    )
    assert url.count("?") == 1
    query = parse_query(url.partition("?")[2])
    assert query == {"code": ["thecode"], "simply": ["lovely"], "state": [state]}
    assert "other" not in query


def test_empty_state_is_still_sent():
    assert code_redirect("https://client.example.com/cb", "c", "") == "https://client.example.com/cb?code=c&state="


def test_parameters_replace_ones_the_callback_already_has():
    url = merge_query("https://client.example.com/cb?code=old&state=old&keep=1", {"code": "new", "state": "s"})
    assert url == "https://client.example.com/cb?code=new&keep=1&state=s"


def test_callback_fragment_stays_after_the_query():
    assert code_redirect("https://c.example.com/cb#frag", "c", "s") == "https://c.example.com/cb?code=c&state=s#frag"


def test_error_redirect_is_url_encoded_and_merged_with_state():
    url = error_redirect("https://c.example.com/cb?x=1", "access_denied", "a b&c=d")
    assert url == "https://c.example.com/cb?error=access_denied&state=a+b%26c%3Dd&x=1"


def test_error_redirect_for_implicit_requests_uses_the_fragment():
    url = error_redirect("https://c.example.com/cb?x=1", "access_denied", "s", in_fragment=True)
    assert url == "https://c.example.com/cb?x=1#error=access_denied&state=s"


def test_implicit_redirect_puts_token_in_the_fragment_with_sorted_keys():
    url = implicit_redirect("https://c.example.com/cb", "tok", 3600, "user", "st ate")
    assert url == "https://c.example.com/cb#access_token=tok&expires_in=3600&scope=user&state=st+ate&token_type=bearer"


def test_token_response_json_has_every_key_and_audience_only_when_set():
    body = TokenResponse(access_token="a", expires_in=10, scope="user").to_json()
    assert body == {"access_token": "a", "token_type": "bearer", "expires_in": 10, "scope": "user",
                    "refresh_token": "", "id_token": ""}
    assert TokenResponse(access_token="a", expires_in=10, audience="https://api").to_json()["audience"] == "https://api"

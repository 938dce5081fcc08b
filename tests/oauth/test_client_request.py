"""Reading a client's request to the token, revocation and introspection endpoints, and shaping their answers
(plugin/oauth/client_request.py): RFC 6749 sections 2.3, 3.2 and 5.2, without gRPC or HTTP."""
from __future__ import annotations

import base64
import json

import pytest

from plugin.oauth import client_request
from plugin.oauth.client_request import (
    CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, FORM, NONE, Refused, error_answer, introspection_answer, read,
)
from plugin.oauth.errors import app_error

BAD_REQUEST = "api.oauth.get_access_token.bad_request.app_error"
CREDENTIALS = "api.oauth.get_access_token.credentials.app_error"


def basic(pair: str) -> str:
    return "Basic " + base64.b64encode(pair.encode()).decode()


def refusal(content_type: str, body: bytes, authorization: str = "") -> Refused:
    with pytest.raises(Refused) as caught:
        read(content_type, body, authorization)
    return caught.value


def test_the_form_and_the_client_credentials_however_they_were_sent():
    posted = read(FORM, b"grant_type=authorization_code&code=c&client_id=app&client_secret=s%20t", "")
    assert (posted.client_id, posted.client_secret, posted.method) == ("app", "s t", CLIENT_SECRET_POST)
    assert posted.values(["grant_type", "code", "redirect_uri"]) == {"grant_type": "authorization_code", "code": "c",
                                                                     "redirect_uri": ""}
    public = read(FORM, b"client_id=app&code_verifier=v", "")
    assert (public.client_id, public.client_secret, public.method) == ("app", "", NONE)
    # Basic: form-urlencoded, then base64 (RFC 6749 section 2.3.1); a client_id in the form may repeat it.
    sent = read(FORM, b"grant_type=refresh_token&client_id=my+app", basic("my+app:s%3Acret"))
    assert (sent.client_id, sent.client_secret, sent.method) == ("my app", "s:cret", CLIENT_SECRET_BASIC)
    assert sent.values(["client_id", "client_secret"]) == {"client_id": "my app", "client_secret": "s:cret"}


def test_the_media_type_decides_whether_the_body_is_a_form():
    for content_type in ("application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
                         " application/x-www-form-urlencoded\t;x=y"):
        assert read(content_type, b"a=1", "").fields == {"a": "1"}, content_type
    for content_type in ("", "application/json", "multipart/form-data", "application/x-www-form-urlencodedx"):
        assert read(content_type, b"a=1", "").fields == {}, content_type


def test_repeated_parameters_and_undecodable_forms_are_invalid_request():
    repeated = refusal(FORM, b"code=a&code=b")
    assert (repeated.error.id, repeated.error.status, repeated.error.oauth_error) == (BAD_REQUEST, 400,
                                                                                        "invalid_request")
    assert repeated.error.message == "invalid_request: Repeated parameter code."
    assert refusal(FORM, b"code=\xff").error.message == "invalid_request: Bad request."


def test_two_authentication_methods_at_once_are_invalid_request():
    both = refusal(FORM, b"client_secret=s", basic("app:s"))
    assert both.error.message == "invalid_request: More than one client authentication method."
    assert both.method == CLIENT_SECRET_BASIC
    other = refusal(FORM, b"client_id=other", basic("app:s"))
    assert other.error.message == "invalid_request: client_id does not match the authenticated client."


@pytest.mark.parametrize("authorization", ["Basic !!!", basic("no colon"),
                                           "Basic " + base64.b64encode(b"\xff:x").decode(), "basic é"])
def test_basic_credentials_that_cannot_be_decoded_are_invalid_client(authorization):
    refused = refusal(FORM, b"", authorization)
    assert (refused.error.id, refused.error.status, refused.error.oauth_error) == (CREDENTIALS, 401, "invalid_client")
    answer = error_answer(refused.error, "rid", refused.method)
    assert answer.status == 401 and ("WWW-Authenticate", 'Basic realm="oauth"') in answer.headers


def test_other_schemes_are_no_client_authentication():
    assert read(FORM, b"client_id=app", "Bearer token").method == NONE


def test_error_answers_carry_mattermost_and_rfc_6749_fields_and_no_store():
    error = app_error("api.oauth.get_access_token.expired_code.app_error", 400, oauth_error="invalid_grant")
    answer = error_answer(error, "rid", CLIENT_SECRET_POST)
    assert answer.status == 400
    assert answer.headers == (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
    assert answer.body == (b'{"id":"api.oauth.get_access_token.expired_code.app_error","message":"invalid_grant: '
                           b'Invalid or expired authorization code.","detailed_error":"","request_id":"rid",'
                           b'"status_code":400,"error":"invalid_grant","error_description":"Invalid or expired '
                           b'authorization code."}')


def test_invalid_client_after_basic_is_401_with_the_challenge_and_a_limit_gets_retry_after():
    failed = app_error("model.oauth.validate_grant.credentials.app_error", 404, oauth_error="invalid_client")
    assert error_answer(failed, "rid", CLIENT_SECRET_POST).status == 404
    answer = error_answer(failed, "rid", CLIENT_SECRET_BASIC)
    assert answer.status == 401 and json.loads(answer.body)["status_code"] == 401
    assert answer.headers[-1] == ("WWW-Authenticate", 'Basic realm="oauth"')
    limited = app_error("api.oauth.rate_limited.app_error", 429, message="Too many requests.", retry_after=7)
    assert error_answer(limited, "rid", NONE).headers[-1] == ("Retry-After", "7")
    assert json.loads(error_answer(limited, "rid", NONE).body)["error"] == "invalid_request"  # no RFC code: the default


def test_error_description_holds_only_the_characters_rfc_6749_allows():
    error = app_error(BAD_REQUEST, 400, oauth_error="invalid_request",
                      message='invalid_request: Repeated parameter a"\\é\n.')
    assert json.loads(error_answer(error, "rid", NONE).body)["error_description"] == "Repeated parameter a????."


def test_introspection_answers_in_the_hosts_order_and_exactly_inactive_otherwise():
    assert introspection_answer({"active": False, "scope": "x"}).body == b'{"active":false}'
    info = {"active": True, "scope": "user", "client_id": "c", "token_type": "access_token", "exp": 2, "iat": 1,
            "sub": "u", "aud": "", "iss": "https://chat.example.com"}
    assert list(json.loads(introspection_answer(info).body)) == ["active", "scope", "client_id", "token_type", "exp",
                                                                 "iat", "sub", "iss"]
    with_audience = json.loads(introspection_answer({**info, "aud": "https://api.example.com"}).body)
    assert list(with_audience)[-1] == "aud"
    assert client_request.empty_answer().body == b""

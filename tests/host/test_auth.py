"""Where the host takes the session token from, and the CSRF rules for cookie sessions (Mattermost's plumbing, with
query-string tokens refused)."""
from __future__ import annotations

import pytest

from tests.host.conftest import ADMIN_PASSWORD

XHR = {"X-Requested-With": "XMLHttpRequest"}


@pytest.fixture(scope="module")
def web_login(api, admin):
    """A browser session of the admin: the cookies and the CSRF token."""
    cookies = api.login("admin", ADMIN_PASSWORD, headers=XHR).cookies()
    header = "; ".join(f"{name}={cookies[name].value}" for name in ("MMAUTHTOKEN", "MMUSERID", "MMCSRF"))
    return {"Cookie": header}, cookies["MMCSRF"].value


def patch_config(api, headers, body=None):
    return api.put("/api/v4/config/patch", {} if body is None else body, headers=headers)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "Token", "token", "tOkEn"])
def test_authorization_header_schemes_are_case_insensitive(api, admin, scheme):
    reply = api.get("/api/v4/users/me", headers={"Authorization": f"{scheme} {admin.token}"})
    assert reply.status == 200 and reply.json["id"] == admin.id


def test_unknown_scheme_is_no_session(api, admin):
    reply = api.get("/api/v4/users/me", headers={"Authorization": f"Basic {admin.token}"})
    assert (reply.status, reply.error_id) == (401, "api.context.session_expired.app_error")


def test_unknown_bearer_token_is_401_session_expired(api, admin):
    reply = api.get("/api/v4/users/me", token="x" * 26)
    assert (reply.status, reply.error_id) == (401, "api.context.session_expired.app_error")


def test_token_followed_by_anything_else_is_not_the_token(api, admin):
    assert api.get("/api/v4/users/me", token=admin.token + " trailing").status == 401


def test_query_string_token_is_refused_even_when_valid(api, admin):
    reply = api.get(f"/api/v4/users/me?access_token={admin.token}")
    assert (reply.status, reply.error_id) == (401, "api.context.token_provided.app_error")


def test_query_string_token_is_refused_alongside_a_valid_header(api, admin):
    reply = api.get(f"/api/v4/users/me?access_token={admin.token}", token=admin.token)
    assert (reply.status, reply.error_id) == (401, "api.context.token_provided.app_error")


def test_cookie_session_reads_without_csrf_header(api, web_login):
    headers, _ = web_login
    assert api.get("/api/v4/users/me", headers=headers).status == 200


def test_cookie_session_write_without_csrf_header_is_401(api, web_login):
    headers, _ = web_login
    reply = patch_config(api, headers)
    assert (reply.status, reply.error_id) == (401, "api.context.session_expired.app_error")


def test_cookie_session_write_with_a_wrong_csrf_token_is_401(api, web_login):
    headers, _ = web_login
    reply = patch_config(api, {**headers, "X-CSRF-Token": "wrong" * 5})
    assert (reply.status, reply.error_id) == (401, "api.context.session_expired.app_error")


def test_cookie_session_write_with_the_csrf_token_succeeds(api, web_login):
    headers, csrf = web_login
    assert patch_config(api, {**headers, "X-CSRF-Token": csrf}).status == 200


def test_cookie_session_write_with_x_requested_with_succeeds_unless_strict(api, admin, web_login):
    headers, csrf = web_login
    assert patch_config(api, {**headers, **XHR}).status == 200
    strict = {"ServiceSettings": {"ExperimentalStrictCSRFEnforcement": True}}
    assert api.put("/api/v4/config/patch", strict, token=admin.token).status == 200
    try:
        refused = patch_config(api, {**headers, **XHR})
        assert (refused.status, refused.error_id) == (401, "api.context.session_expired.app_error")
        assert patch_config(api, {**headers, "X-CSRF-Token": csrf}).status == 200
    finally:
        relaxed = {"ServiceSettings": {"ExperimentalStrictCSRFEnforcement": False}}
        assert api.put("/api/v4/config/patch", relaxed, token=admin.token).status == 200


def test_header_token_needs_no_csrf_token(api, admin):
    assert patch_config(api, {"Authorization": f"Bearer {admin.token}"}).status == 200


def test_cookie_takes_precedence_over_the_authorization_header(api, admin, new_user, web_login):
    headers, _ = web_login
    user = new_user()
    reply = api.get("/api/v4/users/me", headers={**headers, "Authorization": f"Bearer {user.token}"})
    assert reply.json["id"] == admin.id


def test_empty_session_cookie_falls_through_to_the_header(api, admin):
    reply = api.get("/api/v4/users/me", headers={"Cookie": "MMAUTHTOKEN=", "Authorization": f"Bearer {admin.token}"})
    assert reply.status == 200

"""API v4 users on a real host: sign-up rules, login wire format, me, get user, activation."""
from __future__ import annotations

import hashlib
import sqlite3

from tests.host.conftest import ADMIN_PASSWORD, USER_PASSWORD

XHR = {"X-Requested-With": "XMLHttpRequest"}


def set_config(api, admin, section: str, **values) -> None:
    reply = api.put("/api/v4/config/patch", {section: values}, token=admin.token)
    assert reply.status == 200, reply.body


def test_first_account_of_a_fresh_server_becomes_system_admin(admin):
    assert admin.roles == "system_admin system_user"


def test_sign_up_is_closed_after_the_first_account(api, admin):
    reply = api.post("/api/v4/users", {"email": "stranger@example.com", "username": "stranger",
                                       "password": USER_PASSWORD})
    assert reply.status == 403
    assert reply.error_id == "api.user.create_user.no_open_server"


def test_closed_server_refuses_sign_up_before_looking_at_the_fields(api, admin):
    reply = api.post("/api/v4/users", {"email": "not-an-email", "username": "x", "password": "1"})
    assert (reply.status, reply.error_id) == (403, "api.user.create_user.no_open_server")


def test_open_server_lets_anyone_sign_up_as_an_ordinary_user(api, admin):
    set_config(api, admin, "TeamSettings", EnableOpenServer=True)
    try:
        reply = api.post("/api/v4/users", {"email": "Opener@Example.com", "username": "Opener",
                                           "password": USER_PASSWORD, "first_name": None, "nickname": "op",
                                           "roles": "system_admin", "unknown_field": [1, 2]})
    finally:
        set_config(api, admin, "TeamSettings", EnableOpenServer=False)
    assert reply.status == 201, reply.body
    user = reply.json
    # Roles never come from the body; names are lower-cased; null is an empty string; unknown fields ignored.
    assert user["roles"] == "system_user"
    assert (user["username"], user["email"], user["first_name"], user["nickname"]) == \
        ("opener", "opener@example.com", "", "op")
    assert "password" not in user and len(user["id"]) == 26


def test_system_admin_creates_accounts_on_a_closed_server(api, admin):
    reply = api.post("/api/v4/users", {"email": "made@example.com", "username": "made",
                                       "password": USER_PASSWORD}, token=admin.token)
    assert reply.status == 201 and reply.json["roles"] == "system_user"


def test_duplicate_username_and_email_are_refused_with_mattermost_ids(api, admin):
    taken_email = api.post("/api/v4/users", {"email": "admin@example.com", "username": "someoneelse",
                                             "password": USER_PASSWORD}, token=admin.token)
    assert (taken_email.status, taken_email.error_id) == (400, "app.user.save.email_exists.app_error")
    taken_name = api.post("/api/v4/users", {"email": "other@example.com", "username": "admin",
                                            "password": USER_PASSWORD}, token=admin.token)
    assert (taken_name.status, taken_name.error_id) == (400, "app.user.save.username_exists.app_error")


def test_invalid_fields_answer_model_user_is_valid_errors(api, admin):
    cases = {"model.user.is_valid.email.app_error": {"email": "nope", "username": "valid1", "password": "passw0rd"},
             "model.user.is_valid.username.app_error": {"email": "v2@example.com", "username": "1abc",
                                                         "password": "passw0rd"},
             "model.user.is_valid.pwd_min_length.app_error": {"email": "v3@example.com", "username": "valid3",
                                                              "password": "abc"}}
    for error_id, body in cases.items():
        reply = api.post("/api/v4/users", body, token=admin.token)
        assert (reply.status, reply.error_id) == (400, error_id), body


def test_login_answers_the_user_and_a_token_header_with_exact_json_content_type(api, admin):
    reply = api.login("admin@example.com", ADMIN_PASSWORD)
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json["id"] == admin.id and "password" not in reply.json
    token = reply.headers["Token"]
    assert len(token) == 26 and token != admin.token
    # API clients (no X-Requested-With) get no cookies, as from Mattermost: a cookie jar would then need CSRF.
    assert reply.headers.get_all("Set-Cookie") is None
    assert api.get("/api/v4/users/me", token=token).json["id"] == admin.id


def test_login_from_the_web_app_sets_mattermost_session_cookies(api, admin):
    reply = api.login("admin", ADMIN_PASSWORD, headers=XHR)
    cookies = reply.cookies()
    token = reply.headers["Token"]
    assert cookies["MMAUTHTOKEN"].value == token
    assert cookies["MMUSERID"].value == admin.id
    assert len(cookies["MMCSRF"].value) == 26 and cookies["MMCSRF"].value != token
    assert "httponly" in reply.raw_cookie("MMAUTHTOKEN").lower()
    assert "httponly" not in reply.raw_cookie("MMCSRF").lower()  # the page's script echoes it in X-CSRF-Token
    assert "httponly" not in reply.raw_cookie("MMUSERID").lower()
    for name in ("MMAUTHTOKEN", "MMUSERID", "MMCSRF"):
        assert cookies[name]["path"] == "/"
        assert cookies[name]["max-age"] == str(720 * 3600)


def test_only_the_sha256_of_a_session_token_is_stored(api, host, admin):
    token = api.login("admin", ADMIN_PASSWORD).headers["Token"]
    with sqlite3.connect(host.data_dir / "host.db") as db:
        dump = "\n".join(db.iterdump())
    assert token not in dump
    assert hashlib.sha256(token.encode()).hexdigest() in dump


def test_wrong_password_and_unknown_login_get_the_same_answer(api, admin):
    wrong = api.post("/api/v4/users/login", {"login_id": "admin", "password": "wrong-password"})
    unknown = api.post("/api/v4/users/login", {"login_id": "nobody", "password": "wrong-password"})
    for reply in (wrong, unknown):
        assert reply.status == 401
        assert reply.error_id == "api.user.login.invalid_credentials_email_username"
    assert wrong.json["message"] == unknown.json["message"]


def test_blank_password_is_refused_as_mattermost_does(api, admin):
    reply = api.post("/api/v4/users/login", {"login_id": "admin", "password": ""})
    assert (reply.status, reply.error_id) == (400, "api.user.login.blank_pwd.app_error")


def test_me_and_get_user_answer_the_user_json(api, admin, new_user):
    user = new_user()
    me = api.get("/api/v4/users/me", token=user.token)
    assert me.status == 200 and me.headers["Content-Type"] == "application/json"
    assert (me.json["id"], me.json["username"], me.json["roles"]) == (user.id, user.username, "system_user")
    by_id = api.get(f"/api/v4/users/{admin.id}", token=user.token)
    assert by_id.status == 200 and by_id.json["username"] == "admin"
    assert "notify_props" not in by_id.json  # another user's profile is sanitized
    assert "notify_props" in api.get(f"/api/v4/users/{user.id}", token=admin.token).json


def test_get_user_refuses_bad_ids_and_reports_unknown_ones(api, admin):
    bad = api.get("/api/v4/users/not-an-id", token=admin.token)
    assert (bad.status, bad.error_id) == (400, "api.context.invalid_url_param.app_error")
    missing = api.get("/api/v4/users/" + "a" * 26, token=admin.token)
    assert (missing.status, missing.error_id) == (404, "app.user.missing_account.const")


def test_me_without_a_session_is_401_session_expired(api, admin):
    reply = api.get("/api/v4/users/me")
    assert (reply.status, reply.error_id) == (401, "api.context.session_expired.app_error")


def test_deactivation_ends_sessions_and_refuses_login_until_reactivated(api, admin, new_user):
    user = new_user()
    second_token = api.login(user.username, user.password).headers["Token"]
    reply = api.put(f"/api/v4/users/{user.id}/active", {"active": False}, token=admin.token)
    assert reply.status == 200 and reply.json == {"status": "OK"}
    for token in (user.token, second_token):
        assert api.get("/api/v4/users/me", token=token).status == 401
    login = api.post("/api/v4/users/login", {"login_id": user.username, "password": user.password})
    assert (login.status, login.error_id) == (401, "api.user.login.inactive.app_error")
    assert api.get(f"/api/v4/users/{user.id}", token=admin.token).json["delete_at"] > 0

    assert api.put(f"/api/v4/users/{user.id}/active", {"active": True}, token=admin.token).status == 200
    assert api.get(f"/api/v4/users/{user.id}", token=admin.token).json["delete_at"] == 0
    api.login(user.username, user.password)


def test_deactivated_users_login_failure_does_not_reveal_the_account_without_its_password(api, admin, new_user):
    user = new_user()
    assert api.put(f"/api/v4/users/{user.id}/active", {"active": False}, token=admin.token).status == 200
    reply = api.post("/api/v4/users/login", {"login_id": user.username, "password": "not-the-password"})
    assert reply.error_id == "api.user.login.invalid_credentials_email_username"


def test_ordinary_user_cannot_deactivate_someone_else(api, admin, new_user):
    user, other = new_user(), new_user()
    reply = api.put(f"/api/v4/users/{other.id}/active", {"active": False}, token=user.token)
    assert (reply.status, reply.error_id) == (403, "api.user.update_active.permissions.app_error")
    assert api.get("/api/v4/users/me", token=other.token).status == 200


def test_self_deactivation_needs_enable_user_deactivation(api, admin, new_user):
    user = new_user()
    refused = api.put("/api/v4/users/me/active", {"active": False}, token=user.token)
    assert (refused.status, refused.error_id) == (401, "api.user.update_active.not_enable.app_error")
    set_config(api, admin, "TeamSettings", EnableUserDeactivation=True)
    try:
        assert api.put("/api/v4/users/me/active", {"active": False}, token=user.token).status == 200
    finally:
        set_config(api, admin, "TeamSettings", EnableUserDeactivation=False)
    assert api.get("/api/v4/users/me", token=user.token).status == 401


def test_activating_an_unknown_user_is_404(api, admin):
    reply = api.put("/api/v4/users/" + "b" * 26 + "/active", {"active": True}, token=admin.token)
    assert (reply.status, reply.error_id) == (404, "app.user.missing_account.const")


def test_logout_revokes_the_session(api, admin, new_user):
    user = new_user()
    token = api.login(user.username, user.password).headers["Token"]
    reply = api.post("/api/v4/users/logout", token=token)
    assert reply.status == 200 and reply.json == {"status": "OK"}
    assert api.get("/api/v4/users/me", token=token).status == 401
    assert api.get("/api/v4/users/me", token=user.token).status == 200  # other sessions stay


def test_logout_clears_the_cookies(api, admin):
    login = api.login("admin", ADMIN_PASSWORD, headers=XHR)
    cookies = login.cookies()
    cookie_header = "; ".join(f"{name}={cookies[name].value}" for name in ("MMAUTHTOKEN", "MMUSERID", "MMCSRF"))
    reply = api.post("/api/v4/users/logout", headers={"Cookie": cookie_header, "X-CSRF-Token": cookies["MMCSRF"].value})
    assert reply.status == 200
    cleared = reply.cookies()
    for name in ("MMAUTHTOKEN", "MMUSERID", "MMCSRF"):
        assert cleared[name].value == "" and cleared[name]["max-age"] == "0"
    assert api.get("/api/v4/users/me", token=login.headers["Token"]).status == 401


def test_logout_without_a_session_is_ok(api):
    assert api.post("/api/v4/users/logout").json == {"status": "OK"}


def test_promoting_a_user_gives_their_live_session_the_new_permissions(api, admin, new_user):
    user = new_user()
    assert api.get("/api/v4/config", token=user.token).status == 403
    reply = api.put(f"/api/v4/users/{user.id}/roles", {"roles": "system_user system_admin"}, token=admin.token)
    assert reply.status == 200 and reply.json == {"status": "OK"}
    assert api.get("/api/v4/users/me", token=user.token).json["roles"] == "system_user system_admin"
    assert api.get("/api/v4/config", token=user.token).status == 200
    assert api.put(f"/api/v4/users/{user.id}/roles", {"roles": "system_user"}, token=admin.token).status == 200
    assert api.get("/api/v4/config", token=user.token).status == 403


def test_ordinary_user_cannot_change_roles(api, admin, new_user):
    user = new_user()
    reply = api.put("/api/v4/users/me/roles", {"roles": "system_user system_admin"}, token=user.token)
    assert (reply.status, reply.error_id) == (403, "api.context.permissions.app_error")
    assert api.get("/api/v4/users/me", token=user.token).json["roles"] == "system_user"


def test_changing_the_roles_of_an_unknown_user_is_404(api, admin):
    reply = api.put("/api/v4/users/" + "e" * 26 + "/roles", {"roles": "system_user"}, token=admin.token)
    assert (reply.status, reply.error_id) == (404, "app.user.missing_account.const")

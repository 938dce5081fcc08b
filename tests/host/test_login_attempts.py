"""Failed logins and new passwords on a real host, as Mattermost answers them: ServiceSettings.MaximumLoginAttempts
(app/authentication.go checkUserLoginAttempts), PUT /users/{id}/password (api4/user.go updatePassword) and
PasswordSettings (users.IsPasswordValidWithSettings).

Each test speaks from a loopback address of its own (127.0.0.N), so that the per-address budget of password checks
(test_login_throttle.py) is not what a test here meets."""
from __future__ import annotations

import concurrent.futures
import itertools

import pytest

from tests.host.conftest import USER_PASSWORD, Api
from tests.host.test_pages import Browser, inputs

TOO_MANY = "api.user.check_user_login_attempts.too_many.app_error"
INVALID = "api.user.login.invalid_credentials_email_username"
_addresses = itertools.count(2)


@pytest.fixture
def client(host) -> Api:
    """The test's own client, at an address of its own."""
    return Api(host.url, source_address=f"127.0.0.{next(_addresses)}")


def login(api, login_id: str, password: str):
    return api.post("/api/v4/users/login", {"login_id": login_id, "password": password})


def patch_config(api, admin, patch: dict):
    return api.put("/api/v4/config/patch", patch, token=admin.token)


@pytest.fixture
def config(api, admin):
    """Patch the configuration for one test; Mattermost's defaults come back afterwards."""
    def change(patch: dict) -> None:
        reply = patch_config(api, admin, patch)
        assert reply.status == 200, reply.body
    yield change
    defaults = {"ServiceSettings": {"MaximumLoginAttempts": 10},
                "PasswordSettings": {"MinimumLength": 8, "Lowercase": False, "Uppercase": False, "Number": False,
                                     "Symbol": False}}
    assert patch_config(api, admin, defaults).status == 200


def test_after_ten_wrong_passwords_even_the_right_one_is_refused(client, new_user):
    user = new_user()
    for _ in range(10):
        reply = login(client, user.username, "not-the-password")
        assert (reply.status, reply.error_id) == (401, INVALID)
    locked = login(client, user.username, USER_PASSWORD)
    assert (locked.status, locked.error_id) == (401, TOO_MANY)
    assert locked.json["message"] == ("Your account is locked because of too many failed password attempts. "
                                      "Please reset your password.")
    assert "Token" not in locked.headers
    assert (login(client, user.email, USER_PASSWORD).error_id) == TOO_MANY  # by email too: the account is locked


def test_a_right_password_resets_the_count(client, new_user):
    user = new_user()
    for _ in range(2):
        for _ in range(9):
            assert login(client, user.username, "not-the-password").status == 401
        assert login(client, user.username, USER_PASSWORD).status == 200


def test_admins_see_the_failure_count_and_the_user_their_own(client, admin, new_user):
    user, other = new_user(), new_user()
    assert login(client, user.username, "not-the-password").status == 401
    assert client.get(f"/api/v4/users/{user.id}", token=admin.token).json["failed_attempts"] == 1
    assert client.get("/api/v4/users/me", token=user.token).json["failed_attempts"] == 1
    assert "failed_attempts" not in client.get(f"/api/v4/users/{user.id}", token=other.token).json
    assert login(client, user.username, USER_PASSWORD).status == 200
    assert "failed_attempts" not in client.get(f"/api/v4/users/{user.id}", token=admin.token).json  # omitempty


def test_the_limit_follows_maximum_login_attempts(client, new_user, config):
    config({"ServiceSettings": {"MaximumLoginAttempts": 2}})
    user = new_user()
    assert [login(client, user.username, "wrong").error_id for _ in range(3)] == [INVALID, INVALID, TOO_MANY]


def test_concurrent_wrong_passwords_get_no_more_than_the_limit_between_them(client, new_user, config):
    """Mattermost's TestCheckPasswordAndAllCriteria: of concurrent failures, exactly the limit are password errors."""
    config({"ServiceSettings": {"MaximumLoginAttempts": 3}})
    user = new_user()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: login(client, user.username, "wrong"), range(8)))
    ids = sorted(reply.error_id for reply in replies)
    assert ids == sorted([INVALID] * 3 + [TOO_MANY] * 5)


def test_an_admin_setting_a_password_unlocks_the_account_and_ends_its_sessions(client, admin, new_user):
    user = new_user()
    for _ in range(10):
        login(client, user.username, "wrong")
    assert login(client, user.username, USER_PASSWORD).error_id == TOO_MANY
    reply = client.put(f"/api/v4/users/{user.id}/password", {"new_password": "Set-By-Admin-1"}, token=admin.token)
    assert (reply.status, reply.json) == (200, {"status": "OK"})
    assert client.get("/api/v4/users/me", token=user.token).status == 401  # the old session ended with the password
    assert login(client, user.username, USER_PASSWORD).error_id == INVALID
    fresh = login(client, user.username, "Set-By-Admin-1")
    assert fresh.status == 200
    assert fresh.json["last_password_update"] > fresh.json["create_at"]


def test_changing_ones_own_password_checks_and_counts_the_current_one(client, new_user, config):
    config({"ServiceSettings": {"MaximumLoginAttempts": 2}})
    user = new_user()
    path = f"/api/v4/users/{user.id}/password"
    missing = client.put(path, {"new_password": "Brand-New-Pass1"}, token=user.token)
    assert (missing.status, missing.error_id) == (400, "api.context.invalid_body_param.app_error")
    for _ in range(2):
        wrong = client.put(path, {"current_password": "wrong", "new_password": "Brand-New-Pass1"}, token=user.token)
        assert (wrong.status, wrong.error_id) == (400, "api.user.update_password.incorrect.app_error")
    locked = client.put(path, {"current_password": USER_PASSWORD, "new_password": "Brand-New-Pass1"}, token=user.token)
    assert (locked.status, locked.error_id) == (401, TOO_MANY)
    assert login(client, user.username, USER_PASSWORD).error_id == TOO_MANY  # the same count as logins


def test_a_password_change_keeps_the_callers_session_and_ends_the_others(client, new_user):
    user = new_user()
    other_session = login(client, user.username, USER_PASSWORD).headers["Token"]
    reply = client.put("/api/v4/users/me/password", {"current_password": USER_PASSWORD,
                                                   "new_password": "Brand-New-Pass1"}, token=user.token)
    assert reply.status == 200, reply.body
    assert client.get("/api/v4/users/me", token=user.token).status == 200
    assert client.get("/api/v4/users/me", token=other_session).status == 401
    assert login(client, user.username, USER_PASSWORD).status == 401
    assert login(client, user.username, "Brand-New-Pass1").status == 200


def test_nobody_else_sets_a_password_without_the_permission(client, admin, new_user):
    user, other = new_user(), new_user()
    for target, token in ((user.id, other.token), (admin.id, other.token), ("a" * 26, other.token)):
        reply = client.put(f"/api/v4/users/{target}/password", {"new_password": "Brand-New-Pass1"}, token=token)
        assert (reply.status, reply.error_id) == (403, "api.user.update_password.context.app_error")
    assert login(client, user.username, USER_PASSWORD).status == 200
    hashed = client.put(f"/api/v4/users/{user.id}/password", {"new_password": "x" * 60, "already_hashed": "true"},
                     token=admin.token)
    assert (hashed.status, hashed.error_id) == (400, "api.context.invalid_body_param.app_error")


def test_new_passwords_follow_mattermosts_default_minimum_of_eight(client, admin, new_user):
    created = client.post("/api/v4/users", {"email": "short@example.com", "username": "shorty", "password": "Seven77"},
                       token=admin.token)
    assert (created.status, created.error_id) == (400, "model.user.is_valid.pwd_min_length.app_error")
    assert created.json["message"] == "Your password must contain at least 8 characters."
    too_long = client.post("/api/v4/users", {"email": "long@example.com", "username": "longy", "password": "é" * 37},
                        token=admin.token)  # 74 bytes: Mattermost counts bytes
    assert (too_long.status, too_long.error_id) == (400, "model.user.is_valid.pwd_max_length.app_error")
    user = new_user()
    change = client.put("/api/v4/users/me/password", {"current_password": USER_PASSWORD, "new_password": "short"},
                     token=user.token)
    assert (change.status, change.error_id) == (400, "model.user.is_valid.pwd_min_length.app_error")
    assert login(client, user.username, USER_PASSWORD).status == 200  # unchanged


def test_password_settings_character_classes_apply_at_sign_up_creation_and_change(client, admin, new_user, config):
    config({"PasswordSettings": {"MinimumLength": 10, "Lowercase": True, "Uppercase": True, "Number": True,
                                 "Symbol": True}, "TeamSettings": {"EnableOpenServer": True}})
    try:
        signup = client.post("/api/v4/users", {"email": "s@example.com", "username": "signer",
                                               "password": "abcdefghij"})
        assert (signup.status, signup.error_id) == (400, "model.user.is_valid.pwd_uppercase_number_symbol.app_error")
        assert signup.json["message"] == (
            "Your password must contain at least 10 characters made up of at least one uppercase letter, at least "
            'one number, and at least one symbol (e.g. "~!@#$%^&*()").')
        created = client.post("/api/v4/users", {"email": "c@example.com", "username": "created",
                                             "password": "ABCDEFGHIJ1!"}, token=admin.token)
        assert created.error_id == "model.user.is_valid.pwd_lowercase.app_error"
        assert created.json["message"] == ("Your password must contain at least 10 characters made up of at least "
                                           "one lowercase letter.")
        short = client.post("/api/v4/users", {"email": "c@example.com", "username": "created", "password": "aB1!"},
                         token=admin.token)
        assert short.error_id == "model.user.is_valid.pwd_min_length.app_error"  # the length alone, as Mattermost
        ok = client.post("/api/v4/users", {"email": "c@example.com", "username": "created", "password": "Abcdefgh1!"},
                      token=admin.token)
        assert ok.status == 201, ok.body
        user = new_user()  # made with User-Passw0rd! (14 characters of every class)
        change = client.put("/api/v4/users/me/password", {"current_password": USER_PASSWORD,
                                                       "new_password": "abcdefgh12"}, token=user.token)
        assert (change.status, change.error_id) == (400, "model.user.is_valid.pwd_uppercase_symbol.app_error")
    finally:
        patch_config(client, admin, {"TeamSettings": {"EnableOpenServer": False}})


def test_the_sign_up_page_applies_the_password_settings(client, admin, config):
    config({"TeamSettings": {"EnableOpenServer": True}})
    try:
        browser = Browser(client)
        fields = {"email": "page@example.com", "username": "pageuser", "password": "short1",
                  "password_confirm": "short1"}
        page = browser.post("/signup", {**fields, "csrf": inputs(browser.get("/signup").body)["csrf"]})
        assert page.status == 400 and b"Your password must contain at least 8 characters." in page.body
    finally:
        patch_config(client, admin, {"TeamSettings": {"EnableOpenServer": False}})


def test_the_log_in_page_counts_failures_with_the_api(client, new_user):
    user = new_user()
    for _ in range(10):
        assert login(client, user.username, "wrong").status == 401
    browser = Browser(client)
    form = inputs(browser.get("/login").body)
    page = browser.post("/login", {**form, "login_id": user.username, "password": USER_PASSWORD})
    assert page.status == 401 and b"Your account is locked because of too many failed password attempts" in page.body


@pytest.mark.parametrize("patch, error_id", [
    ({"ServiceSettings": {"MaximumLoginAttempts": 0}}, "model.config.is_valid.login_attempts.app_error"),
    ({"PasswordSettings": {"MinimumLength": 4}}, "model.config.is_valid.password_length.app_error"),
    ({"PasswordSettings": {"MinimumLength": 73}}, "model.config.is_valid.password_length.app_error"),
])
def test_out_of_range_settings_are_refused_as_mattermost_refuses_them(client, admin, patch, error_id):
    reply = patch_config(client, admin, patch)
    assert (reply.status, reply.error_id) == (400, error_id)

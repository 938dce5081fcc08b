"""The host's account store on its own (no HTTP): session expiry on an injected clock, permissions as the union
of roles, the first-user rule, and the integrations setting's hold on system_user. Every test runs on SQLite and
on PostgreSQL (SqlSettings.DriverName "postgres"; a schema of its own on OAUTH_TEST_POSTGRES_DSN, see
tests/postgres.py)."""
from __future__ import annotations

import threading

import pytest

from server_stub.accounts import AccountError, Accounts, apply_integration_policy
from tests import postgres


class FakeClock:
    def __init__(self) -> None:
        self.ms = 1_700_000_000_000

    def now_ms(self) -> int:
        return self.ms


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(params=["sqlite", "postgres"])
def accounts(request, tmp_path, clock):
    if request.param == "sqlite":
        store = Accounts(str(tmp_path / "host.db"), clock=clock)
        yield store
        store.close()
        return
    with postgres.fresh_schema(postgres.require_dsn()) as dsn:
        store = Accounts(dsn, clock=clock, driver_name="postgres")
        yield store
        store.close()


def test_session_is_valid_until_it_expires_then_gone(accounts, clock):
    user = accounts.create_user("a@example.com", "alice", "passw0rd")
    token, record = accounts.create_session(user.id, 60_000)
    assert record.expires_at == clock.ms + 60_000
    clock.ms += 59_999
    assert accounts.caller_by_session_token(token).session.id == record.id
    clock.ms += 1
    assert accounts.caller_by_session_token(token) is None
    assert accounts.get_session(record.id) is None  # an expired session is deleted when met


def test_sessions_are_found_by_token_only(accounts):
    user = accounts.create_user("a@example.com", "alice", "passw0rd")
    token, record = accounts.create_session(user.id, 60_000)
    assert accounts.caller_by_session_token(record.id) is None
    assert accounts.caller_by_session_token(record.csrf_token) is None
    assert accounts.caller_by_session_token("") is None
    assert accounts.caller_by_session_token(token).user.id == user.id


def test_revoking_a_users_sessions_leaves_other_users_sessions(accounts):
    alice = accounts.create_user("a@example.com", "alice", "passw0rd")
    bob = accounts.create_user("b@example.com", "bob", "passw0rd")
    alice_tokens = [accounts.create_session(alice.id, 60_000)[0] for _ in range(2)]
    bob_token, _ = accounts.create_session(bob.id, 60_000)
    assert accounts.revoke_user_sessions(alice.id) == 2
    assert all(accounts.caller_by_session_token(t) is None for t in alice_tokens)
    assert accounts.caller_by_session_token(bob_token) is not None


def test_permissions_are_the_union_of_existing_live_roles(accounts):
    admin = accounts.permissions_for_roles("system_admin")
    user = accounts.permissions_for_roles("system_user")
    assert accounts.permissions_for_roles("system_user system_admin") == admin | user
    assert accounts.permissions_for_roles("system_user no_such_role") == user
    assert accounts.permissions_for_roles("") == frozenset()
    accounts._conn().execute("UPDATE roles SET delete_at = 1 WHERE name = 'system_admin'")
    assert accounts.permissions_for_roles("system_user system_admin") == user


@pytest.mark.parametrize("roles", ["system_user", "system_admin system_user", "system_user  no_such_role",
                                   "system_use", "system_user_extra", ""])
def test_a_caller_read_in_one_statement_has_exactly_its_roles_permissions(accounts, roles):
    """The joined read matches role names by substring in SQL and exactly in Python: no role is granted by a
    name that only contains another's, and none is lost."""
    user = accounts.create_user("a@example.com", "alice", "passw0rd", roles=roles)
    token, record = accounts.create_session(user.id, 60_000)
    by_session = accounts.caller_by_session_token(token)
    assert by_session.user == user and by_session.session == record
    assert by_session.permissions == accounts.permissions_for_roles(roles)
    by_id = accounts.caller_by_user_id(user.id)
    assert by_id.user == user and by_id.session is None and by_id.permissions == by_session.permissions


def test_a_deactivated_users_session_is_no_caller_and_is_deleted(accounts):
    user = accounts.create_user("a@example.com", "alice", "passw0rd")
    token, record = accounts.create_session(user.id, 60_000)
    accounts._conn().execute("UPDATE users SET delete_at = 1 WHERE id = ?", (user.id,))
    assert accounts.caller_by_user_id(user.id) is None
    assert accounts.caller_by_session_token(token) is None
    assert accounts.get_session(record.id) is None
    assert accounts.caller_by_user_id("no-such-user") is None


def test_a_session_and_its_caller_cost_one_statement(tmp_path, clock):
    accounts = Accounts(str(tmp_path / "host.db"), clock=clock)
    user = accounts.create_user("a@example.com", "alice", "passw0rd", roles="system_admin system_user")
    token, _ = accounts.create_session(user.id, 60_000)
    sent: list[str] = []
    accounts._conn().set_trace_callback(sent.append)
    assert accounts.caller_by_session_token(token) is not None
    assert accounts.caller_by_user_id(user.id) is not None
    accounts._conn().set_trace_callback(None)
    assert len(sent) == 2, sent
    accounts.close()


def test_first_sign_up_is_system_admin_and_later_ones_need_an_open_server(accounts):
    first = accounts.signup("a@example.com", "alice", "passw0rd", open_server=False)
    assert first.roles == "system_admin system_user"
    with pytest.raises(AccountError) as refused:
        accounts.signup("b@example.com", "bob", "passw0rd", open_server=False)
    assert (refused.value.status, refused.value.error_id) == (403, "api.user.create_user.no_open_server")
    assert accounts.signup("b@example.com", "bob", "passw0rd", open_server=True).roles == "system_user"


def test_deactivated_account_is_reported_only_with_the_right_password(accounts):
    user = accounts.create_user("a@example.com", "alice", "passw0rd")
    accounts.set_active(user.id, False)
    with pytest.raises(AccountError) as wrong:
        accounts.authenticate("alice", "wrong-password")
    assert wrong.value.error_id == "api.user.login.invalid_credentials_email_username"
    with pytest.raises(AccountError) as inactive:
        accounts.authenticate("alice", "passw0rd")
    assert inactive.value.error_id == "api.user.login.inactive.app_error"


def test_integration_setting_is_applied_only_when_its_value_changes(accounts):
    def user_can_manage_oauth() -> bool:
        return "manage_oauth" in accounts.get_role_by_name("system_user").permissions

    assert apply_integration_policy(accounts, only_admins=True) is False  # the default already holds
    assert apply_integration_policy(accounts, only_admins=False) is True
    assert user_can_manage_oauth()
    role = accounts.get_role_by_name("system_user")
    accounts.patch_role(role.id, [p for p in role.permissions if p != "manage_oauth"])
    assert apply_integration_policy(accounts, only_admins=False) is False  # same value: the patch stands
    assert not user_can_manage_oauth()
    apply_integration_policy(accounts, only_admins=True)
    apply_integration_policy(accounts, only_admins=False)
    assert user_can_manage_oauth()


def test_an_existing_email_or_username_is_refused_and_the_transaction_goes_on(accounts):
    accounts.create_user("a@example.com", "alice", "passw0rd")
    with pytest.raises(AccountError) as email:
        accounts.create_user("a@example.com", "alice2", "passw0rd")
    assert email.value.error_id == "app.user.save.email_exists.app_error"
    with pytest.raises(AccountError) as username:
        accounts.signup("b@example.com", "alice", "passw0rd", open_server=True)
    assert username.value.error_id == "app.user.save.username_exists.app_error"
    assert accounts.count_users() == 1


def test_concurrent_first_sign_ups_make_one_system_admin(accounts, monkeypatch):
    from server_stub.accounts import users

    monkeypatch.setattr(users, "hash_password", lambda password: "not-a-hash")  # all race at once
    barrier = threading.Barrier(8)
    roles: list[str] = []

    def sign_up(i: int) -> None:
        barrier.wait()
        roles.append(accounts.signup(f"u{i}@example.com", f"user{i}", "passw0rd", open_server=True).roles)

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(roles).count("system_admin system_user") == 1 and len(roles) == 8


def test_a_host_whose_database_stays_down_gives_up_with_one_clear_line(monkeypatch, tmp_path):
    """No traceback: `serve` prints this StartupError's message and exits 1 (waiting: tests/nodes/test_outage.py)."""
    import subprocess
    import sys

    from server_stub import host
    from server_stub.config import edit_config_file
    from tests.conftest import ROOT, free_port

    monkeypatch.setattr(host, "DATABASE_WAIT_SECONDS", 0.0)
    down = {"SqlSettings": {"DriverName": "postgres", "DataSource": f"postgresql://postgres@127.0.0.1:{free_port()}/x"}}
    with pytest.raises(host.StartupError, match="the database is unavailable"):
        host.wait_for_accounts(down)

    edit_config_file(str(tmp_path), lambda config: config.update(SqlSettings=down["SqlSettings"]))
    run = subprocess.run([sys.executable, "-c", "import sys; from server_stub import host, __main__; "
                          "host.DATABASE_WAIT_SECONDS = 0; sys.argv[1:] = ['serve', '--data-dir', sys.argv[1]]; "
                          "sys.exit(__main__.main())", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "cannot start: the database is unavailable" in run.stderr.splitlines()[-1]


OLD_USERS = """CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL, roles TEXT NOT NULL, first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '', nickname TEXT NOT NULL DEFAULT '', locale TEXT NOT NULL DEFAULT 'en',
    create_at BIGINT NOT NULL, update_at BIGINT NOT NULL, delete_at BIGINT NOT NULL DEFAULT 0);"""


@pytest.fixture(params=["sqlite", "postgres"])
def data_source(request, tmp_path):
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "host.db")
        return
    with postgres.fresh_schema(postgres.require_dsn()) as dsn:
        yield "postgres", dsn


def test_a_database_from_before_the_failure_count_gets_its_columns_and_keeps_its_users(data_source):
    from server_stub.accounts import hash_password, open_database

    driver, source = data_source
    old = open_database(driver, source)
    with old.transaction() as db:
        db.execute(OLD_USERS.rstrip(";"))
        db.execute("INSERT INTO users (id, username, email, password_hash, roles, create_at, update_at) "
                   "VALUES (?,?,?,?,?,?,?)", ("u" * 26, "olduser", "old@example.com", hash_password("Old-Passw0rd"),
                                              "system_user", 1, 1))
    old.close()
    for _ in range(2):  # and a second start finds them there
        accounts = Accounts(source, driver_name=driver)
        try:
            with pytest.raises(AccountError):
                accounts.authenticate("olduser", "wrong", max_attempts=2)
            assert accounts.get_user("u" * 26).failed_attempts == 1
            assert accounts.authenticate("olduser", "Old-Passw0rd").to_json()["last_password_update"] == 1
        finally:
            accounts.close()


def test_concurrent_wrong_passwords_take_no_more_than_the_limit(accounts):
    from server_stub.accounts import WrongPassword

    user = accounts.create_user("a@example.com", "alice", "passw0rd")
    barrier, outcomes = threading.Barrier(6), []

    def guess() -> None:
        barrier.wait()
        try:
            accounts.authenticate("alice", "wrong", max_attempts=4)
        except WrongPassword:
            outcomes.append("wrong")
        except AccountError as exc:
            outcomes.append(exc.error_id)

    threads = [threading.Thread(target=guess) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["api.user.check_user_login_attempts.too_many.app_error"] * 2 + ["wrong"] * 4
    assert accounts.get_user(user.id).failed_attempts == 4


@pytest.mark.parametrize("switches, password, error_id", [
    ({}, "1234567", "model.user.is_valid.pwd_min_length.app_error"),
    ({}, "x" * 73, "model.user.is_valid.pwd_max_length.app_error"),
    ({"Lowercase": True}, "ABCDEFGH", "model.user.is_valid.pwd_lowercase.app_error"),
    ({"Uppercase": True, "Number": True}, "abcdefgh", "model.user.is_valid.pwd_uppercase_number.app_error"),
    ({"Lowercase": True, "Uppercase": True, "Number": True, "Symbol": True}, "abcdefgh",
     "model.user.is_valid.pwd_uppercase_number_symbol.app_error"),
    ({"Symbol": True}, "abcdefg{}", "model.user.is_valid.pwd_symbol.app_error"),  # braces are no symbols there
    ({"Lowercase": True, "Uppercase": True, "Number": True, "Symbol": True}, "aB3 efgh", None),
])
def test_password_settings_make_mattermosts_error_ids(switches, password, error_id):
    from server_stub.accounts import PasswordRules, check_new_password

    rules = PasswordRules.from_config({"PasswordSettings": switches})
    if error_id is None:
        check_new_password(password, rules)
        return
    with pytest.raises(AccountError) as refused:
        check_new_password(password, rules)
    assert (refused.value.error_id, refused.value.status) == (error_id, 400)

"""sql.TOKEN_TABLES, the one list every revocation cascade walks (plugin/store/sql.py): the schema has no table of
tokens outside it, and a table added to it is revoked, deleted with its app and swept when expired, with no other
change. On every backend (the schema is read from sqlite_master or information_schema)."""
from __future__ import annotations

import pytest

from plugin.store import sql
from plugin.store.sql import BY_GRANT, BY_OWNER, TOKEN_TABLES, Sql, TokenTable
from plugin.store.sqlite import SqliteStore

from . import builders as b
from .builders import NOW

LINKS = ("grant_id", "user_id", "client_id")


def schema(store) -> dict[str, set[str]]:
    """Every table of the store's database with its columns."""
    if isinstance(store, SqliteStore):
        query = ("SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p"
                 " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'")
    else:
        query = "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
    tables: dict[str, set[str]] = {}
    for table, column in store._all(query, ()):
        tables.setdefault(table, set()).add(column)
    return tables


def test_every_table_with_a_grant_user_or_client_column_is_in_the_token_tables(store):
    tables = schema(store)
    linked = {name for name, columns in tables.items() if columns & set(LINKS)}
    assert linked - {sql.GRANTS, sql.CONSENTS, *sql.KEPT} == {t.name for t in TOKEN_TABLES}, (
        "a table of user, app or grant rows is missing from sql.TOKEN_TABLES (or from sql.KEPT, if no revocation"
        " may touch it)")
    assert {sql.GRANTS, sql.CONSENTS, *sql.KEPT} <= set(tables)


def test_every_token_table_has_the_columns_its_cascades_use(store):
    tables = schema(store)
    for table in TOKEN_TABLES:
        needed = {"grant_id", "expires_at"} | ({"user_id", "client_id"} if table.reached == BY_OWNER else set())
        assert needed <= tables[table.name], table.name


def test_tables_reached_by_owner_must_come_before_those_reached_by_grant():
    """The list is PostgreSQL's lock order: codes and their like before the grants, tokens after."""
    with pytest.raises(ValueError):
        Sql("sqlite", (TokenTable("oauth_access_tokens"), TokenTable("oauth_codes", BY_OWNER)))


# --- a new token table: one line in the list, and its migration -------------------------------------------------

NEW = {
    # A proof issued under a grant (DPoP's kind): its foreign key fails the grant's delete if a cascade missed it.
    BY_GRANT: ("oauth_test_proofs", "CREATE TABLE oauth_test_proofs (id TEXT NOT NULL PRIMARY KEY,"
               " grant_id TEXT NOT NULL REFERENCES oauth_grants (id), client_id TEXT NOT NULL,"
               " user_id TEXT NOT NULL, expires_at BIGINT NOT NULL)"),
    # A request handed out before a grant exists (a device code's kind): its foreign key fails the app's delete.
    BY_OWNER: ("oauth_test_requests", "CREATE TABLE oauth_test_requests (id TEXT NOT NULL PRIMARY KEY,"
               " client_id TEXT NOT NULL REFERENCES oauth_apps (id), user_id TEXT NOT NULL,"
               " expires_at BIGINT NOT NULL, grant_id TEXT NOT NULL DEFAULT '')"),
}


@pytest.fixture(params=[BY_GRANT, BY_OWNER])
def added(request, store):
    """The store with a new token table: its migration, and its line in the list."""
    name, ddl = NEW[request.param]
    store._write(lambda conn: conn.execute(ddl))
    line = TokenTable(name, BY_OWNER, "expires_at < ?") if request.param == BY_OWNER else TokenTable(name)
    tables = sorted([*TOKEN_TABLES, line], key=lambda t: (BY_OWNER, BY_GRANT).index(t.reached))
    store._sql = Sql(store._sql.dialect, tables)
    return store, line


def put(store, table: TokenTable, g, expires_at: int = NOW + b.HOUR_MS) -> str:
    """A row of the new table for grant `g` (its user and app)."""
    key = b.new_hash()
    store._write(lambda conn: conn.execute(
        f"INSERT INTO {table.name} (id, grant_id, client_id, user_id, expires_at) VALUES"
        f" ('{key}', '{g.id}', '{g.client_id}', '{g.user_id}', {expires_at})"))
    return key


def ids_in(store, table: TokenTable) -> set[str]:
    return {row[0] for row in store._all(f"SELECT id FROM {table.name}", ())}


def two_apps_two_users(store):
    app, other_app = b.app(), b.app()
    store.save_app(app)
    store.save_app(other_app)
    return app, other_app, b.new_id(), b.new_id()


def test_a_new_token_table_is_revoked_with_the_users_authorization_of_the_app(added):
    store, table = added
    app, other_app, user, other_user = two_apps_two_users(store)
    mine = b.authorize(store, app.id, user)
    others = [b.authorize(store, app.id, other_user), b.authorize(store, other_app.id, user)]
    row = put(store, table, mine.grant)
    left = {put(store, table, auth.grant) for auth in others}
    # Rows issued under a grant count as its tokens; rows reached by user and app, as codes, do not.
    assert store.revoke_user_app(user, app.id) == (3 if table.reached == BY_GRANT else 2)
    b.assert_gone(store, mine)
    assert ids_in(store, table) == left and row not in left
    for auth in others:
        b.assert_intact(store, auth)


def test_a_new_token_table_is_revoked_with_the_user(added):
    store, table = added
    app, other_app, user, other_user = two_apps_two_users(store)
    mine = [b.authorize(store, app.id, user), b.authorize(store, other_app.id, user)]
    other = b.authorize(store, app.id, other_user)
    for auth in mine:
        put(store, table, auth.grant)
    left = put(store, table, other.grant)
    store.revoke_user(user)
    assert ids_in(store, table) == {left}
    b.assert_intact(store, other)


def test_a_new_token_table_is_deleted_with_its_app(added):
    store, table = added
    app, other_app, user, _ = two_apps_two_users(store)
    put(store, table, b.authorize(store, app.id, user).grant)
    left = put(store, table, b.authorize(store, other_app.id, user).grant)
    assert store.delete_app(app.id) is True
    assert store.get_app(app.id) is None
    assert ids_in(store, table) == {left}


def test_a_grants_revocation_takes_the_rows_issued_under_it_and_leaves_those_reached_by_owner(added):
    """As revoke_grant takes the grant's tokens and leaves its user's codes."""
    store, table = added
    app, _, user, _ = two_apps_two_users(store)
    auth, other = b.authorize(store, app.id, user), b.authorize(store, app.id, user)
    row = put(store, table, auth.grant)
    left = put(store, table, other.grant)
    if table.reached == BY_GRANT:
        assert store.revoke_grant(auth.grant.id) == 3
        assert ids_in(store, table) == {left}
    else:
        assert store.revoke_grant(auth.grant.id) == 2
        assert ids_in(store, table) == {row, left}


def test_a_new_token_table_is_swept_when_expired_and_its_last_row_takes_the_grant(added):
    store, table = added
    app, _, user, _ = two_apps_two_users(store)
    g = b.grant(app.id, user)
    store.issue_tokens(g, b.access(g, expires_at=NOW - 1), None)
    put(store, table, g, expires_at=NOW - 1)
    live = put(store, table, b.authorize(store, app.id, user).grant)
    assert store.delete_expired(NOW) == 3  # the access token, the row, and the grant they leave empty
    assert ids_in(store, table) == {live}
    assert store.get_grant(g.id) is None

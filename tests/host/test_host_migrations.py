"""The host's numbered migrations on SQLite and PostgreSQL: a fresh database gets them all, a database from before
they were numbered (or from an earlier migration) keeps its data and gets the rest."""
from __future__ import annotations

import re

import pytest

from server_stub import permissions as perms
from server_stub.accounts import Accounts, open_database
from server_stub.accounts.migrate import VERSION_TABLE, migrate, migrations
from tests import postgres


@pytest.fixture(params=["sqlite", "postgres"])
def data_source(request, tmp_path):
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "host.db")
        return
    with postgres.fresh_schema(postgres.require_dsn()) as dsn:
        yield "postgres", dsn


def versions(db) -> list[int]:
    return [row[0] for row in db.reader().execute(f"SELECT version FROM {VERSION_TABLE} ORDER BY version")
            .fetchall()]


def test_a_fresh_database_gets_every_migration_once(data_source):
    driver, source = data_source
    latest = migrations("sqlite")[-1].version
    for _ in range(2):
        accounts = Accounts(source, driver_name=driver)
        try:
            assert versions(accounts.db) == list(range(1, latest + 1))
        finally:
            accounts.close()


def test_a_system_admin_role_from_before_teams_gains_the_team_and_channel_permissions(data_source):
    driver, source = data_source
    db = open_database(driver, source)
    try:
        migrate(db, 1, upto=1)
        # The role as the host seeded it before migration 2: every permission but those migration 2 names.
        added = set(re.search(r"\|\| ' ([a-z_ ]+)'", migrations(driver)[1].sql).group(1).split())
        before_teams = [p for p in perms.SYSTEM_ADMIN_PERMISSIONS if p not in added]
        with db.transaction() as conn:
            conn.execute("INSERT INTO roles (id, name, display_name, create_at, update_at, permissions, "
                         "scheme_managed, built_in) VALUES (?,?,?,?,?,?,1,1)",
                         ("r" * 26, perms.SYSTEM_ADMIN_ROLE, "admin", 1, 1, " ".join(before_teams)))
            conn.execute("INSERT INTO users (id, username, email, password_hash, roles, create_at, update_at) "
                         "VALUES (?,?,?,?,?,?,?)", ("u" * 26, "old", "old@example.com", "x", "system_admin", 1, 1))
    finally:
        db.close()
    accounts = Accounts(source, driver_name=driver)
    try:
        granted = accounts.permissions_for_roles(perms.SYSTEM_ADMIN_ROLE)
        assert set(perms.SYSTEM_ADMIN_PERMISSIONS) <= granted
        assert accounts.get_user("u" * 26).username == "old"  # the data of migration 1's tables is kept
        assert accounts.get_role_by_name(perms.TEAM_ADMIN_ROLE) is not None  # the new built-in roles are seeded
    finally:
        accounts.close()


def test_teams_channels_and_posts_live_in_the_store(data_source):
    driver, source = data_source
    accounts = Accounts(source, driver_name=driver)
    try:
        user = accounts.create_user("a@example.com", "alice", "passw0rd!")
        team = accounts.create_team(user.id, "store-team", "Store Team")
        channel = accounts.get_channel_by_name(team.id, "town-square")
        first = accounts.create_post(channel.id, user.id, "one")
        second = accounts.create_post(channel.id, user.id, "two", props={"k": ["v"]})
        assert second.create_at > first.create_at  # strictly increasing in a channel
        page = accounts.posts_page(channel.id, 0, 60)
        assert page.order == [second.id, first.id] and page.posts[second.id].props == {"k": ["v"]}
        assert accounts.get_channel(channel.id).total_msg_count == 2
        direct = accounts.direct_channel(user.id, user.id)
        assert accounts.direct_channel(user.id, user.id).id == direct.id
        assert [t.id for t in accounts.teams_for_user(user.id)] == [team.id]
        names = [c.name for c in accounts.channels_for_user(user.id, team.id)]
        assert names[-1] == direct.name and sorted(names[:-1]) == ["off-topic", "town-square"]
        assert len(accounts.channels_for_user(user.id, None)) == 3
        reply = accounts.create_post(channel.id, user.id, "three", root_id=first.id)
        around = accounts.posts_around(channel.id, first.id, False, 0, 60, True)
        assert around.order == [reply.id, second.id] and around.prev_post_id == first.id
        assert accounts.patch_post(second.id, "two, edited", None, True).edit_at > 0
        assert accounts.delete_post(first.id)  # and its reply
        assert accounts.posts_page(channel.id, 0, 60).order == [second.id]
        assert set(accounts.posts_since(channel.id, 0).order) == {first.id, second.id, reply.id}
        assert accounts.remove_team_member(team.id, user.id)
        assert accounts.channels_for_user(user.id, team.id) == [accounts.get_channel(direct.id)]
        assert accounts.add_team_member(team.id, user.id).roles == "team_user"
    finally:
        accounts.close()

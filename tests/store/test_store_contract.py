"""The store contract (plugin/store/contract.py), run against every implementation in conftest.BACKENDS.

Tests that port a Mattermost test name it ("Ports storetest X" refers to
server/channels/store/storetest/oauth_store.go, "Ports app X" to server/channels/app/oauth_test.go, "Ports web X"
to server/channels/web/oauth_test.go). Mattermost checks that belong to field validation (empty name, long
MattermostAppID, token lengths) live in the domain here and are not ported to the store.
"""
from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.store import migrations
from plugin.store.contract import AlreadyExists, Store, StoreError
from plugin.store.records import AuditRecord

from . import builders as b
from .builders import HOUR_MS, NOW

THREADS = 16


def race(n: int, attempt):
    """Run attempt(i) for i in range(n) on n threads released at the same instant; the results in order."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return attempt(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def authorized_apps(store: Store, user_id: str, offset: int, limit: int):
    """The apps of list_authorized_apps, without the consents' scopes."""
    return [app for app, _ in store.list_authorized_apps(user_id, offset, limit)]


def saved_app(store: Store, **fields):
    app = b.app(**fields)
    store.save_app(app)
    return app


# --- lifecycle ---------------------------------------------------------------------------------------------


def test_migrate_applies_every_migration_and_returns_the_latest_version(open_store):
    store = open_store()
    # Version numbers are shared by every dialect (test_migrations checks it), so any dialect's list will do.
    assert store.migrate() == migrations.latest_version("sqlite")
    # The schema is usable: a write and a read succeed.
    app = saved_app(store)
    assert store.get_app(app.id) == app


def test_migrate_is_idempotent_and_keeps_data(open_store):
    store = open_store()
    version = store.migrate()
    app = saved_app(store)
    assert store.migrate() == version
    assert open_store().migrate() == version  # a second handle finds the version recorded in the database
    assert store.get_app(app.id) == app


def test_schema_version_is_0_on_a_database_never_migrated_and_creates_nothing(open_store, tmp_path):
    fresh = open_store()
    assert fresh.schema_version() == 0
    assert fresh.schema_version() == 0  # asking created no schema_version table
    assert not (tmp_path / "data").exists()  # nor (SQLite) a directory or a file
    version = fresh.migrate()
    assert open_store().schema_version() == version == migrations.latest_version("sqlite")


def test_concurrent_migrations_from_several_handles_agree_on_the_version(open_store):
    stores = [open_store() for _ in range(4)]
    versions = race(len(stores), lambda i: stores[i].migrate())
    assert len(set(versions)) == 1 and versions[0] >= 1
    saved_app(stores[0])  # the schema was created once and is usable


def test_reopened_store_still_has_the_data(open_store):
    first = open_store()
    first.migrate()
    app = saved_app(first)
    auth = b.authorize(first, app.id, b.new_id())
    first.close()

    second = open_store()
    second.migrate()
    assert second.get_app(app.id) == app
    b.assert_intact(second, auth)


def test_methods_raise_store_error_before_migrate(open_store):
    store = open_store()
    with pytest.raises(StoreError):
        store.get_app(b.new_id())
    with pytest.raises(StoreError):
        store.save_app(b.app())


def test_methods_raise_store_error_after_close(store):
    app = saved_app(store)
    store.close()
    with pytest.raises(StoreError):
        store.get_app(app.id)
    with pytest.raises(StoreError):
        store.save_app(b.app())


# --- apps --------------------------------------------------------------------------------------------------


def test_save_app_then_get_app_returns_every_field(store):
    app = b.app(
        is_trusted=True, is_dynamically_registered=True, mattermost_app_id="com.example.app",
        callback_urls=["https://a.example/cb?x=1", "cursor://anysphere.cursor-mcp/oauth/callback"],
    )
    store.save_app(app)
    assert store.get_app(app.id) == app


def test_public_client_app_keeps_an_empty_secret_hash(store):
    app = saved_app(store, client_secret_hash="", creator_id="")
    got = store.get_app(app.id)
    assert got.client_secret_hash == "" and got.creator_id == ""


def test_save_app_with_a_taken_id_raises_already_exists_and_keeps_the_first(store):
    """Ports storetest SaveApp: saving over an existing id fails."""
    first = saved_app(store, name="first")
    with pytest.raises(AlreadyExists):
        store.save_app(b.app(id=first.id, name="second"))
    assert store.get_app(first.id).name == "first"


def test_get_app_of_unknown_id_returns_none(store):
    """Ports storetest GetApp: an unknown id is not found; a saved one is."""
    assert store.get_app(b.new_id()) is None
    app = saved_app(store)
    assert store.get_app(app.id) == app


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    # NUL is excluded: PostgreSQL TEXT cannot hold it, and the domain's validation rejects it first. Lone
    # surrogates are excluded: they are not UTF-8, so neither protobuf strings nor the host's JSON carry them.
    text=st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=80),
    urls=st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                          max_size=40), max_size=5),
)
def test_app_text_fields_round_trip_unchanged(store, text, urls):
    app = b.app(name=text, description=text, homepage=text, icon_url=text, callback_urls=urls,
                mattermost_app_id=text)
    store.save_app(app)
    assert store.get_app(app.id) == app


def test_list_apps_orders_by_create_at_then_id_and_pages(store):
    """Ports storetest GetApp (GetApps) and api4 TestGetOAuthApps paging (page 1, per_page 1 returns 1)."""
    apps = [saved_app(store, create_at=NOW + t) for t in (3, 1, 2)]
    apps += [saved_app(store, id=i, create_at=NOW + 2) for i in ("z" * 26, "a" * 26)]  # ties broken by id
    expected = sorted(apps, key=lambda a: (a.create_at, a.id))
    assert store.list_apps(0, 100) == expected
    assert store.list_apps(1, 1) == expected[1:2]
    assert store.list_apps(2, 2) == expected[2:4]
    assert store.list_apps(4, 10) == expected[4:]
    assert store.list_apps(5, 10) == []


def test_list_apps_with_a_non_positive_limit_returns_nothing(store):
    saved_app(store)
    assert store.list_apps(0, 0) == []
    assert store.list_apps(0, -1) == []


def test_list_apps_filters_by_creator(store):
    """Ports storetest GetApp (GetAppByUser of an unknown user is empty) and api4 TestGetOAuthApps (own apps)."""
    alice, bob = b.new_id(), b.new_id()
    alices = [saved_app(store, creator_id=alice, create_at=NOW + i) for i in range(3)]
    bobs = [saved_app(store, creator_id=bob)]
    assert store.list_apps(0, 10, creator_id=alice) == alices
    assert store.list_apps(1, 1, creator_id=alice) == alices[1:2]
    assert store.list_apps(0, 10, creator_id=bob) == bobs
    assert store.list_apps(0, 10, creator_id=b.new_id()) == []
    assert len(store.list_apps(0, 10)) == 4


def test_edit_app_overwrites_every_column(store):
    """Ports storetest UpdateApp (unknown id fails). Mattermost's store also keeps CreateAt and CreatorId; here
    the contract overwrites every column and the domain decides which fields are immutable."""
    app = saved_app(store)
    changed = b.app(id=app.id, is_trusted=True, is_dynamically_registered=True, mattermost_app_id="x",
                    create_at=NOW + 5, update_at=NOW + 9, callback_urls=["https://new.example/cb"])
    seen = []
    assert store.edit_app(app.id, lambda old: seen.append(old) or changed) == changed
    assert seen == [app] and store.get_app(app.id) == changed


def test_edit_app_of_unknown_id_returns_none_and_creates_nothing(store):
    ghost = b.app()
    assert store.edit_app(ghost.id, lambda old: ghost) is None
    assert store.get_app(ghost.id) is None


def test_update_app_revokes_nothing(store):
    """Mattermost lifecycle (reference 3.8): updating an app, even its callbacks, keeps tokens, codes, consent."""
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    store.edit_app(app.id, lambda old: dataclasses.replace(old, callback_urls=["https://other.example/cb"],
                                                           client_secret_hash=""))
    b.assert_intact(store, auth)


def test_delete_app_removes_the_app_and_all_its_consents_codes_grants_and_tokens(store):
    """Ports storetest DeleteApp and app TestOAuthDeleteApp: the app's tokens no longer resolve."""
    app = saved_app(store)
    auths = [b.authorize(store, app.id, b.new_id()) for _ in range(2)]
    assert store.delete_app(app.id) is True
    assert store.get_app(app.id) is None
    for auth in auths:
        b.assert_gone(store, auth)
    assert authorized_apps(store, auths[0].user_id, 0, 10) == []


def test_delete_app_also_removes_rotated_refresh_tokens(store):
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    new_access = b.access(auth.grant)
    assert store.rotate_refresh_token(auth.refresh.token_hash, NOW, new_access, b.refresh(auth.grant))
    store.delete_app(app.id)
    assert store.get_refresh_token(auth.refresh.token_hash) is None
    assert store.get_access_token(new_access.token_hash) is None


def test_delete_app_leaves_other_apps_intact(store):
    app, other = saved_app(store), saved_app(store)
    user = b.new_id()
    b.authorize(store, app.id, user)
    kept = b.authorize(store, other.id, user)
    store.delete_app(app.id)
    assert store.get_app(other.id) == other
    b.assert_intact(store, kept)
    assert authorized_apps(store, user, 0, 10) == [other]


def test_delete_app_of_unknown_id_returns_false(store):
    """Ports storetest DeleteApp: deleting a fake id is not an error."""
    saved_app(store)
    assert store.delete_app(b.new_id()) is False
    assert len(store.list_apps(0, 10)) == 1


# --- consent -----------------------------------------------------------------------------------------------


def test_save_consent_then_get_consent(store):
    app = saved_app(store)
    c = b.consent(b.new_id(), app.id, scope="user")
    store.save_consent(c)
    assert store.get_consent(c.user_id, app.id) == c


def test_save_consent_replaces_the_previous_one(store):
    app = saved_app(store)
    user = b.new_id()
    store.save_consent(b.consent(user, app.id, scope="user", create_at=NOW))
    newer = b.consent(user, app.id, scope="user read", create_at=NOW + 10)
    store.save_consent(newer)
    assert store.get_consent(user, app.id) == newer
    assert authorized_apps(store, user, 0, 10) == [app]  # still one consent


def test_get_consent_is_per_user_and_per_app(store):
    app, other = saved_app(store), saved_app(store)
    user = b.new_id()
    store.save_consent(b.consent(user, app.id))
    assert store.get_consent(user, other.id) is None
    assert store.get_consent(b.new_id(), app.id) is None


def test_list_authorized_apps_lists_only_apps_the_user_consented_to(store):
    """Ports storetest OAuthGetAuthorizedApps: empty for an unknown user, non-empty after consent."""
    user, someone_else = b.new_id(), b.new_id()
    consented = [saved_app(store, create_at=NOW + i) for i in (2, 1)]
    not_consented = saved_app(store)
    for app in consented:
        store.save_consent(b.consent(user, app.id))
    store.save_consent(b.consent(someone_else, not_consented.id))
    assert authorized_apps(store, b.new_id(), 0, 10) == []
    assert authorized_apps(store, user, 0, 10) == sorted(consented, key=lambda a: (a.create_at, a.id))
    assert authorized_apps(store, someone_else, 0, 10) == [not_consented]


def test_list_authorized_apps_carries_each_consents_scope_and_apps_keep_their_allowed_scopes(store):
    user = b.new_id()
    restricted = saved_app(store, allowed_scopes=["posts:read", "posts:write"])
    assert store.get_app(restricted.id).allowed_scopes == ["posts:read", "posts:write"]
    store.save_consent(dataclasses.replace(b.consent(user, restricted.id), scope="posts:read"))
    assert store.list_authorized_apps(user, 0, 10) == [(restricted, "posts:read")]
    store.edit_app(restricted.id, lambda old: dataclasses.replace(old, allowed_scopes=[], update_at=old.update_at + 1))
    assert store.get_app(restricted.id).allowed_scopes == []


def test_list_authorized_apps_pages(store):
    user = b.new_id()
    apps = [saved_app(store, create_at=NOW + i) for i in range(5)]
    for app in apps:
        store.save_consent(b.consent(user, app.id))
    assert authorized_apps(store, user, 0, 2) == apps[0:2]
    assert authorized_apps(store, user, 2, 2) == apps[2:4]
    assert authorized_apps(store, user, 4, 2) == apps[4:]
    assert authorized_apps(store, user, 0, 0) == []


# --- authorization codes -----------------------------------------------------------------------------------


def test_save_code_then_get_code_returns_every_field(store):
    """Ports storetest SaveAuthData / GetAuthData."""
    app = saved_app(store)
    c = b.code(app.id, b.new_id(), code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
               code_challenge_method="S256", resource="https://api.example.com", state="s" * 1024)
    store.save_code(c)
    assert store.get_code(c.code_hash) == c
    assert store.get_code(b.new_hash()) is None


def test_save_code_with_a_taken_hash_raises_already_exists(store):
    app = saved_app(store)
    c = b.code(app.id, b.new_id())
    store.save_code(c)
    with pytest.raises(AlreadyExists):
        store.save_code(dataclasses.replace(c, user_id=b.new_id()))
    assert store.get_code(c.code_hash) == c


def test_save_code_for_an_unknown_app_raises_store_error(store):
    c = b.code(b.new_id(), b.new_id())
    with pytest.raises(StoreError):
        store.save_code(c)
    assert store.get_code(c.code_hash) is None


def test_redeem_code_spends_the_code_links_it_and_stores_grant_access_and_refresh(store):
    """Ports storetest SaveAccessData and GetAccessData (by token, by refresh token); `issue` sees the code row as
    the conditional UPDATE wrote it."""
    app = saved_app(store)
    c = b.code(app.id, b.new_id())
    store.save_code(c)
    expires = NOW + 90 * 24 * HOUR_MS

    def tokens(g):
        a = b.access(g)
        return a, b.refresh(g, a.token_hash, expires_at=expires)

    issued = b.redeem(store, c, NOW + 5, tokens, audience="https://api.example.com")
    g = issued.grant
    assert issued.result == dataclasses.replace(c, used_at=NOW + 5, grant_id=g.id)
    assert store.get_code(c.code_hash) == issued.result
    assert store.get_grant(g.id) == g
    assert store.get_access_token(issued.access.token_hash) == issued.access
    assert store.get_refresh_token(issued.refresh.token_hash) == issued.refresh


def test_redeem_code_a_second_time_returns_none(store):
    """Ports web TestOAuthAccessToken ("re-using the code → error"): a code is single-use."""
    app = saved_app(store)
    c = b.code(app.id, b.new_id())
    store.save_code(c)
    first = b.redeem(store, c, NOW + 5)
    assert b.redeem(store, c, NOW + 6) is None
    assert store.get_code(c.code_hash).used_at == NOW + 5  # the loser does not overwrite the first use
    assert store.get_code(c.code_hash).grant_id == first.grant.id


def test_redeem_code_of_unknown_hash_returns_none(store):
    app = saved_app(store)
    assert b.redeem(store, b.code(app.id, b.new_id()), NOW) is None


def test_redeem_code_refuses_another_clients_code_and_an_expired_one_and_changes_nothing(store):
    app = saved_app(store)
    c = b.code(app.id, b.new_id(), create_at=NOW, expires_in=600)
    store.save_code(c)
    assert b.redeem(store, dataclasses.replace(c, client_id=saved_app(store).id), NOW) is None
    assert b.redeem(store, c, NOW + 600_001) is None
    assert store.get_code(c.code_hash) == c
    assert b.redeem(store, c, NOW + 600_000) is not None  # the last moment


def test_a_refused_redemption_spends_the_code_and_writes_nothing_else(store):
    """The provider refuses inside `issue` (wrong redirect_uri, PKCE verifier, resource): the code is burnt, so a
    verifier cannot be guessed over several tries."""
    app = saved_app(store)
    c = b.code(app.id, b.new_id())
    store.save_code(c)
    b.burn(store, c, NOW)
    assert store.get_code(c.code_hash).used_at == NOW
    assert b.redeem(store, c, NOW) is None
    assert store.get_code(c.code_hash).used_at == NOW


def test_a_redemption_whose_tokens_cannot_be_written_changes_nothing(store):
    """All or nothing: when the grant or a token cannot be inserted, the code is not spent either."""
    app = saved_app(store)
    g0 = b.grant(app.id, b.new_id())
    taken = b.refresh(g0)
    store.issue_tokens(g0, b.access(g0), taken)
    c = b.code(app.id, g0.user_id)
    store.save_code(c)
    made = []

    def colliding(g):
        a = b.access(g)
        made.append((g, a))
        return a, b.refresh(g, a.token_hash, token_hash=taken.token_hash)

    with pytest.raises(StoreError):
        b.redeem(store, c, NOW, colliding)
    g, a = made[-1]
    assert store.get_grant(g.id) is None and store.get_access_token(a.token_hash) is None
    assert store.get_code(c.code_hash) == c
    assert b.redeem(store, c, NOW) is not None


def test_redeem_code_has_exactly_one_winner_across_threads(store):
    app = saved_app(store)
    for _ in range(10):
        c = b.code(app.id, b.new_id())
        store.save_code(c)
        results = race(THREADS, lambda i: b.redeem(store, c, NOW + i))
        winners = [i for i, r in enumerate(results) if r is not None]
        assert len(winners) == 1
        assert store.get_code(c.code_hash).used_at == NOW + winners[0]


def test_redeem_code_has_exactly_one_winner_across_store_handles(open_store):
    """Two handles stand for two processes (or two nodes) on one database."""
    stores = [open_store() for _ in range(4)]
    stores[0].migrate()
    app = saved_app(stores[0])
    for _ in range(5):
        c = b.code(app.id, b.new_id())
        stores[0].save_code(c)
        results = race(THREADS, lambda i: b.redeem(stores[i % len(stores)], c, NOW))
        assert sum(r is not None for r in results) == 1


# --- grants and tokens -------------------------------------------------------------------------------------


def test_issue_tokens_without_refresh_token_stores_only_the_access_token(store):
    """Public and implicit clients get no refresh token."""
    app = saved_app(store)
    g = b.grant(app.id, b.new_id())
    a = b.access(g)
    store.issue_tokens(g, a, None)
    assert store.get_access_token(a.token_hash) == a
    assert store.get_grant(g.id) == g


def test_issue_tokens_under_an_existing_grant(store):
    app = saved_app(store)
    g = b.grant(app.id, b.new_id())
    first = b.access(g)
    store.issue_tokens(g, first, None)
    second = b.access(g)
    store.issue_tokens(None, second, b.refresh(g, second.token_hash))
    assert store.get_access_token(first.token_hash) == first
    assert store.get_access_token(second.token_hash) == second


def test_issue_tokens_under_an_unknown_grant_raises_store_error(store):
    saved_app(store)
    a = b.access(b.grant(b.new_id(), b.new_id()))
    with pytest.raises(StoreError):
        store.issue_tokens(None, a, None)
    assert store.get_access_token(a.token_hash) is None


def test_unknown_tokens_and_grants_are_none(store):
    """Ports storetest GetAccessData: an invalid token is not found; GetPreviousAccessData of unknown ids is
    empty without error; GetAccessDataByRefreshToken with an access token finds nothing."""
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    assert store.get_access_token(b.new_hash()) is None
    assert store.get_refresh_token(b.new_hash()) is None
    assert store.get_grant(b.new_id()) is None
    assert store.get_refresh_token(auth.access.token_hash) is None
    assert store.get_access_token(auth.refresh.token_hash) is None


def test_rotate_refresh_token_marks_the_old_one_and_replaces_its_access_token(store):
    """Ports storetest OAuthUpdateAccessData (the refresh token is changed) and web TestOAuthAccessToken
    (refresh gives a new refresh token ≠ the old; a second refresh with the new one works)."""
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    a2 = b.access(auth.grant)
    r2 = b.refresh(auth.grant, a2.token_hash)
    assert store.rotate_refresh_token(auth.refresh.token_hash, NOW + 7, a2, r2) is True
    old = store.get_refresh_token(auth.refresh.token_hash)
    assert old.rotated_at == NOW + 7 and old.successor_hash == r2.token_hash
    assert store.get_access_token(auth.access.token_hash) is None  # issued with the old refresh token
    assert store.get_access_token(a2.token_hash) == a2
    assert store.get_refresh_token(r2.token_hash) == r2

    a3 = b.access(auth.grant)
    r3 = b.refresh(auth.grant, a3.token_hash)
    assert store.rotate_refresh_token(r2.token_hash, NOW + 8, a3, r3) is True
    assert store.get_access_token(a2.token_hash) is None
    assert store.get_refresh_token(r3.token_hash) == r3


def test_rotate_refresh_token_a_second_time_returns_false_and_changes_nothing(store):
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    a2, r2 = b.access(auth.grant), b.refresh(auth.grant)
    assert store.rotate_refresh_token(auth.refresh.token_hash, NOW + 1, a2, r2)
    a3, r3 = b.access(auth.grant), b.refresh(auth.grant)
    assert store.rotate_refresh_token(auth.refresh.token_hash, NOW + 2, a3, r3) is False
    assert store.get_access_token(a3.token_hash) is None
    assert store.get_refresh_token(r3.token_hash) is None
    assert store.get_access_token(a2.token_hash) == a2  # the first successor is untouched
    old = store.get_refresh_token(auth.refresh.token_hash)
    assert old.rotated_at == NOW + 1 and old.successor_hash == r2.token_hash


def test_rotate_refresh_token_of_unknown_hash_returns_false_and_inserts_nothing(store):
    app = saved_app(store)
    g = b.grant(app.id, b.new_id())
    store.issue_tokens(g, b.access(g), None)
    a = b.access(g)
    assert store.rotate_refresh_token(b.new_hash(), NOW, a, b.refresh(g)) is False
    assert store.get_access_token(a.token_hash) is None


def test_rotate_refresh_token_without_successor(store):
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    a2 = b.access(auth.grant)
    assert store.rotate_refresh_token(auth.refresh.token_hash, NOW, a2, None) is True
    old = store.get_refresh_token(auth.refresh.token_hash)
    assert old.rotated_at == NOW and old.successor_hash == ""
    assert store.get_access_token(a2.token_hash) == a2


def test_rotate_refresh_token_is_all_or_nothing(store):
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    new_access = b.access(auth.grant)
    taken = b.refresh(auth.grant, token_hash=auth.refresh.token_hash)  # the successor's insert fails
    with pytest.raises(StoreError):
        store.rotate_refresh_token(auth.refresh.token_hash, NOW, new_access, taken)
    # Neither the rotation mark, nor the deletion of the old access token, nor the new access token remain.
    assert store.get_refresh_token(auth.refresh.token_hash).rotated_at is None
    assert store.get_access_token(auth.access.token_hash) == auth.access
    assert store.get_access_token(new_access.token_hash) is None


def test_rotate_refresh_token_gives_exactly_one_true_across_threads(store):
    app = saved_app(store)
    for _ in range(5):
        auth = b.authorize(store, app.id, b.new_id())
        successors = [(b.access(auth.grant), b.refresh(auth.grant)) for _ in range(THREADS)]
        results = race(
            THREADS,
            lambda i: store.rotate_refresh_token(auth.refresh.token_hash, NOW, *successors[i]),
        )
        assert results.count(True) == 1
        winner = results.index(True)
        assert store.get_refresh_token(auth.refresh.token_hash).successor_hash == successors[winner][1].token_hash
        issued = [i for i, (a, r) in enumerate(successors)
                  if store.get_access_token(a.token_hash) or store.get_refresh_token(r.token_hash)]
        assert issued == [winner]


def test_rotated_refresh_token_is_kept_for_reuse_detection(store):
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    store.rotate_refresh_token(auth.refresh.token_hash, NOW, b.access(auth.grant), b.refresh(auth.grant))
    store.delete_expired(NOW + 24 * HOUR_MS)  # no absolute lifetime (expires_at 0): not expired
    old = store.get_refresh_token(auth.refresh.token_hash)
    assert old is not None and old.rotated_at == NOW


def test_revoke_access_token_deletes_only_that_token(store):
    """Ports storetest RemoveAccessData."""
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    assert store.revoke_access_token(auth.access.token_hash) is True
    assert store.get_access_token(auth.access.token_hash) is None
    assert store.get_refresh_token(auth.refresh.token_hash) is not None
    assert store.revoke_access_token(auth.access.token_hash) is False


def test_revoke_grant_deletes_every_token_of_the_grant_including_rotated_ones(store):
    """Ports storetest RemoveAllAccessData (afterwards nothing is found)."""
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    a2, r2 = b.access(auth.grant), b.refresh(auth.grant)
    store.rotate_refresh_token(auth.refresh.token_hash, NOW, a2, r2)
    extra = b.access(auth.grant)
    store.issue_tokens(None, extra, None)
    # old refresh (rotated) + r2 + a2 + extra; the first access token went with the rotation.
    assert store.revoke_grant(auth.grant.id) == 4
    for h in (auth.refresh.token_hash, r2.token_hash):
        assert store.get_refresh_token(h) is None
    for h in (a2.token_hash, extra.token_hash):
        assert store.get_access_token(h) is None
    assert store.revoke_grant(auth.grant.id) == 0


def test_revoke_grant_leaves_other_grants_intact(store):
    app = saved_app(store)
    user = b.new_id()
    revoked = b.authorize(store, app.id, user)
    kept = b.authorize(store, app.id, user)  # same user and app, another grant
    store.revoke_grant(revoked.grant.id)
    b.assert_intact(store, kept)


def test_revoke_user_app_removes_tokens_grants_codes_and_consent(store):
    """Ports app TestDeauthorizeOAuthApp: after deauthorization the code is not found."""
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    assert store.revoke_user_app(auth.user_id, app.id) == 2
    b.assert_gone(store, auth)
    assert b.redeem(store, auth.pending_code, NOW) is None
    assert authorized_apps(store, auth.user_id, 0, 10) == []
    assert store.get_app(app.id) == app


def test_revoke_user_app_leaves_other_users_and_other_apps_intact(store):
    app, other_app = saved_app(store), saved_app(store)
    user, other_user = b.new_id(), b.new_id()
    revoked = b.authorize(store, app.id, user)
    kept = [
        b.authorize(store, other_app.id, user),
        b.authorize(store, app.id, other_user),
        b.authorize(store, other_app.id, other_user),
    ]
    store.revoke_user_app(user, app.id)
    b.assert_gone(store, revoked)
    for auth in kept:
        b.assert_intact(store, auth)
    assert authorized_apps(store, user, 0, 10) == [other_app]


def test_revoke_user_app_of_unknown_pair_is_not_an_error(store):
    """Ports api4/web TestDeauthorizeOAuthApp: deauthorizing a random valid id is ok."""
    app = saved_app(store)
    kept = b.authorize(store, app.id, b.new_id())
    assert store.revoke_user_app(b.new_id(), b.new_id()) == 0
    b.assert_intact(store, kept)


def test_revoke_user_removes_everything_of_the_user_for_all_apps(store):
    """Ports app TestDeactivatedUserOAuthApp (the pending code can no longer be exchanged) and storetest
    RemoveAuthDataByUser."""
    apps = [saved_app(store) for _ in range(3)]
    user, other_user = b.new_id(), b.new_id()
    revoked = [b.authorize(store, app.id, user) for app in apps]
    kept = [b.authorize(store, app.id, other_user) for app in apps]
    assert store.revoke_user(user) == 2 * len(apps)
    for auth in revoked:
        b.assert_gone(store, auth)
        assert b.redeem(store, auth.pending_code, NOW) is None
    for auth in kept:
        b.assert_intact(store, auth)
    assert authorized_apps(store, user, 0, 10) == []


# --- expiry ------------------------------------------------------------------------------------------------


def test_delete_expired_removes_expired_codes_used_or_not_and_keeps_live_ones(store):
    """Ports storetest RemoveAuthData (a removed code is not found) and web TestOAuthAccessToken (a code saved
    with ExpiresIn -1 is already expired)."""
    app = saved_app(store)
    user = b.new_id()
    expired = b.code(app.id, user, create_at=NOW - 601_000, expires_in=600)
    used_expired = b.code(app.id, user, create_at=NOW - 601_000, expires_in=600)
    negative = b.code(app.id, user, create_at=NOW, expires_in=-1)
    at_boundary = b.code(app.id, user, create_at=NOW - 600_000, expires_in=600)  # expires at NOW: not yet
    live = b.code(app.id, user, create_at=NOW, expires_in=600)
    for c in (expired, used_expired, negative, at_boundary, live):
        store.save_code(c)
    b.burn(store, used_expired, NOW - 600_500)
    assert store.delete_expired(NOW) == 3
    for c in (expired, used_expired, negative):
        assert store.get_code(c.code_hash) is None
    for c in (at_boundary, live):
        assert store.get_code(c.code_hash) == c


def test_delete_expired_removes_expired_tokens_and_keeps_unlimited_and_live_ones(store):
    app = saved_app(store)
    g = b.grant(app.id, b.new_id())
    expired_access = b.access(g, expires_at=NOW - 1)
    live_access = b.access(g, expires_at=NOW)  # expires at NOW: not yet
    unlimited_access = b.access(g, expires_at=0)
    expired_refresh = b.refresh(g, expires_at=NOW - 1)
    unlimited_refresh = b.refresh(g, expires_at=0, create_at=0, last_used_at=0)
    live_refresh = b.refresh(g, expires_at=NOW + 1)
    store.issue_tokens(g, expired_access, expired_refresh)
    store.issue_tokens(None, live_access, unlimited_refresh)
    store.issue_tokens(None, unlimited_access, live_refresh)
    assert store.delete_expired(NOW) == 2
    assert store.get_access_token(expired_access.token_hash) is None
    assert store.get_refresh_token(expired_refresh.token_hash) is None
    for a in (live_access, unlimited_access):
        assert store.get_access_token(a.token_hash) == a
    for r in (unlimited_refresh, live_refresh):
        assert store.get_refresh_token(r.token_hash) == r
    assert store.get_grant(g.id) == g  # it still has tokens


def test_delete_expired_removes_a_grant_left_without_tokens_or_code(store):
    app = saved_app(store)
    user = b.new_id()
    c = b.code(app.id, user, create_at=NOW - HOUR_MS)
    store.save_code(c)
    g = b.redeem(store, c, NOW - HOUR_MS, lambda g: (b.access(g, expires_at=NOW - 1), None)).grant
    kept = b.grant(app.id, user)  # its access token expired but its refresh token lives on
    store.issue_tokens(kept, b.access(kept, expires_at=NOW - 1), b.refresh(kept, expires_at=0))
    assert store.delete_expired(NOW) == 4  # the code, two access tokens, the emptied grant
    assert store.get_grant(g.id) is None
    assert store.get_grant(kept.id) == kept


def test_delete_expired_keeps_a_grant_whose_code_is_still_live(store):
    app = saved_app(store)
    user = b.new_id()
    c = b.code(app.id, user)
    store.save_code(c)
    g = b.redeem(store, c, NOW, lambda g: (b.access(g, expires_at=NOW - 1), None)).grant
    # The code can still be replayed; its grant must remain findable for that.
    assert store.delete_expired(NOW) == 1
    assert store.get_grant(g.id) == g


def test_delete_expired_with_nothing_expired_removes_nothing(store):
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    assert store.delete_expired(NOW) == 0
    b.assert_intact(store, auth)


# --- concurrency of ordinary writes ------------------------------------------------------------------------


def test_concurrent_writers_serialise_without_errors(store):
    app = saved_app(store)

    def work(i):
        user = b.new_id()
        for _ in range(5):
            b.authorize(store, app.id, user)
        if i % 2:
            store.revoke_user_app(user, app.id)
        return user

    users = race(THREADS, work)
    for i, user in enumerate(users):
        assert (store.get_consent(user, app.id) is None) == bool(i % 2)


# --- the refresh-token grace window: sealed successors -------------------------------------------------------


def test_rotate_refresh_token_keeps_the_sealed_successor_on_the_old_row_only(store):
    """The grace window: the rotated row keeps the successor sealed (an opaque text the store never reads); the
    successor's own row starts with none."""
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    a2, r2 = b.access(auth.grant), b.refresh(auth.grant)
    sealed = "c2VhbGVk+/=" * 40  # base64-looking, longer than any one-line field
    assert store.rotate_refresh_token(auth.refresh.token_hash, NOW + 5, a2, r2, sealed) is True
    old = store.get_refresh_token(auth.refresh.token_hash)
    assert (old.rotated_at, old.successor_hash, old.successor_sealed) == (NOW + 5, r2.token_hash, sealed)
    assert store.get_refresh_token(r2.token_hash).successor_sealed == ""


def test_rotate_refresh_token_without_a_sealed_successor_keeps_it_empty(store):
    """A grace window of 0 seals nothing: the rotated row has no successor to hand out again."""
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    assert store.rotate_refresh_token(auth.refresh.token_hash, NOW, b.access(auth.grant), b.refresh(auth.grant))
    assert store.get_refresh_token(auth.refresh.token_hash).successor_sealed == ""


def test_losing_rotation_does_not_overwrite_the_winners_sealed_successor(store):
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    a2, r2 = b.access(auth.grant), b.refresh(auth.grant)
    assert store.rotate_refresh_token(auth.refresh.token_hash, NOW, a2, r2, "winner")
    assert store.rotate_refresh_token(auth.refresh.token_hash, NOW + 1, b.access(auth.grant),
                                      b.refresh(auth.grant), "loser") is False
    old = store.get_refresh_token(auth.refresh.token_hash)
    assert (old.rotated_at, old.successor_hash, old.successor_sealed) == (NOW, r2.token_hash, "winner")


def test_forget_successors_clears_only_those_rotated_before_the_time(store):
    """Housekeeping after the grace window: sealed successors of rows rotated before the cut-off go; the rows
    themselves, their rotation mark and successor hash stay (reuse detection needs them); rows rotated at or after
    the cut-off keep theirs."""
    app = saved_app(store)
    old_auth, recent_auth = b.authorize(store, app.id, b.new_id()), b.authorize(store, app.id, b.new_id())
    old_next, recent_next = b.refresh(old_auth.grant), b.refresh(recent_auth.grant)
    store.rotate_refresh_token(old_auth.refresh.token_hash, NOW - 31_000, b.access(old_auth.grant), old_next, "a")
    store.rotate_refresh_token(recent_auth.refresh.token_hash, NOW - 30_000, b.access(recent_auth.grant),
                               recent_next, "b")
    assert store.forget_successors(NOW - 30_000) == 1
    forgotten = store.get_refresh_token(old_auth.refresh.token_hash)
    assert (forgotten.rotated_at, forgotten.successor_hash, forgotten.successor_sealed) == \
        (NOW - 31_000, old_next.token_hash, "")
    assert store.get_refresh_token(recent_auth.refresh.token_hash).successor_sealed == "b"
    assert store.get_refresh_token(old_next.token_hash) == old_next  # the live successor is untouched
    assert store.forget_successors(NOW - 30_000) == 0  # nothing left to forget before the cut-off
    assert store.forget_successors(NOW) == 1


def test_forget_successors_with_nothing_rotated_changes_nothing(store):
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    assert store.forget_successors(NOW + 24 * HOUR_MS) == 0
    assert store.get_refresh_token(auth.refresh.token_hash) == auth.refresh


# --- rate limits -------------------------------------------------------------------------------------------


def test_hit_rate_limits_adds_each_cost_to_its_bucket_and_returns_the_counts_in_order(store):
    window = NOW - NOW % 60_000
    assert store.hit_rate_limits([("client:a", 1), ("addr:127.0.0.1", 1)], window) == [1, 1]
    assert store.hit_rate_limits([("client:a", 1), ("addr:127.0.0.1", 1)], window) == [2, 2]
    assert store.hit_rate_limits([("addr:127.0.0.1", 5), ("client:a", 4)], window) == [7, 6]
    assert store.hit_rate_limits([("client:b", 1)], window) == [1]  # buckets are independent


def test_hit_rate_limits_counts_each_window_separately(store):
    window = NOW - NOW % 60_000
    assert store.hit_rate_limits([("client:a", 3)], window) == [3]
    assert store.hit_rate_limits([("client:a", 1)], window + 60_000) == [1]
    assert store.hit_rate_limits([("client:a", 1)], window) == [4]


def test_hit_rate_limits_of_no_bucket_returns_an_empty_list(store):
    assert store.hit_rate_limits([], NOW) == []


def test_hit_rate_limits_loses_no_hit_across_threads(store):
    """Every node shares the counters: concurrent hits are added atomically, each caller sees a distinct count."""
    window = NOW - NOW % 60_000
    counts = race(THREADS, lambda i: store.hit_rate_limits([("client:raced", 1), ("addr:raced", 2)], window))
    assert sorted(c[0] for c in counts) == list(range(1, THREADS + 1))
    assert sorted(c[1] for c in counts) == list(range(2, 2 * THREADS + 1, 2))
    assert store.hit_rate_limits([("client:raced", 0), ("addr:raced", 0)], window) == [THREADS, 2 * THREADS]


def test_hit_rate_limits_is_shared_by_store_handles(open_store):
    first, second = open_store(), open_store()
    first.migrate()
    second.migrate()
    window = NOW - NOW % 60_000
    counts = race(8, lambda i: (first if i % 2 else second).hit_rate_limits([("client:shared", 1)], window))
    assert sorted(c[0] for c in counts) == list(range(1, 9))
    assert second.hit_rate_limits([("client:shared", 1)], window) == [9]


# --- the audit trail ---------------------------------------------------------------------------------------


def audit_event(**fields) -> AuditRecord:
    values = dict(id=b.new_id(), create_at=NOW, type="token_issued", user_id=b.new_id(), client_id=b.new_id(),
                  grant_id=b.new_id(), remote_addr="127.0.0.1", detail='{"grant_type": "authorization_code"}')
    values.update(fields)
    return AuditRecord(**values)


def test_save_audit_events_then_list_returns_every_field(store):
    event = audit_event(remote_addr="2001:db8::1", detail='{"name": "Zapier \\u00e9t\\u00e9 日本", "n": 3}')
    bare = audit_event(create_at=NOW - 1, type="user_revoked", client_id="", grant_id="", remote_addr="",
                       detail="{}")
    store.save_audit_events([event, bare])
    assert store.list_audit_events(0, 10) == [event, bare]


def test_list_audit_events_is_newest_first_and_pages(store):
    events = [audit_event(create_at=NOW + i) for i in range(7)]
    store.save_audit_events(events[:3])
    store.save_audit_events(events[3:])
    newest_first = events[::-1]
    assert store.list_audit_events(0, 3) == newest_first[:3]
    assert store.list_audit_events(3, 3) == newest_first[3:6]
    assert store.list_audit_events(6, 3) == newest_first[6:]
    assert store.list_audit_events(9, 3) == []


def test_list_audit_events_pages_events_of_the_same_millisecond_without_repeats_or_gaps(store):
    events = [audit_event(create_at=NOW) for _ in range(9)]
    store.save_audit_events(events)
    pages = [store.list_audit_events(offset, 2) for offset in range(0, 10, 2)]
    seen = [e.id for page in pages for e in page]
    assert sorted(seen) == sorted(e.id for e in events) and len(seen) == len(set(seen))


def test_save_audit_events_of_an_empty_batch_saves_nothing(store):
    store.save_audit_events([])
    assert store.list_audit_events(0, 10) == []


def test_save_audit_events_is_all_or_nothing(store):
    """One transaction: a batch with a taken id fails (StoreError) and saves none of its events."""
    first = audit_event()
    store.save_audit_events([first])
    batch = [audit_event(create_at=NOW + 1), audit_event(id=first.id, create_at=NOW + 2)]
    with pytest.raises(StoreError):
        store.save_audit_events(batch)
    assert store.list_audit_events(0, 10) == [first]


def test_save_audit_events_from_several_threads_keeps_them_all(store):
    batches = [[audit_event(create_at=NOW + i) for _ in range(5)] for i in range(THREADS)]
    race(THREADS, lambda i: store.save_audit_events(batches[i]))
    assert len(store.list_audit_events(0, 200)) == 5 * THREADS


def test_delete_audit_events_removes_only_events_created_before_the_time(store):
    old, boundary, recent = (audit_event(create_at=NOW - 90 * 86_400_000 - 1),
                             audit_event(create_at=NOW - 90 * 86_400_000), audit_event(create_at=NOW))
    store.save_audit_events([old, boundary, recent])
    assert store.delete_audit_events(NOW - 90 * 86_400_000) == 1
    assert store.list_audit_events(0, 10) == [recent, boundary]
    assert store.delete_audit_events(NOW - 90 * 86_400_000) == 0


def test_audit_events_survive_revocations_and_app_deletion(store):
    """The trail is not tied to the rows it describes: revoking a grant, a user or deleting the app keeps it."""
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    event = audit_event(user_id=auth.user_id, client_id=app.id, grant_id=auth.grant.id)
    store.save_audit_events([event])
    store.revoke_grant(auth.grant.id)
    store.revoke_user(auth.user_id)
    store.delete_app(app.id)
    store.delete_expired(NOW + 365 * 24 * HOUR_MS)
    assert store.list_audit_events(0, 10) == [event]

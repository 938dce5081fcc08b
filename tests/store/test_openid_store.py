"""The store's OpenID Connect aggregate on SQLite and PostgreSQL: one current signing key per algorithm however many
nodes generate or rotate at once, retired keys published until their remove_at, and the authentication behind a
code, which the revocations of its user and app remove."""
from __future__ import annotations

from plugin.store.records import AuthenticationRecord, SigningKeyRecord

from . import builders as b
from .builders import HOUR_MS, NOW
from .test_store_contract import THREADS, race, saved_app


def key(alg: str = "RS256", **fields) -> SigningKeyRecord:
    values = dict(kid=b.new_hash()[:43], alg=alg, public_jwk='{"kty": "RSA"}', private_sealed="sealed",
                  kek_id="kek", create_at=NOW)
    values.update(fields)
    return SigningKeyRecord(**values)


def authentication(client_id: str, user_id: str, **fields) -> AuthenticationRecord:
    values = dict(code_hash=b.new_hash(), client_id=client_id, user_id=user_id, nonce="n", auth_time=NOW,
                  sid="sid", expires_at=NOW + HOUR_MS)
    values.update(fields)
    return AuthenticationRecord(**values)


def current(store, alg: str) -> list[SigningKeyRecord]:
    return [k for k in store.list_signing_keys(NOW) if k.alg == alg and k.retired_at == 0]


def test_nodes_generating_at_once_keep_one_current_key_per_algorithm(open_store):
    stores = [open_store() for _ in range(THREADS)]
    stores[0].migrate()
    won = race(THREADS, lambda i: stores[i].add_signing_key(key()))
    assert won.count(True) == 1
    assert len(current(stores[0], "RS256")) == 1
    assert stores[0].add_signing_key(key("ES256"))  # the other algorithm has its own


def test_of_rotations_racing_one_wins_and_the_retired_key_stays_until_remove_at(open_store):
    stores = [open_store() for _ in range(THREADS)]
    stores[0].migrate()
    first = key()
    assert stores[0].add_signing_key(first)
    won = race(THREADS, lambda i: stores[i].rotate_signing_key(first.kid, NOW + 1, NOW + HOUR_MS, key()))
    assert won.count(True) == 1
    store = stores[0]
    [now_current] = current(store, "RS256")
    assert now_current.kid != first.kid
    retired = next(k for k in store.list_signing_keys(NOW + HOUR_MS) if k.kid == first.kid)
    assert (retired.retired_at, retired.remove_at) == (NOW + 1, NOW + HOUR_MS)
    assert store.delete_removed_signing_keys(NOW + HOUR_MS) == 0
    assert store.delete_removed_signing_keys(NOW + HOUR_MS + 1) == 1
    assert [k.kid for k in store.list_signing_keys(NOW + HOUR_MS + 1)] == [now_current.kid]


def test_an_authentication_is_read_by_its_code_and_goes_with_its_user_and_app(store):
    app = saved_app(store)
    user_id = b.new_id()
    kept = authentication(app.id, user_id)
    store.save_authentication(kept)
    assert store.get_authentication(kept.code_hash) == kept
    store.revoke_user_app(user_id, app.id)
    assert store.get_authentication(kept.code_hash) is None

    other = authentication(app.id, b.new_id())
    store.save_authentication(other)
    store.delete_app(app.id)
    assert store.get_authentication(other.code_hash) is None


def test_an_authentication_expires_with_its_grant(store):
    app = saved_app(store)
    kept = authentication(app.id, b.new_id(), expires_at=NOW + HOUR_MS)
    store.save_authentication(kept)
    store.delete_expired(NOW + HOUR_MS)
    assert store.get_authentication(kept.code_hash) is not None
    store.delete_expired(NOW + HOUR_MS + 1)
    assert store.get_authentication(kept.code_hash) is None

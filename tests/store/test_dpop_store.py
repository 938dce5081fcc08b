"""The store's DPoP aggregate on SQLite and PostgreSQL: a proof accepted once however many nodes see it at once,
nonces shared by every node, the key each code and token is bound to, and the cleanup of what expired."""
from __future__ import annotations

from . import builders as b
from .builders import HOUR_MS, NOW
from .test_store_contract import THREADS, race, saved_app

JKT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_a_proof_is_accepted_once_of_nodes_racing_with_it(open_store):
    stores = [open_store() for _ in range(THREADS)]
    stores[0].migrate()
    proof = b.new_hash()
    won = race(THREADS, lambda i: stores[i].use_dpop_proof(proof, NOW + 60_000))
    assert won.count(True) == 1
    assert stores[0].use_dpop_proof(b.new_hash(), NOW + 60_000), "another proof is another row"


def test_a_proof_is_remembered_until_it_expires_then_the_cleanup_forgets_it(store):
    proof = b.new_hash()
    assert store.use_dpop_proof(proof, NOW)
    assert store.delete_expired_dpop(NOW) == 0, "kept through its expiry"
    assert not store.use_dpop_proof(proof, NOW)
    assert store.delete_expired_dpop(NOW + 1) == 1
    assert store.use_dpop_proof(proof, NOW + 60_000), "forgotten once nothing with it can be accepted"


def test_every_node_hands_out_the_newest_nonce_and_accepts_any_unexpired_one(open_store):
    first, second = open_store(), open_store()
    first.migrate()
    made = iter(["nonce-1", "nonce-2"])
    nonce = first.dpop_nonce(NOW, NOW - 120_000, NOW + 300_000, lambda: next(made))
    assert nonce == "nonce-1"
    assert second.dpop_nonce(NOW + 1000, NOW + 1000 - 120_000, NOW + 301_000, lambda: "unused") == "nonce-1"
    assert second.dpop_nonce(NOW + 200_000, NOW + 80_000, NOW + 500_000, lambda: next(made)) == "nonce-2"
    assert second.dpop_nonce_valid("nonce-1", NOW + 200_000) and second.dpop_nonce_valid("nonce-2", NOW + 200_000)
    assert not first.dpop_nonce_valid("nonce-1", NOW + 300_001)
    assert not first.dpop_nonce_valid("never-given", NOW)
    assert first.delete_expired_dpop(NOW + 300_001) == 1
    assert first.dpop_nonce_valid("nonce-2", NOW + 300_001)


def test_codes_tokens_and_apps_keep_their_dpop_fields(store):
    app = saved_app(store, require_dpop=True)
    assert store.get_app(app.id).require_dpop
    code = b.code(app.id, b.new_id(), dpop_jkt=JKT)
    store.save_code(code)
    assert store.get_code(code.code_hash).dpop_jkt == JKT
    grant = b.grant(app.id, b.new_id())
    access = b.access(grant, dpop_jkt=JKT)
    refresh = b.refresh(grant, access.token_hash, dpop_jkt=JKT)
    store.issue_tokens(grant, access, refresh)
    assert store.get_access_token(access.token_hash).dpop_jkt == JKT
    assert store.get_refresh_token(refresh.token_hash).dpop_jkt == JKT
    assert store.edit_app(app.id, lambda a: b.app(**{**a.__dict__, "require_dpop": False})).require_dpop is False
    assert not store.get_app(app.id).require_dpop
    rotated = b.access(grant, dpop_jkt="")
    assert store.rotate_refresh_token(refresh.token_hash, NOW + HOUR_MS, rotated, None)
    assert store.get_access_token(rotated.token_hash).dpop_jkt == ""

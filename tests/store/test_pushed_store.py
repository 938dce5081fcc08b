"""Pushed authorization requests in the store (RFC 9126), on every implementation of the contract: a request_uri
is the client's, lives until its expiry, becomes the first user's who opens it, and is consumed once, whoever
races for it; deleting the app, revoking the user and the expiry sweep remove it."""
from __future__ import annotations

import pytest

from plugin.store.records import PushedRequestRecord

from . import builders as b
from .builders import NOW
from .test_store_contract import THREADS, race, saved_app

MINUTE = 60_000


def pushed(client_id: str, **fields) -> PushedRequestRecord:
    values = dict(request_hash=b.new_hash(), client_id=client_id,
                  params={"response_type": "code", "redirect_uri": "https://a.example.com/cb", "state": "s"},
                  create_at=NOW, expires_at=NOW + MINUTE)
    values.update(fields)
    return PushedRequestRecord(**values)


@pytest.fixture
def app(store):
    return saved_app(store)


def test_a_pushed_request_is_read_back_for_its_client_until_it_expires(store, app):
    p = pushed(app.id)
    store.save_pushed_request(p)
    found = store.get_pushed_request(p.request_hash, app.id, NOW)
    assert found == p
    assert store.get_pushed_request(p.request_hash, b.new_id(), NOW) is None
    assert store.get_pushed_request(p.request_hash, app.id, NOW + MINUTE) is not None  # expiry: now > expires_at
    assert store.get_pushed_request(p.request_hash, app.id, NOW + MINUTE + 1) is None


def test_starting_binds_the_user_and_moves_the_expiry_once(store, app):
    p = pushed(app.id)
    store.save_pushed_request(p)
    user, other = b.new_id(), b.new_id()
    started = store.start_pushed_request(p.request_hash, app.id, user, NOW + 1, NOW + 10 * MINUTE)
    assert (started.user_id, started.expires_at) == (user, NOW + 10 * MINUTE)
    again = store.start_pushed_request(p.request_hash, app.id, user, NOW + 2, NOW + 20 * MINUTE)  # a reload
    assert again.expires_at == NOW + 10 * MINUTE
    assert store.start_pushed_request(p.request_hash, app.id, other, NOW + 3, NOW + 30 * MINUTE) is None
    assert store.consume_pushed_request(p.request_hash, app.id, other, NOW + 4) is None
    assert store.consume_pushed_request(p.request_hash, app.id, user, NOW + 5 * MINUTE).consumed_at == NOW + 5 * MINUTE


def test_a_consumed_request_is_never_started_or_consumed_again(store, app):
    p = pushed(app.id)
    store.save_pushed_request(p)
    assert store.consume_pushed_request(p.request_hash, app.id, "", NOW) is not None
    assert store.consume_pushed_request(p.request_hash, app.id, "", NOW) is None
    assert store.start_pushed_request(p.request_hash, app.id, b.new_id(), NOW, NOW + MINUTE) is None
    assert store.get_pushed_request(p.request_hash, app.id, NOW) is None


def test_an_expired_or_another_clients_request_is_not_consumed(store, app):
    p = pushed(app.id)
    store.save_pushed_request(p)
    assert store.consume_pushed_request(p.request_hash, b.new_id(), "", NOW) is None
    assert store.consume_pushed_request(p.request_hash, app.id, "", NOW + MINUTE + 1) is None


@pytest.mark.parametrize("started", [False, True])
def test_of_concurrent_consumers_on_several_handles_exactly_one_wins(open_store, started):
    handles = [open_store() for _ in range(4)]
    handles[0].migrate()
    app = saved_app(handles[0])
    user = b.new_id()
    for _ in range(5):
        p = pushed(app.id)
        handles[0].save_pushed_request(p)
        if started:
            handles[1].start_pushed_request(p.request_hash, app.id, user, NOW, NOW + MINUTE)
        wins = race(THREADS, lambda i: handles[i % len(handles)].consume_pushed_request(
            p.request_hash, app.id, user, NOW + 1))
        assert sum(win is not None for win in wins) == 1


def test_deleting_the_app_and_revoking_the_user_remove_pushed_requests(store, app):
    waiting, opened = pushed(app.id), pushed(app.id)
    user = b.new_id()
    store.save_pushed_request(waiting)
    store.save_pushed_request(opened)
    store.start_pushed_request(opened.request_hash, app.id, user, NOW, NOW + MINUTE)
    store.revoke_user(user)
    assert store.get_pushed_request(opened.request_hash, app.id, NOW) is None
    assert store.get_pushed_request(waiting.request_hash, app.id, NOW) is not None
    store.delete_app(app.id)
    assert store.get_pushed_request(waiting.request_hash, app.id, NOW) is None


def test_the_expiry_sweep_removes_expired_pushed_requests(store, app):
    old, fresh = pushed(app.id, expires_at=NOW - 1), pushed(app.id)
    store.save_pushed_request(old)
    store.save_pushed_request(fresh)
    store.delete_expired(NOW)
    assert store.get_pushed_request(fresh.request_hash, app.id, NOW) is not None
    assert store.consume_pushed_request(old.request_hash, app.id, "", NOW - 2) is None  # gone, not just expired

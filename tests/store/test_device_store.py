"""The store's device codes (RFC 8628; DeviceCodeStore in plugin/store/contract.py) on every implementation: one
decision per code, polls that apply slow_down in one statement, and exactly one redemption however many handles
race for it."""
from __future__ import annotations

from plugin.store.contract import Issue
from plugin.store.records import DEVICE_APPROVED, DEVICE_DENIED, DEVICE_PENDING, DEVICE_REDEEMED, DeviceCodeRecord

from . import builders as b
from .builders import NOW
from .test_store_contract import THREADS, race, saved_app

LIFETIME_MS = 600_000


def device_code(client_id: str, **fields) -> DeviceCodeRecord:
    values = dict(device_code_hash=b.new_hash(), user_code_hash=b.new_hash(), client_id=client_id, user_id="",
                  scope="openid", resource="", status=DEVICE_PENDING, create_at=NOW, expires_at=NOW + LIFETIME_MS,
                  poll_interval=5)
    values.update(fields)
    return DeviceCodeRecord(**values)


def saved_device_code(store, **fields) -> DeviceCodeRecord:
    record = device_code(saved_app(store).id, **fields)
    assert store.save_device_code(record)
    return record


def redeem(store, record: DeviceCodeRecord, now: int) -> Issue | None:
    """Redeem as the grant does: a grant with the id the redemption links and an access token (the Issue's result
    is the row as `issue` saw it)."""
    grant_id = b.new_id()

    def issue(row: DeviceCodeRecord) -> Issue:
        g = b.grant(row.client_id, row.user_id, id=grant_id, code_hash=row.device_code_hash)
        return Issue(g, b.access(g), None, row)

    return store.redeem_device_code(record.device_code_hash, record.client_id, now, grant_id, issue)


def test_a_device_code_round_trips_and_a_taken_user_code_is_refused(store):
    record = saved_device_code(store)
    assert store.get_device_code(record.device_code_hash) == record
    assert not store.save_device_code(device_code(record.client_id, user_code_hash=record.user_code_hash))
    assert store.find_pending_device_code(record.user_code_hash, NOW) == record
    assert store.find_pending_device_code(record.user_code_hash, NOW + LIFETIME_MS + 1) is None


def test_a_code_is_decided_once_by_racing_handles(open_store):
    first = open_store()
    first.migrate()
    record = saved_device_code(first)
    handles = [open_store() for _ in range(4)]
    users = [b.new_id() for _ in range(THREADS)]
    results = race(THREADS, lambda i: handles[i % 4].decide_device_code(
        record.user_code_hash, NOW + 1, DEVICE_APPROVED if i % 2 else DEVICE_DENIED, users[i], "openid"))
    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    stored = first.get_device_code(record.device_code_hash)
    assert (stored.status, stored.user_id) == (winners[0].status, winners[0].user_id)
    assert first.find_pending_device_code(record.user_code_hash, NOW + 2) is None


def test_an_expired_code_cannot_be_decided(store):
    record = saved_device_code(store)
    assert store.decide_device_code(record.user_code_hash, NOW + LIFETIME_MS + 1, DEVICE_APPROVED, "u", "") is None


def test_a_poll_sooner_than_the_interval_slows_down_in_one_statement(store):
    record = saved_device_code(store)
    polled = store.poll_device_code(record.device_code_hash, record.client_id, NOW + 1000, 5)
    assert (polled.last_polled_at, polled.poll_interval, polled.slow_down) == (NOW + 1000, 5, False)
    polled = store.poll_device_code(record.device_code_hash, record.client_id, NOW + 3000, 5)
    assert (polled.poll_interval, polled.slow_down) == (10, True)
    polled = store.poll_device_code(record.device_code_hash, record.client_id, NOW + 14_000, 5)
    assert (polled.poll_interval, polled.slow_down) == (10, False)
    assert store.poll_device_code(record.device_code_hash, b.new_id(), NOW + 30_000, 5) is None


def test_a_decided_code_does_not_slow_down(store):
    record = saved_device_code(store)
    store.poll_device_code(record.device_code_hash, record.client_id, NOW + 1000, 5)
    store.decide_device_code(record.user_code_hash, NOW + 1500, DEVICE_DENIED, "u", "")
    polled = store.poll_device_code(record.device_code_hash, record.client_id, NOW + 2000, 5)
    assert (polled.status, polled.slow_down, polled.poll_interval) == (DEVICE_DENIED, False, 5)


def test_only_an_approved_code_is_redeemed_and_only_once_across_handles(open_store):
    first = open_store()
    first.migrate()
    record = saved_device_code(first)
    assert redeem(first, record, NOW + 1) is None  # still pending
    user_id = b.new_id()
    first.decide_device_code(record.user_code_hash, NOW + 2, DEVICE_APPROVED, user_id, "openid")
    handles = [open_store() for _ in range(4)]
    results = race(THREADS, lambda i: redeem(handles[i % 4], record, NOW + 3))
    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    issued = winners[0]
    assert issued.result.user_id == user_id
    assert first.get_access_token(issued.access.token_hash) is not None
    stored = first.get_device_code(record.device_code_hash)
    assert (stored.status, stored.grant_id) == (DEVICE_REDEEMED, issued.grant.id)


def test_a_refused_redemption_spends_the_code_and_writes_nothing(store):
    record = saved_device_code(store)
    store.decide_device_code(record.user_code_hash, NOW + 1, DEVICE_APPROVED, b.new_id(), "openid")

    class Refused(Exception):
        pass

    def refuse(row):
        raise Refused()

    try:
        store.redeem_device_code(record.device_code_hash, record.client_id, NOW + 2, b.new_id(), refuse)
    except Refused:
        pass
    else:
        raise AssertionError("the refusal did not propagate")
    assert store.get_device_code(record.device_code_hash).status == DEVICE_REDEEMED
    assert redeem(store, record, NOW + 3) is None


def test_an_expired_approved_code_is_not_redeemed(store):
    record = saved_device_code(store)
    store.decide_device_code(record.user_code_hash, NOW + 1, DEVICE_APPROVED, b.new_id(), "")
    assert redeem(store, record, NOW + LIFETIME_MS + 1) is None


def test_revoking_a_user_or_deleting_an_app_removes_their_device_codes(store):
    record = saved_device_code(store)
    user_id = b.new_id()
    store.decide_device_code(record.user_code_hash, NOW + 1, DEVICE_APPROVED, user_id, "")
    pending = device_code(record.client_id)
    store.save_device_code(pending)
    store.revoke_user(user_id)
    assert store.get_device_code(record.device_code_hash) is None
    assert store.get_device_code(pending.device_code_hash) is not None
    store.delete_app(record.client_id)
    assert store.get_device_code(pending.device_code_hash) is None


def test_expired_device_codes_are_swept_with_the_grants_they_leave(store):
    record = saved_device_code(store)
    store.decide_device_code(record.user_code_hash, NOW + 1, DEVICE_APPROVED, b.new_id(), "")
    issued = redeem(store, record, NOW + 2)
    assert store.delete_expired(NOW + LIFETIME_MS + 2 * b.HOUR_MS) >= 2  # the code, the access token
    assert store.get_device_code(record.device_code_hash) is None
    assert store.get_grant(issued.grant.id) is None

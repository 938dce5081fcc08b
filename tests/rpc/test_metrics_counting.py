"""The plugin's metrics, counted in-process: the store's primitives timed by outcome (an unavailable database
apart), and the AppErrors the RPCs answer with (rate limits, the store unavailable)."""
from __future__ import annotations

import pytest

from plugin.oauth.errors import AppError
from plugin.rpc import metrics
from plugin.rpc.runtime import AwaitingDatabase
from plugin.rpc.servicers.calls import failure
from plugin.store.contract import StoreError, StoreUnavailable


def value(name: str, **labels) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


class FakeStore:
    def __init__(self) -> None:
        self.raise_next: Exception | None = None

    def _one(self, sql, params):
        if self.raise_next is not None:
            raise self.raise_next
        return ("row",)

    def _all(self, sql, params):
        return []

    def _write(self, work):
        return work(None)


def test_store_primitives_are_timed_by_kind_and_outcome():
    store = FakeStore()
    metrics.instrument_store(store)
    metrics.instrument_store(store)  # once only, however often a provider is made on it
    before = {outcome: value("oauth_provider_store_seconds_count", kind="read", outcome=outcome)
              for outcome in ("ok", "error", "unavailable")}
    writes = value("oauth_provider_store_seconds_count", kind="write", outcome="ok")
    assert store._one("SELECT 1", ()) == ("row",)
    assert store._write(lambda conn: 42) == 42
    store.raise_next = StoreUnavailable("down")
    with pytest.raises(StoreUnavailable):
        store._one("SELECT 1", ())
    store.raise_next = StoreError("broken")
    with pytest.raises(StoreError):
        store._one("SELECT 1", ())
    for outcome in ("ok", "error", "unavailable"):
        assert value("oauth_provider_store_seconds_count", kind="read", outcome=outcome) == before[outcome] + 1
    assert value("oauth_provider_store_seconds_count", kind="write", outcome="ok") == writes + 1


def test_refusals_are_counted_from_the_answers():
    limited, unavailable = value("oauth_provider_rate_limited_total"), value("oauth_provider_store_unavailable_total")
    failure(AppError("api.oauth.rate_limited.app_error", "Too many requests.", 429))
    failure(AwaitingDatabase())
    failure(AppError("api.oauth.get_access_token.bad_request.app_error", "Bad request.", 400))  # neither
    assert value("oauth_provider_rate_limited_total") == limited + 1
    assert value("oauth_provider_store_unavailable_total") == unavailable + 1

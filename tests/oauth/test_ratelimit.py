"""RateLimiter on its own (the real SqliteStore, a FakeClock): a request is settled in the window it was charged in,
whatever the time is when it ends."""
from __future__ import annotations

from plugin.clock import FakeClock
from plugin.oauth.ratelimit import WINDOW_MS, RateLimiter
from plugin.oauth.settings import Settings


def test_a_request_ending_in_the_next_window_is_taken_back_from_the_window_it_was_counted_in(store):
    clock = FakeClock(10 * WINDOW_MS - 1)
    limiter = RateLimiter(store, clock)
    settings = Settings(rate_limit_per_client_per_minute=1, rate_limit_per_address_per_minute=0)
    window, over = limiter.charge(settings, "client", "")
    assert over is None
    clock.advance(1)  # the request ends in the next window
    limiter.settle(settings, window, "client", "", 0)
    assert store.hit_rate_limits([("client:client", 0)], window) == [0]
    assert limiter.charge(settings, "client", "")[1] is None  # the new window starts from nothing
    assert limiter.charge(settings, "client", "")[1].status == 429

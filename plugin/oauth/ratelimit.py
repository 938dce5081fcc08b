"""Rate limits of the client-facing endpoints (token, revocation, introspection, registration): fixed one-minute
windows per client and per remote address, counted in the store so that every node shares them (OAuth 2.1
section 2.4.1: protect client passwords against online guessing).

Every request is charged to both windows up front. Afterwards (`settle`) a request whose client did not
authenticate is taken back from the client's window, so that nobody can use up another client's budget by naming
it; a failed client authentication costs the address more than a request, to slow down guessing."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from plugin.store.contract import Store, StoreError

from .errors import AppError, OAuthErrorCode, app_error
from .settings import Settings
from .store_errors import TOKEN_READ_FAILED, store_errors

log = logging.getLogger("plugin.oauth")

WINDOW_MS = 60_000


class Meter:
    """One request under the limits. The endpoint calls `client_authenticated()` once the client has proved who
    it is (a public client: by presenting what its grant requires); only then does the request stay counted in
    that client's window."""

    def __init__(self) -> None:
        self.authenticated = False

    def client_authenticated(self) -> None:
        self.authenticated = True


class RateLimiter:
    def __init__(self, store: Store, clock) -> None:
        self.store = store
        self.clock = clock

    def charge(self, settings: Settings, client_id: str, remote_addr: str) -> tuple[int, AppError | None]:
        """Count one request against the client's and the address's windows: (the window, then needed to
        settle; AppError 429 with Retry-After when either is now over its limit, else None)."""
        now = self.clock.now_ms()
        window = now - now % WINDOW_MS
        hits: list[tuple[str, int]] = []
        limits: list[int] = []
        if settings.rate_limit_per_client_per_minute and client_id:
            hits.append((f"client:{client_id}", 1))
            limits.append(settings.rate_limit_per_client_per_minute)
        if settings.rate_limit_per_address_per_minute and remote_addr:
            hits.append((f"addr:{remote_addr}", 1))
            limits.append(settings.rate_limit_per_address_per_minute)
        if not hits:
            return window, None
        counts = self.store.hit_rate_limits(hits, window)
        if not any(count > limit for count, limit in zip(counts, limits)):
            return window, None
        retry_after = max(1, -(-(window + WINDOW_MS - now) // 1000))
        return window, app_error("api.oauth.rate_limited.app_error", 429,
                                 oauth_error=OAuthErrorCode.TEMPORARILY_UNAVAILABLE,
                                 retry_after=retry_after)

    @contextmanager
    def metered(self, settings: Settings, client_id: str, remote_addr: str) -> Iterator[Meter]:
        """Run a request under the client's and the address's windows: charged first, then settled by whether
        the client authenticated and whether its authentication failed (which costs the address more)."""
        with store_errors(TOKEN_READ_FAILED):
            window, over_limit = self.charge(settings, client_id, remote_addr)
        meter = Meter()
        failed_authentication = False
        try:
            if over_limit is not None:
                raise over_limit
            yield meter
        except AppError as exc:
            failed_authentication = exc.oauth_error == OAuthErrorCode.INVALID_CLIENT
            raise
        finally:
            extra = settings.rate_limit_failure_cost - 1 if failed_authentication else 0
            try:
                self.settle(settings, window, "" if meter.authenticated else client_id, remote_addr, extra)
            except StoreError as exc:  # bookkeeping only: the answer stands
                log.warning("rate limits not settled: %s", exc)

    @contextmanager
    def attempts(self, limit: int, buckets: list[str], error_id: str) -> Iterator[None]:
        """Guesses of something short (RFC 8628's user codes), at most `limit` a minute in each bucket (0: no
        limit): each attempt is charged to every bucket up front (so racing guesses are all counted), refused with
        `error_id` (429, Retry-After) once a bucket is over, and given back when it succeeded, so that only wrong
        guesses use the budget up."""
        buckets = [bucket for bucket in buckets if bucket.partition(":")[2]]
        if not limit or not buckets:
            yield
            return
        now = self.clock.now_ms()
        window = now - now % WINDOW_MS
        with store_errors(TOKEN_READ_FAILED):
            counts = self.store.hit_rate_limits([(bucket, 1) for bucket in buckets], window)
        if any(count > limit for count in counts):
            raise app_error(error_id, 429, oauth_error=OAuthErrorCode.TEMPORARILY_UNAVAILABLE,
                            retry_after=max(1, -(-(window + WINDOW_MS - now) // 1000)))
        yield
        try:
            self.store.hit_rate_limits([(bucket, -1) for bucket in buckets], window)
        except StoreError as exc:  # bookkeeping only: the answer stands
            log.warning("attempts not given back: %s", exc)

    def settle(self, settings: Settings, window: int, refund_client_id: str, remote_addr: str,
               address_cost: int) -> None:
        """After the request charged in `window`: take it back from `refund_client_id`'s count (when given) and
        add `address_cost` to the address's."""
        hits: list[tuple[str, int]] = []
        if settings.rate_limit_per_client_per_minute and refund_client_id:
            hits.append((f"client:{refund_client_id}", -1))
        if settings.rate_limit_per_address_per_minute and remote_addr and address_cost:
            hits.append((f"addr:{remote_addr}", address_cost))
        if hits:
            self.store.hit_rate_limits(hits, window)

"""Rate limits of the client-facing endpoints (token, revocation, introspection, registration): fixed one-minute
windows per client and per remote address, counted in the store so that every node shares them (OAuth 2.1
section 2.4.1: protect client passwords against online guessing). A failed client authentication costs more
than a success."""
from __future__ import annotations

from plugin.store.contract import Store

from .errors import app_error
from .settings import Settings

WINDOW_MS = 60_000


class RateLimiter:
    def __init__(self, store: Store, clock) -> None:
        self.store = store
        self.clock = clock

    def charge(self, settings: Settings, client_id: str, remote_addr: str, cost: int = 1,
               enforce: bool = True) -> None:
        """Count `cost` against the client's and the address's windows; AppError 429 with Retry-After when
        either is over its limit (unless `enforce` is false: a charge after the fact)."""
        hits: list[tuple[str, int]] = []
        limits: list[int] = []
        if settings.rate_limit_per_client_per_minute and client_id:
            hits.append((f"client:{client_id}", cost))
            limits.append(settings.rate_limit_per_client_per_minute)
        if settings.rate_limit_per_address_per_minute and remote_addr:
            hits.append((f"addr:{remote_addr}", cost))
            limits.append(settings.rate_limit_per_address_per_minute)
        if not hits:
            return
        now = self.clock.now_ms()
        window = now - now % WINDOW_MS
        counts = self.store.hit_rate_limits(hits, window)
        if enforce and any(count > limit for count, limit in zip(counts, limits)):
            retry_after = max(1, -(-(window + WINDOW_MS - now) // 1000))
            raise app_error("api.oauth.rate_limited.app_error", 429, oauth_error="temporarily_unavailable",
                            retry_after=retry_after)

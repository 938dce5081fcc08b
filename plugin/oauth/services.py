"""What every part of the provider shares: the store, the clock, the audit trail, the rate limiter and the
settings in force. Settings are replaced as a whole (OnConfigurationChange); each operation reads them once when
it starts, so one request never sees two configurations."""
from __future__ import annotations

from dataclasses import dataclass

from plugin.store.contract import Store

from .audit import AuditLog
from .ratelimit import RateLimiter
from .settings import Settings


@dataclass
class Services:
    store: Store
    clock: object  # now_ms() -> int
    settings: Settings
    audit: AuditLog
    limiter: RateLimiter

    @classmethod
    def create(cls, store: Store, clock, settings: Settings | None = None) -> "Services":
        return cls(store, clock, settings if settings is not None else Settings(), AuditLog(store, clock),
                   RateLimiter(store, clock))

    def now(self) -> int:
        return self.clock.now_ms()

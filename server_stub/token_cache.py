"""Validated OAuth access tokens, kept in the host's memory so that a bearer request need not ask the plugin.

    cache = TokenCache()
    info = cache.get(token)               # None: not kept (ask the plugin)
    ticket = cache.ticket()               # before asking
    info = await ask_the_plugin(token)
    cache.put(token, info, ticket)        # kept only if nothing was dropped meanwhile
    cache.drop_client(client_id)          # after routing an RPC that may have revoked that client's tokens

The rule: **no kept answer may outlive a revocation.** Every revocation is an RPC that this host routes (token
endpoint, RFC 7009 revoke, deauthorize, app deletion, logout, user deactivation), and the gateway drops what it
kept for the client or user concerned as soon as that RPC has answered, before the HTTP response goes out
(`Gateway.call`). A validation that was in flight while something was dropped is not kept (`ticket`): it may
have read the token before the revocation committed. The plugin says whether its answers may be kept at all
(`ValidateTokenResponse.cacheable`): only when no other process writes its database, since another node's
revocations would never pass through this host. When a revoking RPC fails in transit (it may still commit), the
whole cache is dropped and nothing is kept or served for `SUSPEND_SECONDS`.

Kept entries also end at the token's own expiry and after `MAX_AGE_SECONDS` at most (defence in depth against
changes made behind the plugin's back); keys are the tokens' SHA-256, not the tokens.
"""
from __future__ import annotations

import hashlib
import time
from typing import Callable, Generic, TypeVar

MAX_ENTRIES = 100_000
MAX_AGE_SECONDS = 60.0
SUSPEND_SECONDS = 60.0

Info = TypeVar("Info")


class TokenCache(Generic[Info]):
    def __init__(self, max_entries: int = MAX_ENTRIES, max_age: float = MAX_AGE_SECONDS,
                 clock: Callable[[], float] = time.monotonic, wall_ms: Callable[[], int] | None = None) -> None:
        self.max_entries = max_entries
        self.max_age = max_age
        self._clock = clock
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        # key -> (info, client_id, user_id, expires_at ms (0: none), kept until (monotonic))
        self._entries: dict[str, tuple] = {}
        self._by_client: dict[str, set[str]] = {}
        self._by_user: dict[str, set[str]] = {}
        self._generation = 0
        self._suspended_until = 0.0
        # For the metrics: lookups answered and not, entries dropped because something may have revoked them, and
        # entries that aged out or made room.
        self.hits = self.misses = 0
        self.dropped = self.expired = self.evicted = 0

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, token: str) -> Info | None:
        if self._suspended_until and self._clock() < self._suspended_until:
            return None
        key = self._key(token)
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        info, _, _, expires_at, kept_until = entry
        if self._clock() >= kept_until or (expires_at and self._wall_ms() > expires_at):
            self._remove(key)
            self.expired += 1
            self.misses += 1
            return None
        self.hits += 1
        return info

    def ticket(self) -> int:
        """Take before asking the plugin; `put` keeps the answer only if nothing was dropped since."""
        return self._generation

    def put(self, token: str, info: Info, ticket: int, *, client_id: str, user_id: str, expires_at: int) -> bool:
        if ticket != self._generation:
            return False
        if self._suspended_until:
            if self._clock() < self._suspended_until:
                return False
            self._suspended_until = 0.0
        key = self._key(token)
        if key in self._entries:
            self._remove(key)
        while len(self._entries) >= self.max_entries:
            self._remove(next(iter(self._entries)))  # the oldest kept
            self.evicted += 1
        self._entries[key] = (info, client_id, user_id, expires_at, self._clock() + self.max_age)
        self._by_client.setdefault(client_id, set()).add(key)
        self._by_user.setdefault(user_id, set()).add(key)
        return True

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for index, name in ((self._by_client, entry[1]), (self._by_user, entry[2])):
            keys = index.get(name)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[name]

    def drop_client(self, client_id: str) -> None:
        """Forget every kept token of this app (and whatever was being validated meanwhile)."""
        self._generation += 1
        for key in list(self._by_client.get(client_id, ())):
            self._remove(key)
            self.dropped += 1

    def drop_user(self, user_id: str) -> None:
        self._generation += 1
        for key in list(self._by_user.get(user_id, ())):
            self._remove(key)
            self.dropped += 1

    def drop_token(self, token: str) -> None:
        """Forget the tokens of this token's app (a token revokes its whole grant); everything when it is not
        kept, since then its app is unknown."""
        entry = self._entries.get(self._key(token))
        if entry is None:
            self.clear()
        else:
            self.drop_client(entry[1])

    def clear(self) -> None:
        self._generation += 1
        self.dropped += len(self._entries)
        self._entries.clear()
        self._by_client.clear()
        self._by_user.clear()

    def suspend(self, seconds: float = SUSPEND_SECONDS) -> None:
        """Drop everything and keep nothing for a while: a revocation's outcome is unknown."""
        self.clear()
        self._suspended_until = self._clock() + seconds

"""How much password hashing a caller can cause: every check of a password (a login, on the API or the log-in page;
the current password of a password change) costs a scrypt hash, about 40 ms of a core, so it is rationed.

- Per address: a bucket of BURST checks, refilled at REFILL_PER_SECOND (30 at once, then one every 2 s). A check
  takes a token before the hash; a right password gives it back, so only wrong ones use up the budget and people
  who type their password right are never slowed down, even many behind one address. An empty bucket answers 429
  `api.user.login.rate_limited.app_error` with Retry-After, before any hash. With 30 wrong guesses a minute one
  address costs the host at most ~1.2 s of CPU a minute, and guesses at one account stop after
  ServiceSettings.MaximumLoginAttempts anyway (accounts/users.py).
- Host-wide: at most HASHES_AT_ONCE checks run at a time (half the cores, at least one), so that many addresses
  together cannot take every core or every worker thread the database calls need; at most MAX_WAITING more wait
  their turn, and beyond that a check answers the same 429 with Retry-After: 1.

The budgets live in the process (a host restart or another node starts afresh); the failure count that locks an
account is in the database and shared by every node. The address is `client_address(request)`: the TCP peer.
"""
from __future__ import annotations

import asyncio
import collections
import os
import time
from typing import Awaitable, Callable, TypeVar

from aiohttp import web

from ..accounts import AccountError, WrongPassword

BURST = 30
REFILL_PER_SECOND = 0.5
HASHES_AT_ONCE = max(1, (os.cpu_count() or 2) // 2)
MAX_WAITING = 64
MAX_ADDRESSES = 10_000  # buckets kept; beyond that the least recently used are forgotten (they were full or nearly)

RATE_LIMITED = ("api.user.login.rate_limited.app_error",
                "Too many password attempts from your address. Please try again later.")

T = TypeVar("T")


class Throttled(AccountError):
    """429: the address has no password checks left for now, or the host has too many waiting."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(*RATE_LIMITED, status=429)
        self.retry_after = retry_after


def client_address(request: web.Request) -> str:
    return request.remote or ""


class LoginThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: collections.OrderedDict[str, tuple[float, float]] = collections.OrderedDict()
        self._running = asyncio.Semaphore(HASHES_AT_ONCE)
        self._waiting = 0

    def _level(self, address: str, now: float) -> float:
        tokens, since = self._buckets.get(address, (float(BURST), now))
        return min(float(BURST), tokens + (now - since) * REFILL_PER_SECOND)

    def take(self, address: str) -> None:
        """One check for this address, or Throttled with the seconds until the next one."""
        now = self._clock()
        tokens = self._level(address, now)
        if tokens < 1:
            raise Throttled(max(1, int((1 - tokens) / REFILL_PER_SECOND + 0.999)))
        self._buckets[address] = (tokens - 1, now)
        self._buckets.move_to_end(address)
        while len(self._buckets) > MAX_ADDRESSES:
            self._buckets.popitem(last=False)

    def give_back(self, address: str) -> None:
        now = self._clock()
        self._buckets[address] = (min(float(BURST), self._level(address, now) + 1), now)

    async def check(self, address: str, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work` (a password check) under both limits. A WrongPassword keeps the address's token spent;
        anything else (a right password, a locked account that was not hashed) gives it back."""
        self.take(address)
        spent = False
        try:
            if self._waiting >= MAX_WAITING:
                raise Throttled(1)
            self._waiting += 1
            try:
                await self._running.acquire()
            finally:
                self._waiting -= 1
            try:
                return await work()
            finally:
                self._running.release()
        except WrongPassword:
            spent = True
            raise
        finally:
            if not spent:
                self.give_back(address)


THROTTLE_KEY = web.AppKey("login_throttle", LoginThrottle)


def install(app: web.Application) -> None:
    app[THROTTLE_KEY] = LoginThrottle()


async def check_password(request: web.Request, work: Callable[[], Awaitable[T]]) -> T:
    """`work` (a password check) under the request's address's budget and the host-wide limit."""
    return await request.app[THROTTLE_KEY].check(client_address(request), work)

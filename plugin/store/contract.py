"""The store contract: what the OAuth domain needs from a database, and nothing about OAuth policy.

One abstract class per aggregate (as Mattermost's `Store().OAuth()`, `Store().User()`): AppStore, ConsentStore,
CodeStore, GrantStore, TokenStore, RateLimitStore, DPoPStore, AuditStore, OpenIDStore, DeviceCodeStore,
PushedRequestStore; `Store` combines them with the lifecycle, so the domain calls `store.get_app(...)` on one
object. SQLite (the embedded default) and PostgreSQL implement it (plugin/store/sqlstore.py, on the statements of
plugin/store/sql.py). Every method is one transaction. Methods that enforce single use (`redeem_code`,
`rotate_refresh_token`, `redeem_device_code`) must do so with one conditional statement in the database
(`UPDATE ... WHERE used_at IS NULL RETURNING ...`), never
read-then-write, so that two processes racing on the same value get exactly one winner.
"""
from __future__ import annotations

import abc
from collections.abc import Callable
from typing import NamedTuple

from .records import (
    AccessTokenRecord,
    AppRecord,
    AuditRecord,
    AuthenticationRecord,
    CodeRecord,
    ConsentRecord,
    DeviceCodeRecord,
    GrantRecord,
    PushedRequestRecord,
    RefreshTokenRecord,
    SigningKeyRecord,
)


class Issue(NamedTuple):
    """What a code exchange writes (`Store.redeem_code`), and what it answers (`result`, which the store does not
    look at)."""
    grant: GrantRecord
    access: AccessTokenRecord
    refresh: RefreshTokenRecord | None
    result: object


class StoreError(Exception):
    """The database failed (unreachable, locked too long, constraint broken unexpectedly)."""


class AlreadyExists(StoreError):
    """An insert hit an existing primary key."""


class StoreUnavailable(StoreError):
    """The database cannot be reached now (refused or lost connection, connect or statement timeout). The call
    was not acknowledged (a write whose COMMIT got no answer may or may not have taken effect) and may succeed
    if tried again shortly: the domain answers 503 with Retry-After."""


class AppStore(abc.ABC):
    """Registered OAuth apps (clients); the id is the client_id."""

    @abc.abstractmethod
    def save_app(self, app: AppRecord) -> None:
        """Insert; AlreadyExists when the id is taken."""

    @abc.abstractmethod
    def get_app(self, app_id: str) -> AppRecord | None: ...

    @abc.abstractmethod
    def list_apps(self, offset: int, limit: int, creator_id: str | None = None) -> list[AppRecord]:
        """Apps ordered by (create_at, id); only `creator_id`'s when given."""

    @abc.abstractmethod
    def edit_app(self, app_id: str, change: Callable[[AppRecord], AppRecord]) -> AppRecord | None:
        """Read the app and write `change(app)` in one transaction with the row locked, so that two edits racing
        each other (threads or nodes) apply one after the other and neither writes the other's change back
        over; `change` may raise to write nothing. The app written, or None when it does not exist."""

    @abc.abstractmethod
    def delete_app(self, app_id: str) -> bool:
        """Delete the app with every consent, code, grant and token of it; False when it did not exist."""


class ConsentStore(abc.ABC):
    """A user's remembered consent per app."""

    @abc.abstractmethod
    def save_consent(self, consent: ConsentRecord) -> None:
        """Insert or replace the (user, client) consent."""

    @abc.abstractmethod
    def get_consent(self, user_id: str, client_id: str) -> ConsentRecord | None: ...

    @abc.abstractmethod
    def list_authorized_apps(self, user_id: str, offset: int, limit: int) -> list[tuple[AppRecord, str]]:
        """Apps the user has a consent for, each with the consent's scope, ordered by (create_at, id)."""


class CodeStore(abc.ABC):
    """Authorization codes, spent once by `redeem_code`."""

    @abc.abstractmethod
    def save_code(self, code: CodeRecord) -> None: ...

    @abc.abstractmethod
    def get_code(self, code_hash: str) -> CodeRecord | None: ...

    @abc.abstractmethod
    def redeem_code(self, code_hash: str, client_id: str, now: int, grant_id: str,
                    issue: Callable[[CodeRecord], Issue]) -> Issue | None:
        """A code exchange, in one transaction: mark the code used and link it to `grant_id` if it is unused,
        unexpired at `now` and `client_id`'s (one conditional UPDATE: of racing callers exactly one gets the row);
        then `issue(code)` (pure computation, no store calls) gives the grant, with id `grant_id`, and its tokens,
        which are inserted; what `issue` returned is returned. None, and no change, when the code cannot be used. When
        `issue` raises (the exchange is refused), the code stays spent, nothing else is written, and the exception
        propagates."""


class GrantStore(abc.ABC):
    """Grants (one user's authorization of one app, the family every token descends from) and their
    revocation."""

    @abc.abstractmethod
    def get_grant(self, grant_id: str) -> GrantRecord | None: ...

    @abc.abstractmethod
    def revoke_grant(self, grant_id: str) -> int:
        """Delete every access and refresh token of the grant; the number of tokens removed."""

    @abc.abstractmethod
    def revoke_user_app(self, user_id: str, client_id: str) -> int:
        """Deauthorize: delete the user's tokens, grants and pending codes for the app, and the consent; the
        number of tokens removed."""

    @abc.abstractmethod
    def revoke_user(self, user_id: str) -> int:
        """Delete every token, grant, pending code and consent of the user (deactivation); the number of tokens
        removed."""


class TokenStore(abc.ABC):
    """Access and refresh tokens: issue, look up, rotate (once), revoke, expire."""

    @abc.abstractmethod
    def issue_tokens(self, grant: GrantRecord | None, access: AccessTokenRecord,
                     refresh: RefreshTokenRecord | None) -> None:
        """In one transaction: insert the grant (when new) and the access and refresh tokens."""

    @abc.abstractmethod
    def get_access_token(self, token_hash: str) -> AccessTokenRecord | None: ...

    @abc.abstractmethod
    def get_refresh_token(self, token_hash: str) -> RefreshTokenRecord | None: ...

    @abc.abstractmethod
    def rotate_refresh_token(
        self,
        old_hash: str,
        now: int,
        access: AccessTokenRecord,
        refresh: RefreshTokenRecord | None,
        successor_sealed: str = "",
    ) -> bool:
        """Atomically: mark the unrotated refresh token `old_hash` rotated (successor = `refresh`, with
        `successor_sealed` kept on the old row), delete the access token issued with it, insert the new tokens.
        False (and no change) when `old_hash` is missing or already rotated."""

    @abc.abstractmethod
    def revoke_access_token(self, token_hash: str) -> bool: ...

    @abc.abstractmethod
    def forget_successors(self, rotated_before: int) -> int:
        """Clear the sealed successors of refresh tokens rotated before the given time (the grace window has
        passed); the number of rows changed."""

    @abc.abstractmethod
    def delete_expired(self, now: int) -> int:
        """Remove expired codes and tokens, and the grants this leaves with no token and no code; the number of
        rows removed."""


class RateLimitStore(abc.ABC):
    """Fixed-window counters shared by every node on the database."""

    @abc.abstractmethod
    def hit_rate_limits(self, hits: list[tuple[str, int]], window_start: int) -> list[int]:
        """Add each (bucket, cost) to its counter for the window starting at `window_start`, atomically per
        bucket; the counts after the addition, in order."""


class DPoPStore(abc.ABC):
    """DPoP (RFC 9449): the proofs already accepted and the nonces handed out, shared by every node."""

    @abc.abstractmethod
    def use_dpop_proof(self, proof_hash: str, expires_at: int) -> bool:
        """Remember a proof until `expires_at`; False, and no change, when it was remembered already (one
        conditional insert: of two nodes given the same proof, one gets True)."""

    @abc.abstractmethod
    def dpop_nonce(self, now: int, issued_after: int, expires_at: int, new_nonce: Callable[[], str]) -> str:
        """The newest nonce handed out at or after `issued_after`; when there is none, `new_nonce()`, kept until
        `expires_at`."""

    @abc.abstractmethod
    def dpop_nonce_valid(self, nonce: str, now: int) -> bool:
        """Whether `nonce` was handed out and has not expired at `now`."""

    @abc.abstractmethod
    def delete_expired_dpop(self, now: int) -> int:
        """Forget proofs and nonces that expired before `now`; the number of rows removed."""


class AuditStore(abc.ABC):
    """The audit trail; it outlives the apps, grants and tokens it records."""

    @abc.abstractmethod
    def save_audit_events(self, events: list[AuditRecord]) -> None: ...

    @abc.abstractmethod
    def list_audit_events(self, offset: int, limit: int) -> list[AuditRecord]:
        """Newest first."""

    @abc.abstractmethod
    def delete_audit_events(self, before: int) -> int:
        """Remove events created before the given time; the number removed."""


class OpenIDStore(abc.ABC):
    """OpenID Connect: the signing keys every node shares, and the authentication behind each code."""

    @abc.abstractmethod
    def list_signing_keys(self, now: int) -> list[SigningKeyRecord]:
        """The keys still published at `now` (remove_at 0 or later), newest first."""

    @abc.abstractmethod
    def add_signing_key(self, key: SigningKeyRecord) -> bool:
        """Insert the first current key of its algorithm; False, and no change, when the algorithm has one already
        (another node generated it first: one conditional insert decides)."""

    @abc.abstractmethod
    def rotate_signing_key(self, current_kid: str, now: int, remove_at: int, new: SigningKeyRecord) -> bool:
        """In one transaction: retire `current_kid` (it leaves the JWKS at `remove_at`) if it still signs, and insert
        `new` as its algorithm's current key. False, and no change, when another rotation retired it first."""

    @abc.abstractmethod
    def delete_removed_signing_keys(self, now: int) -> int:
        """Remove the retired keys whose remove_at has passed; the number removed."""

    @abc.abstractmethod
    def save_authentication(self, authentication: AuthenticationRecord) -> None: ...

    @abc.abstractmethod
    def get_authentication(self, code_hash: str) -> AuthenticationRecord | None: ...


class DeviceCodeStore(abc.ABC):
    """RFC 8628's device codes: issued to a device, decided once on the verification page, polled, redeemed once."""

    @abc.abstractmethod
    def save_device_code(self, record: DeviceCodeRecord) -> bool:
        """Insert; False, and no change, when the device code or the user code is taken (draw another)."""

    @abc.abstractmethod
    def get_device_code(self, device_code_hash: str) -> DeviceCodeRecord | None: ...

    @abc.abstractmethod
    def find_pending_device_code(self, user_code_hash: str, now: int) -> DeviceCodeRecord | None:
        """The pending, unexpired request with this user code."""

    @abc.abstractmethod
    def decide_device_code(self, user_code_hash: str, now: int, status: str, user_id: str,
                           scope: str) -> DeviceCodeRecord | None:
        """The user's decision, once: set `status` (approved or denied), the user and the granted scope if the
        request is pending and unexpired at `now` (one conditional UPDATE); the row as written, or None."""

    @abc.abstractmethod
    def poll_device_code(self, device_code_hash: str, client_id: str, now: int,
                         slow_down_seconds: int) -> DeviceCodeRecord | None:
        """A poll by `client_id`, in one conditional UPDATE: remember when it came and, when a pending request is
        polled sooner than its interval after the previous poll, add `slow_down_seconds` to the interval and mark
        it `slow_down`. The row as written, or None when it is not this client's."""

    @abc.abstractmethod
    def redeem_device_code(self, device_code_hash: str, client_id: str, now: int, grant_id: str,
                           issue: Callable[[DeviceCodeRecord], Issue]) -> Issue | None:
        """As `redeem_code`: one conditional UPDATE from approved to redeemed (unexpired at `now`, `client_id`'s;
        exactly one of racing callers gets the row), then `issue(record)` gives the grant and tokens, inserted in
        the same transaction. None, and no change, when the request is not approved; when `issue` raises, the
        request stays redeemed and nothing else is written."""


class PushedRequestStore(abc.ABC):
    """Pushed authorization requests (RFC 9126). A request_uri is single use: starting and consuming are each one
    conditional update, so of racing browsers exactly one consumes it."""

    @abc.abstractmethod
    def save_pushed_request(self, pushed: PushedRequestRecord) -> None: ...

    @abc.abstractmethod
    def get_pushed_request(self, request_hash: str, client_id: str, now: int) -> PushedRequestRecord | None:
        """The client's request, while it is neither consumed nor expired at `now`; None otherwise."""

    @abc.abstractmethod
    def start_pushed_request(self, request_hash: str, client_id: str, user_id: str, now: int,
                             expires_at: int) -> PushedRequestRecord | None:
        """A browser signed in as `user_id` opened it: it becomes that user's, and the first start sets its expiry
        to `expires_at` (the time a consent page may take). None, and no change, when it is consumed, expired, not
        this client's or already another user's."""

    @abc.abstractmethod
    def consume_pushed_request(self, request_hash: str, client_id: str, user_id: str,
                               now: int) -> PushedRequestRecord | None:
        """Spend it (the authorization completes): the record, or None, and no change, when it is consumed,
        expired, not this client's or started by another user."""


class Store(AppStore, ConsentStore, CodeStore, GrantStore, TokenStore, RateLimitStore, DPoPStore, AuditStore,
            OpenIDStore, DeviceCodeStore, PushedRequestStore):
    """Everything the domain needs, on one object (one connection pool, one schema)."""

    @abc.abstractmethod
    def migrate(self) -> int:
        """Apply pending numbered migrations; return the schema version now in force."""

    @abc.abstractmethod
    def schema_version(self) -> int:
        """The schema version the database holds now, 0 when the provider has never migrated it. Creates nothing
        (no file, no table): the plugin asks before it takes a database it has not served from."""

    @abc.abstractmethod
    def close(self) -> None: ...

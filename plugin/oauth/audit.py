"""The audit trail: a typed event for every change to an app, a consent, a code or a token.

Each event is kept in the store and logged at once as a JSON line (the host writes the plugin's lines into its
own log): the routine ones of every sign-in and refresh (ROUTINE) at debug level, the rest at info, replays and
reuse at warning. Two log lines per code exchange, which the host parses again, cost both processes more than the
exchange itself (bench/README.md); the store keeps them all for the audit API.

Store writes are batched by a background thread (every FLUSH_SECONDS) so that auditing does not add a database
transaction to every token request; `flush()` writes what is pending, and closing the provider
flushes, so only events of the last fraction of a second can be lost to a killed process.
"""
from __future__ import annotations

import enum
import json
import logging
import threading

from plugin.store.contract import Store, StoreError
from plugin.store.records import AuditRecord

from .ids import new_id

log = logging.getLogger("plugin.audit")

FLUSH_SECONDS = 0.2
MAX_PENDING = 10_000  # while the store is unreachable, keep at most this many events


class AuditEvent(str, enum.Enum):
    APP_CREATED = "app_created"
    APP_UPDATED = "app_updated"
    APP_DELETED = "app_deleted"
    APP_SECRET_REGENERATED = "app_secret_regenerated"
    CONSENT_GRANTED = "consent_granted"
    CONSENT_DENIED = "consent_denied"
    CONSENT_REMEMBERED = "consent_remembered"
    CODE_ISSUED = "code_issued"
    CODE_CONSUMED = "code_consumed"
    CODE_REPLAYED = "code_replayed"
    TOKEN_ISSUED = "token_issued"
    TOKEN_REFRESHED = "token_refreshed"
    TOKEN_REVOKED = "token_revoked"
    REFRESH_REUSE_DETECTED = "refresh_reuse_detected"
    USER_DEAUTHORIZED_APP = "user_deauthorized_app"
    USER_REVOKED = "user_revoked"
    DEVICE_CODE_ISSUED = "device_code_issued"
    DEVICE_APPROVED = "device_approved"
    DEVICE_DENIED = "device_denied"
    DEVICE_USER_CODE_REFUSED = "device_user_code_refused"
    DEVICE_CODE_REDEEMED = "device_code_redeemed"
    SIGNING_KEY_GENERATED = "signing_key_generated"
    SIGNING_KEY_ROTATED = "signing_key_rotated"
    PUSHED_REQUEST_CREATED = "pushed_request_created"
    PUSHED_REQUEST_USED = "pushed_request_used"
    PUSHED_REQUEST_REFUSED = "pushed_request_refused"


ROUTINE = frozenset({AuditEvent.CODE_ISSUED, AuditEvent.CODE_CONSUMED, AuditEvent.TOKEN_ISSUED,
                     AuditEvent.TOKEN_REFRESHED, AuditEvent.CONSENT_REMEMBERED})
# Events that may be an attack: a replayed code, a reused refresh token, a request_uri replayed or not the app's.
WARNINGS = frozenset({AuditEvent.CODE_REPLAYED, AuditEvent.REFRESH_REUSE_DETECTED,
                      AuditEvent.PUSHED_REQUEST_REFUSED})


def log_level(event: AuditEvent) -> int:
    return logging.DEBUG if event in ROUTINE else logging.WARNING if event in WARNINGS else logging.INFO


class AuditLog:
    def __init__(self, store: Store, clock) -> None:
        self.store = store
        self.clock = clock
        self._pending: list[AuditRecord] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        # Told of every event as it is recorded (the plugin's metrics count them): (event, detail) -> None.
        self.listeners: list = []

    def record(self, event: AuditEvent, *, user_id: str = "", client_id: str = "", grant_id: str = "",
               remote_addr: str = "", **detail) -> None:
        entry = AuditRecord(id=new_id(), create_at=self.clock.now_ms(), type=event.value, user_id=user_id,
                            client_id=client_id, grant_id=grant_id, remote_addr=remote_addr,
                            detail=json.dumps(detail, sort_keys=True))
        level = log_level(event)
        if log.isEnabledFor(level):
            log.log(level, "audit", extra={"audit_id": entry.id, "event": entry.type, "user_id": user_id,
                                           "client_id": client_id, "grant_id": grant_id, "remote_addr": remote_addr,
                                           **{f"detail_{k}": v for k, v in detail.items()}})
        for listener in self.listeners:
            listener(event, detail)
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                self._pending.pop(0)
            self._pending.append(entry)
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            self.store.save_audit_events(batch)
        except StoreError as exc:
            log.error("could not store audit events; keeping them for the next flush", extra={"error": str(exc)})
            with self._lock:
                self._pending[:0] = batch[-MAX_PENDING:]

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(FLUSH_SECONDS)
            self.flush()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

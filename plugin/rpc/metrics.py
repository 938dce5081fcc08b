"""The plugin's metrics (Prometheus), served to the host through the ServeMetrics hook (hooks.proto): the host adds
them to its own /metrics, labelled with the plugin's id, so one scrape of a node sees both processes.

What is counted, and where it is taken (the domain imports none of this: `instrument` attaches to it):
- tokens issued, by grant type: the registry's AFTER_ISSUE hook (every grant of the token endpoint), and the audit
  trail's `token_issued` events of response types that issue tokens at the authorization endpoint (implicit);
- refresh token reuse detections, code replays, consent decisions: the audit trail's events;
- rate-limit refusals and store unavailability: the AppErrors the RPCs answer with (servicers/calls.py);
- store latency (statements and transactions, by kind and outcome): the store's three primitives, timed;
- cleanup runs and the rows they removed: the runtime's cleanup loop.

Counters with labels known in advance are made once (`.labels()` at import), so the hot paths do an increment.
"""
from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from plugin.oauth.audit import AuditEvent
from plugin.oauth.rfc8628 import GRANT_TYPE
from plugin.oauth.server import AFTER_ISSUE
from plugin.oauth.store_errors import STORE_UNAVAILABLE
from plugin.store.contract import StoreUnavailable

REGISTRY = CollectorRegistry(auto_describe=True)
PREFIX = "oauth_provider"

TOKENS_ISSUED = Counter(f"{PREFIX}_tokens_issued", "Access tokens issued, by grant type.", ["grant_type"],
                        registry=REGISTRY)
REFRESH_REUSE = Counter(f"{PREFIX}_refresh_reuse_detected",
                        "Rotated refresh tokens presented again after the grace window (their grant is revoked).",
                        registry=REGISTRY)
CODE_REPLAYS = Counter(f"{PREFIX}_code_replays", "Authorization codes presented again (their tokens are revoked).",
                       registry=REGISTRY)
RATE_LIMITED = Counter(f"{PREFIX}_rate_limited", "Requests refused by a per-client or per-address rate limit.",
                       registry=REGISTRY)
CONSENT = Counter(f"{PREFIX}_consent_decisions", "Consent decisions: granted, denied, or remembered (no page shown).",
                  ["decision"], registry=REGISTRY)
STORE_SECONDS = Histogram(f"{PREFIX}_store_seconds", "Time of the store's statements (read) and transactions "
                          "(write), by outcome.", ["kind", "outcome"], registry=REGISTRY,
                          buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
STORE_UNAVAILABLE_ANSWERS = Counter(f"{PREFIX}_store_unavailable", "Requests answered 503 because the database "
                                    "could not be reached.", registry=REGISTRY)
CLEANUP_RUNS = Counter(f"{PREFIX}_cleanup_runs", "Runs of the expired rows cleanup, by outcome.", ["outcome"],
                       registry=REGISTRY)
CLEANUP_ROWS = Counter(f"{PREFIX}_cleanup_rows_removed", "Expired rows the cleanup removed.", registry=REGISTRY)

_CONSENT = {AuditEvent.CONSENT_GRANTED: CONSENT.labels("granted"), AuditEvent.CONSENT_DENIED: CONSENT.labels("denied"),
            AuditEvent.CONSENT_REMEMBERED: CONSENT.labels("remembered")}
_STORE = {(kind, outcome): STORE_SECONDS.labels(kind, outcome)
          for kind in ("read", "write") for outcome in ("ok", "error", "unavailable")}
_FAILURES = {"api.oauth.rate_limited.app_error": RATE_LIMITED, STORE_UNAVAILABLE: STORE_UNAVAILABLE_ANSWERS}
for outcome in ("ok", "failed"):
    CLEANUP_RUNS.labels(outcome)
# By grant type; the built-in ones are series from the start, at 0.
_TOKENS = {grant_type: TOKENS_ISSUED.labels(grant_type) for grant_type in ("authorization_code", "refresh_token",
                                                                            "implicit", GRANT_TYPE)}


def text() -> bytes:
    """The metrics in Prometheus' text format."""
    return generate_latest(REGISTRY)


def answered_error(error_id: str) -> None:
    """An RPC answered with this AppError."""
    counter = _FAILURES.get(error_id)
    if counter is not None:
        counter.inc()


def cleanup_ran(rows: int | None) -> None:
    """One cleanup run: the rows it removed, or None when it failed."""
    if rows is None:
        CLEANUP_RUNS.labels("failed").inc()
        return
    CLEANUP_RUNS.labels("ok").inc()
    CLEANUP_ROWS.inc(rows)


def _tokens_issued(grant_type: str) -> None:
    child = _TOKENS.get(grant_type)
    if child is None:  # once per grant type
        child = _TOKENS[grant_type] = TOKENS_ISSUED.labels(grant_type)
    child.inc()


def _after_issue(grant, app, request, issued) -> None:
    _tokens_issued(grant.grant_type)


def _audited(event: AuditEvent, detail: dict) -> None:
    if event is AuditEvent.REFRESH_REUSE_DETECTED:
        REFRESH_REUSE.inc()
    elif event is AuditEvent.CODE_REPLAYED:
        CODE_REPLAYS.inc()
    elif event in _CONSENT:
        _CONSENT[event].inc()
    elif event is AuditEvent.TOKEN_ISSUED and detail.get("grant_type") in _AUTHORIZATION_ENDPOINT_GRANTS:
        _tokens_issued(detail["grant_type"])


# Tokens issued by the authorization endpoint itself (a response type), which the token endpoint's AFTER_ISSUE hook
# does not see.
_AUTHORIZATION_ENDPOINT_GRANTS = {"implicit"}


def instrument(provider) -> None:
    """Count what an OAuthProvider does (one per activation; the counters carry on across them)."""
    provider.server.register_hook(AFTER_ISSUE, _after_issue)
    provider.services.audit.listeners.append(_audited)
    instrument_store(provider.services.store)


def instrument_store(store) -> None:
    """Time the store's primitives (SqlStore: `_one` and `_all` read, `_write` runs a transaction)."""
    if getattr(store, "_metrics_timed", False):
        return
    for name, kind in (("_one", "read"), ("_all", "read"), ("_write", "write")):
        primitive = getattr(store, name, None)
        if primitive is not None:
            setattr(store, name, _timed(primitive, kind))
    store._metrics_timed = True


def _timed(primitive, kind: str):
    ok, error, unavailable = _STORE[(kind, "ok")], _STORE[(kind, "error")], _STORE[(kind, "unavailable")]

    def timed(*args):
        started = time.perf_counter()
        try:
            result = primitive(*args)
        except StoreUnavailable:
            unavailable.observe(time.perf_counter() - started)
            raise
        except BaseException:
            error.observe(time.perf_counter() - started)
            raise
        ok.observe(time.perf_counter() - started)
        return result
    return timed

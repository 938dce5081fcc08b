"""The bench's workloads called in-process on the plugin's domain and store: no HTTP, no gRPC, one thread.

Beside the HTTP figures they show what the transport (aiohttp, the host's per-request work, gRPC with TLS, the
plugin's thread hand-off) costs. On SQLite the statements of each operation are counted too (sqlite3's
set_trace_callback on the store's connections), the plugin's share of the SQL in the traced HTTP pass.
"""
from __future__ import annotations

import sqlite3
import threading
import time
import urllib.parse

import mint

OPERATIONS = 2_000


def _traced_store(driver: str, source: str, counter: dict):
    from plugin.rpc.runtime import open_store

    store = open_store({}, {"drivername": driver, "datasource": source})
    if driver == "sqlite":
        main = threading.get_ident()
        connect = store._connect

        def trace(statement: str) -> None:
            if threading.get_ident() != main:
                return  # the audit writer's batches run off the request path
            verb = statement.lstrip("(").split(" ", 1)[0].upper()
            if verb == "BEGIN":
                counter["transactions"] += 1
            elif verb in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
                counter["queries"] += 1

        def traced_connect() -> sqlite3.Connection:
            conn = connect()
            conn.set_trace_callback(trace)
            return conn

        store._connect = traced_connect
        store.keep_apps_in_memory()  # as the plugin does while it alone writes the file
    return store


class TimedStore:
    """The store as the provider sees it, with the time spent in its methods on the calling thread added up (the
    SQL side of an operation; the rest is the domain's). The audit writer's thread is not counted."""

    def __init__(self, store) -> None:
        self._store, self._thread, self.seconds = store, threading.get_ident(), 0.0

    def __getattr__(self, name: str):
        value = getattr(self._store, name)
        if not callable(value) or name.startswith("_"):
            return value

        def timed(*args, **kwargs):
            if threading.get_ident() != self._thread:
                return value(*args, **kwargs)
            started = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
        return timed


def measure(driver: str, source: str, fx: mint.Fixture, codes: list[str], refresh: list[str],
            access: list[str]) -> dict:
    from plugin.clock import SystemClock
    from plugin.oauth.provider import Caller, OAuthProvider
    from plugin.oauth.rfc6749 import AuthorizeRequest, TokenActionRequest, TokenRequest

    counter = {"queries": 0, "transactions": 0}
    store = _traced_store(driver, source, counter)
    timed_store = TimedStore(store)
    provider = OAuthProvider(timed_store, SystemClock(), mint.bench_settings())
    user = Caller(user_id=fx.user_id, session_id="bench")

    def exchange(code: str):
        return provider.token(TokenRequest(grant_type="authorization_code", code=code, client_id=fx.client_id,
                                           client_secret=fx.client_secret, redirect_uri=fx.redirect_uri,
                                           code_verifier=fx.verifier))

    def sign_in(_):
        outcome = provider.begin_authorization(user, AuthorizeRequest(
            response_type="code", client_id=fx.client_id, redirect_uri=fx.redirect_uri, state="bench",
            code_challenge=fx.challenge, code_challenge_method="S256"))
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(outcome.redirect_url).query)["code"][0]
        provider.validate_token(exchange(code).access_token)

    operations = {
        "W1": (exchange, codes),
        "W2": (lambda t: provider.token(TokenRequest(grant_type="refresh_token", refresh_token=t,
                                                     client_id=fx.client_id, client_secret=fx.client_secret)),
               refresh),
        "W3": (provider.validate_token, [access[i % len(access)] for i in range(len(codes))]),
        "W4": (lambda t: provider.introspect(TokenActionRequest(token=t, token_type_hint="access_token",
                                                                client_id=fx.client_id,
                                                                client_secret=fx.client_secret)),
               [access[i % len(access)] for i in range(len(codes))]),
        "W5": (sign_in, range(len(codes) // 4)),
    }
    results = {}
    try:
        for key, (operation, inputs) in operations.items():
            inputs = list(inputs)
            counter.update(queries=0, transactions=0)
            timed_store.seconds = 0.0
            times = []
            start = time.perf_counter()
            for item in inputs:
                t0 = time.perf_counter()
                operation(item)
                times.append(time.perf_counter() - t0)
            elapsed = time.perf_counter() - start
            times.sort()
            results[key] = {
                "ops": len(inputs) / elapsed,
                "p50_us": times[len(times) // 2] * 1e6,
                "p99_us": times[int(len(times) * 0.99)] * 1e6,
                "store_us": timed_store.seconds / len(inputs) * 1e6,  # of the mean, 1e6 / ops
            }
            if driver == "sqlite":
                results[key]["queries"] = counter["queries"] / len(inputs)
                results[key]["transactions"] = counter["transactions"] / len(inputs)
    finally:
        provider.close()
        store.close()
    return results

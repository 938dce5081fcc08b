#!/usr/bin/env python3
"""The benchmark: one command, a host with its plugin on SQLite and then on PostgreSQL, one table.

    .venv/bin/python bench/run.py                 # or: make bench
    .venv/bin/python bench/run.py --duration 5 --only sqlite

For each database: mint what the load needs (bench/mint.py), time the same operations in-process on the plugin's
domain and store (no HTTP, no gRPC), start a real host (`python -m server_stub serve`, which launches the plugin
over go-plugin gRPC with mutual TLS), drive W1-W4 with wrk (-t1 -c32, bench/lua/lines.lua: each request its own
code or refresh token), then each again paced at half the rate just measured, W5 as sequential sign-ins, the
SQL statements per operation (a second, traced host: bench/sqltrace/), and W3/W4 again with 1,000,000 stored
access tokens. Rate limits are off for the bench (plugin settings RateLimitPerClientPerMinute and
RateLimitPerAddressPerMinute = 0). Raw results go to bench/out/ (git-ignored); see bench/README.md.
"""
from __future__ import annotations

import argparse
import datetime
import http.client
import importlib.util
import json
import os
import pathlib
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
LUA = BENCH / "lua" / "lines.lua"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import mint  # noqa: E402  (bench/mint.py)

PLUGIN_ID = json.loads((ROOT / "plugin.json").read_text())["id"]
THREADS, CONNECTIONS = 1, 32
SCALE_SMALL, SCALE_LARGE = 1_000, 1_000_000
WORKLOADS = {
    "W1": "code exchange (authorization_code + PKCE)",
    "W2": "refresh (refresh_token, rotation)",
    "W3": "bearer GET /api/v4/users/me",
    "W4": "introspection POST /oauth/introspect",
    "W5": "sign-in: authorize -> exchange -> users/me",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- tools ---------------------------------------------------------------------------------------------------

def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing Debian's package")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True, env=env)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- PostgreSQL ----------------------------------------------------------------------------------------------

class Postgres:
    """A throwaway server from scripts/pg-test-server (fsync=off: for tests and benches only)."""

    SCRIPT = ROOT / "scripts" / "pg-test-server"

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="bench-pg-")
        os.chmod(self.dir, 0o755)
        self.dsn = ""

    @classmethod
    def unavailable(cls) -> str:
        """Why the PostgreSQL run cannot happen, or ""."""
        if not cls.SCRIPT.exists():
            return "scripts/pg-test-server is not there yet"
        if not (ROOT / "plugin" / "store" / "postgres.py").exists():
            return "plugin/store/postgres.py is not there yet"
        if importlib.util.find_spec("psycopg") is None:
            return "psycopg is not installed"
        return ""

    def start(self) -> str:
        out = subprocess.run([str(self.SCRIPT), "start", self.dir], capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"pg-test-server start failed: {out.stderr.strip()[-500:]}")
        admin = out.stdout.strip().splitlines()[-1]
        import psycopg
        import psycopg.conninfo

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS oauth_bench")
            conn.execute("CREATE DATABASE oauth_bench")
        self.dsn = psycopg.conninfo.make_conninfo(admin, dbname="oauth_bench")
        return self.dsn

    def log_statements(self, on: bool) -> None:
        """log_statement = all, so the server's log counts what the plugin sends (the traced pass)."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM SET log_statement = '{'all' if on else 'none'}'")
            conn.execute("SELECT pg_reload_conf()")

    @property
    def log_path(self) -> pathlib.Path:
        return pathlib.Path(self.dir) / "server.log"

    def stop(self) -> None:
        subprocess.run([str(self.SCRIPT), "stop", self.dir, "fast"], capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


# --- the host under test -------------------------------------------------------------------------------------

class Host:
    def __init__(self, data_dir: pathlib.Path, name: str, env: dict | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = OUT / f"{name}.log"
        self.env = env or {}
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Host":
        log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server_stub", "serve", "--listen", f"127.0.0.1:{self.port}",
             "--data-dir", str(self.data_dir)],
            stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **self.env})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the host exited: see {self.log_path}")
            if self._plugin_running():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"the plugin did not start within 60 s: see {self.log_path}")

    def _plugin_running(self) -> bool:
        from server_stub.__main__ import local_request

        try:
            answer = local_request(str(self.data_dir), "GET", "/api/v4/plugins/statuses")
        except OSError:
            return False
        return bool(answer and answer[0] == 200 and any(
            s["plugin_id"] == PLUGIN_ID and s["state"] == 2 for s in answer[1]))

    def pids(self) -> list[int]:
        children = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        return [self.proc.pid] + [int(p) for p in children]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def configure(data_dir: pathlib.Path, driver: str, source: str) -> None:
    from server_stub.config import edit_config_file

    def change(config: dict) -> None:
        config["PluginSettings"]["Plugins"][PLUGIN_ID] = {
            "DriverName": driver, "DataSource": source,
            # The bench measures throughput: the rate limits (requests per minute and client/address) are off.
            "RateLimitPerClientPerMinute": 0, "RateLimitPerAddressPerMinute": 0,
        }
        config["PluginSettings"]["HealthCheckIntervalSeconds"] = 30

    edit_config_file(str(data_dir), change)


# --- wrk -----------------------------------------------------------------------------------------------------

PROFILE: Profiler | None = None
HOST_PIDS: list[int] = []  # the host and its plugin, whose CPU each full-speed run measures


def cpu_seconds(pids: list[int]) -> list[float]:
    """User + system CPU time of each process so far (/proc/PID/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = []
    for pid in pids:
        try:
            fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds.append((int(fields[11]) + int(fields[12])) / ticks)
        except (OSError, IndexError, ValueError):
            seconds.append(float("nan"))
    return seconds


def run_wrk(wrk: str, url: str, lines: list[str], mode: str, duration: int, name: str,
            connections: int = CONNECTIONS, delay_ms: float = 0) -> dict:
    feed = OUT / f"{name}.lines"
    feed.write_text("\n".join(lines) + "\n")
    result = OUT / f"{name}.json"
    result.unlink(missing_ok=True)
    env = {**os.environ, "BENCH_FILE": str(feed), "BENCH_MODE": mode, "BENCH_RESULT": str(result),
           "BENCH_DELAY_MS": f"{delay_ms:.3f}"}
    command = [wrk, f"-t{THREADS}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", str(LUA), url]
    spies = PROFILE(name, duration) if PROFILE is not None and not delay_ms else []
    pids = HOST_PIDS[:2] if not delay_ms else []
    cpu_before = cpu_seconds(pids)
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=duration + 60)
    cpu_used = [after - before for before, after in zip(cpu_before, cpu_seconds(pids))]
    for spy in spies:
        spy.wait(30)
    (OUT / f"{name}.wrk.txt").write_text(" ".join(command) + "\n\n" + out.stdout + out.stderr)
    feed.unlink(missing_ok=True)
    if out.returncode != 0 or not result.exists():
        raise RuntimeError(f"wrk failed ({name}): {out.stderr.strip()[-300:]}")
    data = json.loads(result.read_text())
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["errors"] = data["status"] + data["connect"] + data["read"] + data["write"] + data["timeout"]
    data["command"] = " ".join(command)
    if len(cpu_used) == 2 and data["requests"]:
        # wrk's run includes its connection set-up: a little more than duration_us, so a little over per request
        data["host_cpu_us"], data["plugin_cpu_us"] = (used / data["requests"] * 1e6 for used in cpu_used)
    return data


class Profiler:
    """py-spy (pip install py-spy) on the host and the plugin during a run: collapsed stacks in bench/out/."""

    def __init__(self, host: Host | None) -> None:
        self.host = host
        self.spy = shutil.which("py-spy") or str(pathlib.Path(sys.executable).with_name("py-spy"))

    def __call__(self, name: str, duration: int):
        if self.host is None:
            return []
        procs = []
        for role, pid in zip(("host", "plugin"), self.host.pids()):
            procs.append(subprocess.Popen(
                [self.spy, "record", "-p", str(pid), "-f", "raw", "-o", str(OUT / f"{name}-{role}.stacks"),
                 "-d", str(duration), "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return procs


def paced(wrk: str, url: str, lines: list[str], mode: str, duration: int, name: str, rate: float) -> dict:
    """About `rate` requests per second: each of the 32 connections waits 32/rate s between its requests (wrk's
    Lua delay(); wrk2 is not packaged). The achieved rate is reported as measured."""
    delay_ms = CONNECTIONS * 1000.0 / max(rate, 1.0)
    data = run_wrk(wrk, url, lines, mode, duration, name, delay_ms=delay_ms)
    data["target_rps"] = rate
    return data


# --- W5: whole sign-ins, sequential --------------------------------------------------------------------------

def sign_in(conn: http.client.HTTPConnection, fx: mint.Fixture) -> tuple[float, int]:
    """authorize (trusted app, logged-in user) -> exchange -> users/me; (seconds, failures)."""
    query = urllib.parse.urlencode({"response_type": "code", "client_id": fx.client_id,
                                    "redirect_uri": fx.redirect_uri, "state": "bench",
                                    "code_challenge": fx.challenge, "code_challenge_method": "S256"})
    start = time.perf_counter()
    conn.request("GET", "/oauth/authorize?" + query, headers={"Cookie": f"MMAUTHTOKEN={fx.session_token}"})
    answer = conn.getresponse()
    answer.read()
    location = answer.getheader("Location", "")
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("code", [""])[0]
    if answer.status != 302 or not code:
        return time.perf_counter() - start, 1
    conn.request("POST", "/oauth/access_token", body=fx.exchange_body(code),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    answer = conn.getresponse()
    body = answer.read()
    if answer.status != 200:
        return time.perf_counter() - start, 1
    token = json.loads(body)["access_token"]
    conn.request("GET", "/api/v4/users/me", headers={"Authorization": f"Bearer {token}"})
    answer = conn.getresponse()
    answer.read()
    return time.perf_counter() - start, int(answer.status != 200)


def run_sign_ins(url: str, fx: mint.Fixture, count: int) -> dict:
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    for _ in range(5):
        sign_in(conn, fx)  # warm-up
    times, errors = [], 0
    start = time.perf_counter()
    for _ in range(count):
        seconds, failed = sign_in(conn, fx)
        times.append(seconds)
        errors += failed
    elapsed = time.perf_counter() - start
    conn.close()
    return {"requests": count, "rps": count / elapsed, "errors": errors, **latency_summary(times)}


def latency_summary(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6  # noqa: E731
    return {"p50_us": pick(0.50), "p99_us": pick(0.99), "mean_us": statistics.fmean(ordered) * 1e6}


# --- SQL statements per operation (a traced host) ------------------------------------------------------------

BACKGROUND_THREADS = ("audit-writer", "cleanup")
QUERY_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


def _tally(counts: dict, role: str, statement: str) -> None:
    verb = statement.lstrip("(").split(" ", 1)[0].upper()
    if verb in QUERY_VERBS:
        counts[role + "_queries"] += 1
    elif verb == "BEGIN":
        counts["transactions"] += 1


def count_statements(trace: pathlib.Path, host_pid: int, pg: "Postgres | None", action, repeat: int) -> dict:
    """Queries (SELECT/INSERT/UPDATE/DELETE) of the host and of the plugin, and transactions (BEGIN), per call of
    `action`. SQLite statements come from the trace (by process), the plugin's PostgreSQL statements from the
    server's log (log_statement = all; psycopg's extended protocol logs `execute <name>: SQL`). The audit writer's
    batches and the cleanup thread run off the request path and are left out."""
    before = trace.read_text().splitlines() if trace.exists() else []
    pg_before = len(pg.log_path.read_text(errors="replace")) if pg is not None and pg.log_path.exists() else 0
    for _ in range(repeat):
        action()
    time.sleep(0.3 if pg is not None else 0.05)
    counts = {"host_queries": 0, "plugin_queries": 0, "transactions": 0}
    for line in trace.read_text().splitlines()[len(before):]:
        parts = line.split("\t", 2)
        if len(parts) == 3 and parts[1] not in BACKGROUND_THREADS:
            _tally(counts, "host" if parts[0] == str(host_pid) else "plugin", parts[2])
    if pg is not None:
        for line in pg.log_path.read_text(errors="replace")[pg_before:].splitlines():
            match = re.search(r"LOG:\s+(?:statement|execute [^:]*): (.*)", line)
            if match is not None and "oauth_audit_events" not in line:
                _tally(counts, "plugin", match.group(1))
    result = {key: value / repeat for key, value in counts.items()}
    result["queries"] = result["host_queries"] + result["plugin_queries"]
    return result


# --- one database --------------------------------------------------------------------------------------------

def run_backend(name: str, wrk: str, duration: int, quick: bool) -> dict:
    result: dict = {"backend": name}
    # Outside the project: the host links the plugin bundle (this project) into its data directory, and a link
    # back into the tree would send setuptools' package discovery (pip install -e .) round in circles.
    data_dir = pathlib.Path(tempfile.mkdtemp(prefix=f"oauth-bench-{name}-"))
    try:
        return _run_backend(name, wrk, duration, quick, data_dir, result)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _run_backend(name: str, wrk: str, duration: int, quick: bool, data_dir: pathlib.Path, result: dict) -> dict:
    import inproc

    pg = None
    if name == "postgres":
        reason = Postgres.unavailable()
        if reason:
            return {"backend": name, "skipped": reason}
        pg = Postgres()
        try:
            source = pg.start()
        except Exception as exc:  # noqa: BLE001 - reported, the SQLite figures stand
            pg.stop()
            return {"backend": name, "skipped": f"PostgreSQL could not be started: {exc}"}
        driver = "postgres"
    else:
        driver, source = "sqlite", str(data_dir / "oauth.db")
    try:
        configure(data_dir, driver, source)
        from plugin.rpc.runtime import open_store

        store = open_store({}, {"drivername": driver, "datasource": source})
        store.migrate()
        fx = mint.register(store, str(data_dir / "host.db"))
        store.close()

        per_run = max(2_000, int(duration * 3_000))
        bulk = mint.Bulk(driver, source)
        log(f"{name}: minting codes, refresh tokens and access tokens")
        started = time.perf_counter()
        codes = mint.mint_codes(bulk, fx, 2 * per_run + inproc.OPERATIONS + 200)
        refresh = mint.mint_refresh_tokens(bulk, fx, 2 * per_run + inproc.OPERATIONS + 200)
        access = mint.mint_access_tokens(bulk, fx, SCALE_SMALL)
        result["mint_seconds"] = time.perf_counter() - started

        log(f"{name}: the same operations in-process (no HTTP, no gRPC)")
        take = lambda items, n: [items.pop() for _ in range(n)]  # noqa: E731
        result["inproc"] = inproc.measure(driver, source, fx, take(codes, inproc.OPERATIONS),
                                          take(refresh, inproc.OPERATIONS), access)

        host = Host(data_dir, f"host-{name}").start()
        global PROFILE
        if PROFILE is not None:
            PROFILE = Profiler(host)
        HOST_PIDS[:] = host.pids()
        try:
            result["http"] = {}
            log(f"{name}: warming up (3 s of W3 and of W4, not counted)")
            run_wrk(wrk, host.url + "/api/v4/users/me", access, "bearer", 3, f"{name}-warm-W3")
            run_wrk(wrk, host.url + "/oauth/introspect", [fx.introspect_body(t) for t in access], "form", 3,
                    f"{name}-warm-W4")
            log(f"{name}: W3 and W4 with {SCALE_SMALL:,} stored access tokens")
            result["http"]["W3"] = run_wrk(wrk, host.url + "/api/v4/users/me", access, "bearer", duration,
                                           f"{name}-W3")
            result["http"]["W4"] = run_wrk(wrk, host.url + "/oauth/introspect",
                                           [fx.introspect_body(t) for t in access], "form", duration, f"{name}-W4")
            log(f"{name}: W1 and W2 at full speed")
            result["http"]["W1"] = run_wrk(wrk, host.url + "/oauth/access_token",
                                           [fx.exchange_body(c) for c in take(codes, per_run)], "form", duration,
                                           f"{name}-W1")
            result["http"]["W2"] = run_wrk(wrk, host.url + "/oauth/access_token",
                                           [fx.refresh_body(t) for t in take(refresh, per_run)], "form", duration,
                                           f"{name}-W2")
            log(f"{name}: W5 sequential sign-ins")
            result["http"]["W5"] = run_sign_ins(host.url, fx, 100 if quick else 300)
            log(f"{name}: paced runs at half the measured rate")
            result["paced"] = {}
            result["paced"]["W1"] = paced(wrk, host.url + "/oauth/access_token",
                                          [fx.exchange_body(c) for c in codes], "form", duration,
                                          f"{name}-W1-paced", result["http"]["W1"]["rps"] / 2)
            result["paced"]["W2"] = paced(wrk, host.url + "/oauth/access_token",
                                          [fx.refresh_body(t) for t in refresh], "form", duration,
                                          f"{name}-W2-paced", result["http"]["W2"]["rps"] / 2)
            result["paced"]["W3"] = paced(wrk, host.url + "/api/v4/users/me", access, "bearer", duration,
                                          f"{name}-W3-paced", result["http"]["W3"]["rps"] / 2)
            result["paced"]["W4"] = paced(wrk, host.url + "/oauth/introspect",
                                          [fx.introspect_body(t) for t in access], "form", duration,
                                          f"{name}-W4-paced", result["http"]["W4"]["rps"] / 2)
            if not quick:
                log(f"{name}: topping the access-token table up to {SCALE_LARGE:,} rows")
                started = time.perf_counter()
                added = mint.fill_access_tokens(bulk, fx, SCALE_LARGE)
                result["scale_fill"] = {"rows_added": added, "seconds": time.perf_counter() - started,
                                        "rows": bulk.scalar("SELECT COUNT(*) FROM oauth_access_tokens")}
                result["scale"] = {
                    "W3": run_wrk(wrk, host.url + "/api/v4/users/me", access, "bearer", duration,
                                  f"{name}-W3-1M"),
                    "W4": run_wrk(wrk, host.url + "/oauth/introspect", [fx.introspect_body(t) for t in access],
                                  "form", duration, f"{name}-W4-1M"),
                }
        finally:
            HOST_PIDS.clear()
            host.stop()

        log(f"{name}: SQL statements per operation (a traced host)")
        result["sql"] = count_sql(name, data_dir, fx, codes, refresh, access, pg)
        bulk.close()
    finally:
        if pg is not None:
            pg.stop()
    return result


def count_sql(name: str, data_dir: pathlib.Path, fx: mint.Fixture, codes: list[str], refresh: list[str],
              access: list[str], pg: Postgres | None) -> dict:
    trace = OUT / f"{name}-sql-trace.txt"
    trace.unlink(missing_ok=True)
    env = {"BENCH_SQL_TRACE": str(trace),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH / "sqltrace"), os.environ.get("PYTHONPATH")]))}
    host = Host(data_dir, f"host-{name}-traced", env).start()
    parsed = urllib.parse.urlsplit(host.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)

    def call(method: str, path: str, body: str | None = None, headers: dict | None = None) -> int:
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        answer.read()
        return answer.status

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    actions = {
        "W1": lambda: call("POST", "/oauth/access_token", fx.exchange_body(codes.pop()), form),
        "W2": lambda: call("POST", "/oauth/access_token", fx.refresh_body(refresh.pop()), form),
        "W3": lambda: call("GET", "/api/v4/users/me", headers={"Authorization": f"Bearer {access[0]}"}),
        "W4": lambda: call("POST", "/oauth/introspect", fx.introspect_body(access[0]), form),
        "W5": lambda: sign_in(conn, fx),
    }
    counts = {}
    try:
        for action in actions.values():
            action()  # warm-up: connections opened, nothing cached that a steady state would not have
        if pg is not None:
            pg.log_statements(True)
            time.sleep(0.3)
        for key, action in actions.items():
            counts[key] = count_statements(trace, host.proc.pid, pg, action, 20)
    finally:
        if pg is not None:
            pg.log_statements(False)
        conn.close()
        host.stop()
    return counts


# --- the table -----------------------------------------------------------------------------------------------

def ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def table(results: list[dict]) -> str:
    rows = ["| DB | Workload | HTTP req/s | p50 ms | p99 ms | errors | paced req/s | paced p99 ms | "
            "in-process op/s | transport ratio | CPU us/req host + plugin | "
            "SQL queries (host + plugin) / transactions per op |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for result in results:
        db = result["backend"]
        if "skipped" in result:
            rows.append(f"| {db} | skipped: {result['skipped']} | | | | | | | | | | |")
            continue
        for key in WORKLOADS:
            http_ = result["http"][key]
            pace = result.get("paced", {}).get(key)
            inproc_ = result["inproc"][key]
            sql = result.get("sql", {}).get(key, {})
            sql_text = (f"{sql['queries']:g} ({sql['host_queries']:g} + {sql['plugin_queries']:g}) / "
                        f"{sql['transactions']:g}") if sql else ""
            ratio = inproc_["ops"] / http_["rps"] if http_["rps"] else 0
            cpu = f"{http_['host_cpu_us']:.0f} + {http_['plugin_cpu_us']:.0f}" if "host_cpu_us" in http_ else "-"
            rows.append(
                f"| {db} | {key} {WORKLOADS[key]} | {http_['rps']:,.0f} | {ms(http_['p50_us'])} | "
                f"{ms(http_['p99_us'])} | {http_['errors']} | "
                f"{'%.0f' % pace['rps'] if pace else '-'} | {ms(pace['p99_us']) if pace else '-'} | "
                f"{inproc_['ops']:,.0f} | {ratio:.1f}x | {cpu} | {sql_text} |")
    rows.append("")
    rows.append("| DB | Stored access tokens | W3 req/s | W3 p99 ms | W4 req/s | W4 p99 ms |")
    rows.append("|---|---:|---:|---:|---:|---:|")
    for result in results:
        if "skipped" in result or "scale" not in result:
            continue
        small, large = result["http"], result["scale"]
        rows.append(f"| {result['backend']} | {SCALE_SMALL:,} | {small['W3']['rps']:,.0f} | "
                    f"{ms(small['W3']['p99_us'])} | {small['W4']['rps']:,.0f} | {ms(small['W4']['p99_us'])} |")
        rows.append(f"| {result['backend']} | {result['scale_fill']['rows']:,} | {large['W3']['rps']:,.0f} "
                    f"({large['W3']['rps'] / small['W3']['rps'] - 1:+.0%}) | {ms(large['W3']['p99_us'])} | "
                    f"{large['W4']['rps']:,.0f} ({large['W4']['rps'] / small['W4']['rps'] - 1:+.0%}) | "
                    f"{ms(large['W4']['p99_us'])} |")
    return "\n".join(rows)


def machine_state(load_average: str) -> str:
    try:
        busy = float(load_average) >= 1.0
    except ValueError:
        return "unknown"
    return "other processes were using the CPUs: the figures are low" if busy else "otherwise idle"


def load() -> str:
    try:
        return open("/proc/loadavg").read().split(" ", 1)[0]
    except OSError:
        return "?"


def machine() -> str:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu or platform.processor()}), Python {platform.python_version()}, " \
           f"{platform.system()} {platform.release()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run one database only")
    parser.add_argument("--quick", action="store_true", help="skip the 1,000,000-token scale run")
    parser.add_argument("--profile", action="store_true",
                        help="record py-spy stacks of the host and the plugin during the full-speed runs")
    args = parser.parse_args()
    global PROFILE
    if args.profile:
        PROFILE = Profiler(None)

    OUT.mkdir(parents=True, exist_ok=True)
    wrk = ensure_wrk()
    started = datetime.datetime.now().astimezone()
    log(f"rate limits are OFF for the bench (RateLimitPerClientPerMinute = RateLimitPerAddressPerMinute = 0); "
        f"wrk -t{THREADS} -c{CONNECTIONS}, {args.duration} s per run")
    results = []
    load_before = load()
    for backend in ("sqlite", "postgres"):
        if args.only and backend != args.only:
            continue
        results.append(run_backend(backend, wrk, args.duration, args.quick))
        if "skipped" in results[-1]:
            log(f"{backend}: skipped: {results[-1]['skipped']}")
    text = "\n".join([
        f"Benchmark {started:%Y-%m-%d %H:%M %Z} on {machine()}; 1-minute load average {load_before} before "
        f"({machine_state(load_before)}), {load()} at the end (the bench's own host, plugin and wrk count in it)",
        f"wrk -t{THREADS} -c{CONNECTIONS}, {args.duration} s per run; rate limits off for the bench "
        "(plugin settings RateLimitPerClientPerMinute = RateLimitPerAddressPerMinute = 0).",
        "paced: the same workload at about half the measured rate (32 connections with think time). "
        "in-process: the same operation on the plugin's domain and store, one thread, no HTTP or gRPC; "
        "transport ratio = in-process op/s / HTTP req/s. SQL: SELECT/INSERT/UPDATE/DELETE per operation over the "
        "whole path (host + plugin; the audit writer's batches excluded) / transactions (BEGIN).",
        "",
        table(results),
        "",
    ])
    stamp = started.strftime("%Y%m%d-%H%M%S")
    (OUT / f"results-{stamp}.json").write_text(json.dumps({"started": started.isoformat(), "machine": machine(),
                                                           "duration": args.duration, "results": results},
                                                          indent=2, default=str))
    (OUT / f"results-{stamp}.md").write_text(text)
    print()
    print(text)
    log(f"raw output: {OUT}/results-{stamp}.json, wrk output and host logs beside it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The PostgreSQL server the tests use: named by OAUTH_TEST_POSTGRES_DSN (a superuser's DSN).

`make test` (scripts/test-suite) starts a throwaway server with scripts/pg-test-server and sets the variable, so
in CI (CI=true) a missing DSN fails the PostgreSQL tests; locally they skip without one. To run them locally:

    dir=$(mktemp -d) && export OAUTH_TEST_POSTGRES_DSN=$(scripts/pg-test-server start "$dir")
    .venv/bin/pytest -q
    scripts/pg-test-server stop "$dir"

Each test gets a schema (`fresh_schema`) or a database (`fresh_database`) of its own, dropped afterwards.
"""
from __future__ import annotations

import contextlib
import os
import pathlib
import secrets
import subprocess
import tempfile
from collections.abc import Iterator

import pytest

ENV = "OAUTH_TEST_POSTGRES_DSN"
ROOT = pathlib.Path(__file__).resolve().parent.parent
SERVER_SCRIPT = ROOT / "scripts" / "pg-test-server"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require_dsn() -> str:
    """The test server's DSN; fails the test in CI and skips it elsewhere when there is none."""
    dsn = os.environ.get(ENV, "").strip()
    if dsn:
        return dsn
    message = (f"{ENV} is not set: no PostgreSQL server to test against "
               "(`scripts/pg-test-server start DIR` starts one and prints its DSN; make test does this)")
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def with_options(dsn: str, **params: str) -> str:
    import psycopg.conninfo

    return psycopg.conninfo.make_conninfo(dsn, **params)


def _admin(dsn: str):
    import psycopg

    return psycopg.connect(dsn, autocommit=True, connect_timeout=5)


@contextlib.contextmanager
def fresh_schema(dsn: str) -> Iterator[str]:
    """A new empty schema; yields a DSN whose search_path is only that schema."""
    name = "t_" + secrets.token_hex(6)
    with _admin(dsn) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield with_options(dsn, options=f"-c search_path={name}")
    finally:
        with _admin(dsn) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


@contextlib.contextmanager
def fresh_database(dsn: str) -> Iterator[str]:
    """A new empty database; yields its DSN."""
    name = "t_" + secrets.token_hex(6)
    with _admin(dsn) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield with_options(dsn, dbname=name)
    finally:
        with _admin(dsn) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class ThrowawayServer:
    """A PostgreSQL server of a test's own (scripts/pg-test-server), for tests that stop and start it."""

    def __init__(self) -> None:
        # Under /tmp, not pytest's tmp_path: when the tests run as root the server runs as another user, who
        # must be able to reach the directory.
        self.dir = tempfile.mkdtemp(prefix="oauth-pg-")
        self.dsn = ""

    def _run(self, *args: str) -> str:
        done = subprocess.run([str(SERVER_SCRIPT), *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"pg-test-server {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def start(self) -> "ThrowawayServer":
        self.dsn = self._run("start", self.dir)
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run("stop", self.dir, mode)

    def remove(self) -> None:
        import shutil

        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

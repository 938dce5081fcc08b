"""Store fixtures, parametrised over every implementation of the store contract.

Each entry of BACKENDS is a context manager that takes the test's temporary directory and yields a factory;
every call of the factory opens a new, unmigrated store object on the same (per-test, empty) database, so tests
can reopen it or race two handles against each other. On leaving, the backend removes that database.

- sqlite: a file in the test's temporary directory.
- postgres: a schema of its own on the server named by OAUTH_TEST_POSTGRES_DSN (tests/postgres.py); without
  one the postgres half of every test skips, or fails in CI.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ContextManager

import pytest

from plugin.store.contract import Store
from plugin.store.sqlite import SqliteStore
from tests import postgres

StoreFactory = Callable[[], Store]


@contextlib.contextmanager
def _sqlite(tmp_path: Path) -> Iterator[StoreFactory]:
    # A subdirectory that does not exist yet: migrate() must create it.
    path = str(tmp_path / "data" / "oauth.db")
    yield lambda: SqliteStore(path)


@contextlib.contextmanager
def _postgres(tmp_path: Path) -> Iterator[StoreFactory]:
    from plugin.store.postgres import PostgresStore

    with postgres.fresh_schema(postgres.require_dsn()) as dsn:
        yield lambda: PostgresStore(dsn)


BACKENDS: dict[str, Callable[[Path], ContextManager[StoreFactory]]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
}


@pytest.fixture(params=sorted(BACKENDS))
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Factory of store handles on this test's database; every handle is closed after the test."""
    with BACKENDS[request.param](tmp_path) as make:
        opened: list[Store] = []

        def factory() -> Store:
            store = make()
            opened.append(store)
            return store

        try:
            yield factory
        finally:
            for store in opened:
                store.close()


@pytest.fixture
def store(open_store: StoreFactory) -> Store:
    """A migrated store on an empty database."""
    s = open_store()
    s.migrate()
    return s

"""Store fixtures, parametrised over every implementation of the store contract.

To run the contract suite against another implementation, add an entry to BACKENDS: a function that takes the
test's temporary directory and returns a factory; every call of the factory opens a new, unmigrated store
object on the same (per-test) database, so tests can reopen it or race two handles against each other.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plugin.store.contract import Store
from plugin.store.sqlite import SqliteStore

StoreFactory = Callable[[], Store]


def _sqlite(tmp_path: Path) -> StoreFactory:
    # A subdirectory that does not exist yet: migrate() must create it.
    path = str(tmp_path / "data" / "oauth.db")
    return lambda: SqliteStore(path)


BACKENDS: dict[str, Callable[[Path], StoreFactory]] = {
    "sqlite": _sqlite,
    # "postgres": _postgres,  # e.g. a fresh schema per test on a server named by an environment variable
}


@pytest.fixture(params=sorted(BACKENDS))
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Factory of store handles on this test's database; every handle is closed after the test."""
    make = BACKENDS[request.param](tmp_path)
    opened: list[Store] = []

    def factory() -> Store:
        store = make()
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: StoreFactory) -> Store:
    """A migrated store on an empty database."""
    s = open_store()
    s.migrate()
    return s

"""Edits of one app racing each other (several threads, or two nodes on one database): an update and a secret
regeneration each write only if the row is still the one they read, so no change is written back over. Two
provider handles on two store handles, as two nodes would have them."""
from __future__ import annotations

import threading

import pytest

from plugin.clock import SystemClock
from plugin.oauth import App, AppRequest, Caller, OAuthProvider, Settings
from plugin.oauth.ids import hash_secret, new_id

ADMIN = Caller(user_id=new_id(), permissions=frozenset({"manage_oauth", "manage_system_wide_oauth", "manage_system"}))
CALLBACKS = ["https://app.example.com/a", "https://app.example.com/b"]
ROUNDS = 12


def test_racing_updates_and_regenerations_lose_nothing(open_store):
    stores = [open_store(), open_store()]
    stores[0].migrate()
    nodes = [OAuthProvider(store, SystemClock(), Settings(site_url="https://mm.example.com")) for store in stores]
    app = nodes[0].create_app(ADMIN, AppRequest(name="v0", homepage="https://app.example.com",
                                                callback_urls=CALLBACKS))
    results: list[tuple[str, App]] = []
    lock = threading.Lock()

    def regenerate(node):
        for _ in range(ROUNDS):
            regenerated = node.regenerate_secret(ADMIN, app.id)
            with lock:
                results.append(("secret", regenerated))

    def rename(node, prefix):
        for i in range(ROUNDS):
            update = App(id=app.id, name=f"{prefix}{i}", homepage="https://app.example.com", callback_urls=CALLBACKS[:1])
            renamed = node.update_app(ADMIN, app.id, update)
            with lock:
                results.append(("name", renamed))

    threads = [threading.Thread(target=regenerate, args=(nodes[0],)),
               threading.Thread(target=regenerate, args=(nodes[1],)),
               threading.Thread(target=rename, args=(nodes[1], "b")),
               threading.Thread(target=rename, args=(nodes[0], "a"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for node in nodes:
        node.close()

    assert len(results) == 4 * ROUNDS
    versions = [edited.update_at for _, edited in results]
    assert len(set(versions)) == len(versions)  # every edit wrote a version of its own: none overwrote another
    stored = stores[0].get_app(app.id)
    assert stored.update_at == max(versions)
    last_secret = max((edited for kind, edited in results if kind == "secret"), key=lambda a: a.update_at)
    last_name = max((edited for kind, edited in results if kind == "name"), key=lambda a: a.update_at)
    assert stored.client_secret_hash == hash_secret(last_secret.client_secret)  # no update restored an old secret
    assert stored.name == last_name.name and stored.callback_urls == CALLBACKS[:1]


def test_edit_app_of_an_unknown_app_is_none_and_writes_nothing(store):
    assert store.edit_app(new_id(), lambda record: record) is None


def test_an_edit_that_raises_writes_nothing(store):
    from tests.store import builders as b

    app = b.app()
    store.save_app(app)

    def refuse(record):
        record.name = "changed"
        raise PermissionError("not the owner")

    with pytest.raises(PermissionError):
        store.edit_app(app.id, refuse)
    assert store.get_app(app.id).name == app.name

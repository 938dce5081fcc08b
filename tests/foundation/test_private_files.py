"""What a real host and its plugin write is their user's alone (server_stub/files.py): every file 0600, every
directory 0700, whatever the umask they were started with, and a data directory left readable by an older
version is made private at start."""
from __future__ import annotations

import contextlib
import os
import stat

import pytest

from plugin.store.sqlite import SqliteStore
from tests.conftest import wait_for
from tests.host.conftest import Api

PASSWORD = "Files-Passw0rd!"


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def modes(root) -> dict[str, int]:
    """Path (relative to root) -> permission bits of everything below root, symlinks left out (the prepackaged
    plugin is a link to the project's own directory)."""
    found = {}
    for directory, subdirs, names in os.walk(root):
        for name in subdirs + names:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if not stat.S_ISLNK(info.st_mode):
                found[os.path.relpath(path, root)] = stat.S_IMODE(info.st_mode)
    return found


def not_private(found: dict[str, int], root) -> dict[str, str]:
    bad = {}
    for path, mode in found.items():
        wanted = 0o700 if os.path.isdir(os.path.join(root, path)) else 0o600
        if mode != wanted:
            bad[path] = oct(mode)
    return bad


def use_the_host(host) -> None:
    """Make the host and the plugin write: an account, a session, an OAuth app, a configuration change."""
    api = Api(host.url)
    created = api.post("/api/v4/users", {"email": "a@example.com", "username": "admin", "password": PASSWORD})
    assert created.status == 201, created.body
    token = api.login("admin", PASSWORD).headers["Token"]
    app = api.post("/api/v4/oauth/apps", {"name": "Files", "callback_urls": ["https://app.example.com/cb"],
                                              "homepage": "https://app.example.com"}, token=token)
    assert app.status == 201, app.body
    changed = api.put("/api/v4/config/patch", {"ServiceSettings": {"SiteURL": "https://chat.example.com"}},
                      token=token)
    assert changed.status == 200, changed.body


def test_everything_the_host_and_its_plugin_write_is_private(make_host, tmp_path):
    socket_dir = tmp_path / "sockets" / "local"
    host = make_host("data")
    host.configure(lambda c: c["ServiceSettings"].update(LocalModeSocketLocation=str(socket_dir / "mm.socket")))
    with umask(0o022):  # what a shell usually gives: files 0644, directories 0755
        host.start()
    use_the_host(host)
    found = modes(host.data_dir)
    for expected in ("config.json", "host.db", "host.db-wal", "host.db-shm", "files", "files/plugins",
                     "files/plugins/oauth-provider", "files/plugins/oauth-provider/oauth.db",
                     "files/plugins/oauth-provider/oauth.db-wal", "files/plugins/oauth-provider/oauth.db-shm",
                     "plugins"):
        assert expected in found, sorted(found)
    assert not_private(found, host.data_dir) == {}
    assert stat.S_IMODE(os.stat(host.data_dir).st_mode) == 0o700
    for directory in (socket_dir, socket_dir.parent):  # the socket's directories, created for it
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(socket_dir / "mm.socket").st_mode) == 0o600


def test_a_data_directory_an_older_version_left_readable_is_made_private(make_host):
    host = make_host("data")
    with umask(0o022):
        host.start()
    use_the_host(host)
    host.stop()
    for path in modes(host.data_dir):  # as the previous version left them
        full = os.path.join(host.data_dir, path)
        os.chmod(full, 0o755 if os.path.isdir(full) else 0o644)
    os.chmod(host.data_dir, 0o755)
    with umask(0o022):
        host.start()
    api = Api(host.url)
    assert api.login("admin", PASSWORD).status == 200
    wait_for(lambda: not_private(modes(host.data_dir), host.data_dir) == {},
             message=f"every file private again: {not_private(modes(host.data_dir), host.data_dir)}")
    assert stat.S_IMODE(os.stat(host.data_dir).st_mode) == 0o700


@pytest.mark.parametrize("old_mode", [None, 0o644])
def test_the_plugins_sqlite_store_is_private_on_its_own(tmp_path, old_mode):
    """Another go-plugin host may launch the plugin with any umask: the store sees to its own files."""
    path = tmp_path / "new" / "dir" / "oauth.db"
    if old_mode is not None:
        path.parent.mkdir(parents=True)
        path.touch(mode=old_mode)
        os.chmod(path, old_mode)
    with umask(0o022):
        store = SqliteStore(str(path))
        try:
            store.migrate()
            found = modes(tmp_path)
        finally:
            store.close()
    assert {"new/dir/oauth.db", "new/dir/oauth.db-wal", "new/dir/oauth.db-shm"} <= set(found)
    assert all(mode == 0o600 for name, mode in found.items() if name.startswith("new/dir/oauth.db"))
    if old_mode is None:
        assert found["new/dir"] == 0o700

"""What the host writes is its user's alone: files 0600, directories 0700.

The command line sets the umask to 077 before anything else (`__main__.main`), so every file and directory the host
and its plugin processes (which inherit it) create is private whatever the caller's umask. On top of that, the files
that matter are made private explicitly, for hosts embedded in another process and for data directories written by
an older version:

- `private_dir(path)` creates the missing directories of `path` with 0700;
- `private_file(path)` creates a missing file with 0600 (an SQLite database is created so before SQLite opens it:
  SQLite gives its -wal and -shm files the database's mode) and makes an existing one 0600;
- `secure_data_dir(config)`, at start: the data directory, config.json, `FileSettings.Directory`, its `plugins/`,
  each plugin's files directory in it and the files there, and `PluginSettings.Directory`, made 0700 (files 0600)
  when they are this user's. The local-mode socket's directory is created 0700 when missing and otherwise left as
  it is (it may be a shared one such as /var/tmp, as in Mattermost's default).
"""
from __future__ import annotations

import logging
import os

log = logging.getLogger("server_stub.files")

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str) -> None:
    """Create `path` and its missing parents with 0700 (existing ones are left as they are)."""
    path = os.path.abspath(path)
    missing = []
    while not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            pass
        os.chmod(directory, DIR_MODE)  # whatever the umask let through


def restrict(path: str, mode: int) -> None:
    """chmod `path` (not following a symlink) when it exists and belongs to this user."""
    try:
        stat = os.lstat(path)
    except FileNotFoundError:
        return
    if os.path.islink(path) or stat.st_uid != os.geteuid() or stat.st_mode & 0o777 == mode:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        log.warning("cannot make a file private", extra={"path": path, "error": str(exc)})


def private_file(path: str) -> None:
    """Create `path` empty with 0600 when missing; make it 0600 when it is this user's."""
    private_dir(os.path.dirname(os.path.abspath(path)))
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        restrict(path, FILE_MODE)


def secure_data_dir(data_dir: str, config: dict) -> None:
    """Make what the host keeps private: see the module's docstring."""
    directories = [data_dir, (config.get("PluginSettings") or {}).get("Directory") or ""]
    private_files = [os.path.join(data_dir, "config.json")]
    files_dir = (config.get("FileSettings") or {}).get("Directory") or ""
    if files_dir:
        plugin_files = os.path.join(files_dir, "plugins")
        directories += [files_dir, plugin_files]
        for plugin_dir in _entries(plugin_files):
            directories.append(plugin_dir)
            private_files += [path for path in _entries(plugin_dir) if os.path.isfile(path)]
    for directory in filter(None, directories):
        if not os.path.lexists(directory):
            private_dir(directory)
        elif os.path.isdir(directory):
            restrict(directory, DIR_MODE)
    for path in private_files:
        restrict(path, FILE_MODE)


def _entries(directory: str) -> list[str]:
    """The paths in a directory that is not a symlink ([] when there is none)."""
    if os.path.islink(directory) or not os.path.isdir(directory):
        return []
    return [os.path.join(directory, name) for name in sorted(os.listdir(directory))]

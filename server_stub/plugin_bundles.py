"""Installing and removing plugin bundles (`.tar.gz`), with Mattermost's rules and error ids
(app/plugin_install.go, api4/plugin.go):

- the archive holds one plugin: `plugin.json` at its top, or at the top of its one folder;
- only folders and regular files are taken (anything else is skipped, as Mattermost skips it); a path that would
  land outside the plugin's folder refuses the whole archive (`app.plugin.extract.app_error`);
- a plugin id already installed is refused unless `force` (`app.plugin.install_id.app_error`); with `force` the old
  copy is stopped and replaced, and a plugin that was enabled comes back enabled; its data (the plugin's files under
  `FileSettings.Directory/plugins/<id>`) is another folder and stays as it is;
- a new plugin starts disabled; removing one disables it first, so that installing it again leaves it disabled.

The installed copy lives in `PluginSettings.Directory/<id>`, files 0600 (0700 when executable) in folders 0700: only
the host's user can read it, and it is what the host launches. Extraction is limited in size and number of files,
so that a small archive cannot fill the disk.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import tarfile
import tempfile
import zlib
from typing import BinaryIO

from . import files
from . import manifest as manifests

log = logging.getLogger("server_stub.plugins")

# What one bundle may unpack to (this host's own limits: a gzip bomb stops here).
MAX_EXTRACTED_BYTES = 512 * 1024 * 1024
MAX_EXTRACTED_FILES = 20_000
_CHUNK = 1024 * 1024
# Failures of this machine, not of the archive.
_HOST_FAULTS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO, errno.EMFILE}


class BundleError(Exception):
    """A bundle refused, or an install that failed: Mattermost's AppError fields."""

    def __init__(self, status: int, error_id: str, message: str, detailed: str = "") -> None:
        super().__init__(message)
        self.status, self.error_id, self.message, self.detailed = status, error_id, message, detailed


def _extract_error(detail: str) -> BundleError:
    return BundleError(400, "app.plugin.extract.app_error", "An error occurred while extracting the plugin.", detail)


def extract(bundle: BinaryIO, destination: str) -> None:
    """Unpack a .tar.gz into `destination` (an empty private folder), refusing paths that escape it."""
    written = count = 0
    try:
        with tarfile.open(fileobj=bundle, mode="r:gz") as archive:
            for member in archive:
                if not (member.isdir() or member.isreg()):
                    log.warning("skipping unsupported entry of a plugin bundle",
                                extra={"entry": member.name, "type": member.type.decode("latin-1")})
                    continue
                target = _inside(destination, member.name)
                if target is None:
                    raise _extract_error(f"failed to sanitize path {member.name}")
                count += 1
                if count > MAX_EXTRACTED_FILES:
                    raise _extract_error(f"the bundle holds more than {MAX_EXTRACTED_FILES} files")
                if member.isdir():
                    files.private_dir(target)
                    continue
                files.private_dir(os.path.dirname(target))
                source = archive.extractfile(member)
                mode = 0o700 if member.mode & 0o100 else 0o600
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
                with os.fdopen(fd, "wb") as out:
                    while chunk := source.read(_CHUNK):
                        written += len(chunk)
                        if written > MAX_EXTRACTED_BYTES:
                            raise _extract_error(f"the bundle unpacks to more than {MAX_EXTRACTED_BYTES} bytes")
                        out.write(chunk)
                os.chmod(target, mode)
    except (tarfile.TarError, EOFError, zlib.error, UnicodeError) as exc:  # not a tar.gz, or a broken one
        raise _extract_error(str(exc) or type(exc).__name__) from None
    except OSError as exc:
        if exc.errno in _HOST_FAULTS:
            raise BundleError(500, "app.plugin.filesystem.app_error",
                              "An error occurred while writing the plugin's files.", str(exc)) from None
        # gzip's "Not a gzipped file", a file where the archive put a folder before, and the like
        raise _extract_error(str(exc)) from None


def _inside(root: str, name: str) -> str | None:
    """Where an archive entry goes under `root`, or None when it would land outside it (or on it)."""
    if not name or "\x00" in name or name.startswith("/") or "\\" in name:
        return None
    target = os.path.normpath(os.path.join(root, name))
    return target if target.startswith(root + os.sep) else None


def _plugin_folder(extracted: str) -> str:
    """The folder holding plugin.json: the archive's top, or its one folder (extractPlugin)."""
    entries = os.listdir(extracted)
    if len(entries) == 1 and os.path.isdir(os.path.join(extracted, entries[0])) \
            and not os.path.islink(os.path.join(extracted, entries[0])):
        return os.path.join(extracted, entries[0])
    return extracted


def read_manifest(folder: str) -> manifests.Manifest:
    """FindManifest + IsValidPluginId, with installPluginLocally's ids."""
    path = os.path.join(folder, "plugin.json")
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise BundleError(400, "app.plugin.manifest.app_error", "Unable to find the manifest in the extracted plugin.",
                          "no plugin.json at the top of the bundle") from None
    except (ValueError, UnicodeError) as exc:
        raise BundleError(400, "app.plugin.manifest.app_error", "Unable to find the manifest in the extracted plugin.",
                          f"plugin.json is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise BundleError(400, "app.plugin.manifest.app_error", "Unable to find the manifest in the extracted plugin.",
                          "plugin.json must hold a JSON object")
    if not isinstance(raw.get("id"), str) or not manifests.is_valid_plugin_id(raw["id"]):
        raise BundleError(400, "app.plugin.invalid_id.app_error",
                          f"Plugin Id must be at least {manifests.MIN_ID_LENGTH} characters, at most "
                          f"{manifests.MAX_ID_LENGTH} characters and match ^[a-zA-Z0-9-_\\.]+$.")
    try:
        return manifests.load(folder)
    except manifests.ManifestError as exc:
        raise BundleError(400, "app.plugin.manifest.app_error", "Unable to find the manifest in the extracted plugin.",
                          str(exc)) from None


class Staged:
    """A bundle unpacked into a private folder beside the installed plugins (same file system: moving it into
    place is one rename). `close()` removes whatever was not installed."""

    def __init__(self, plugins_dir: str, bundle: BinaryIO) -> None:
        files.private_dir(plugins_dir)
        # A name starting with "." is no plugin to the directory scan (manifest.scan).
        self.root = tempfile.mkdtemp(prefix=".install-", dir=plugins_dir)
        try:
            extract(bundle, self.root)
            self.folder = _plugin_folder(self.root)
            self.manifest = read_manifest(self.folder)
        except BaseException:
            self.close()
            raise

    def move_to(self, target: str) -> None:
        os.rename(self.folder, target)
        os.chmod(target, 0o700)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def remove_installed(path: str) -> None:
    """Remove an installed plugin's folder; a link (a prepackaged plugin linked into place) loses only the link."""
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)

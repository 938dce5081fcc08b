"""The key-encryption secret of the signing keys when the admin sets none (plugin/oauth/oidc/keys.py): 32 random
bytes generated once into FileSettings.Directory/plugins/<id>/signing.key, mode 0600 in a 0700 directory, created
exclusively so that two processes starting together keep the same one. Several nodes on one PostgreSQL database
need the same secret: the SigningKeyEncryptionKey setting, or this file copied to every node."""
from __future__ import annotations

import base64
import os
import threading

from .database import PLUGIN_ID

FILE_NAME = "signing.key"


def secret_path(server_config: dict) -> str:
    files = (server_config.get("FileSettings") or {}).get("Directory") or "./data"
    return os.path.join(os.path.abspath(files), "plugins", PLUGIN_ID, FILE_NAME)


class LocalSecret:
    """Read (or create) the file the first time the secret is needed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        with self._lock:
            if self._secret is None:
                self._secret = self._read_or_create()
            return self._secret

    def _read_or_create(self) -> bytes:
        if not os.path.exists(self.path):
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            # Written whole under a temporary name, then linked into place: the link fails if another process got
            # there first, and nobody ever reads a half-written file.
            temporary = f"{self.path}.{os.getpid()}.{threading.get_ident()}.tmp"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as created:
                created.write(base64.b64encode(os.urandom(32)) + b"\n")
                created.flush()
                os.fsync(created.fileno())
            try:
                os.link(temporary, self.path)
            except FileExistsError:
                pass
            finally:
                os.unlink(temporary)
        with open(self.path, "rb") as existing:
            return base64.b64decode(existing.read().strip(), validate=True)

"""The refresh-token grace window (RFC 9700 section 4.14.2 leaves room for it).

A rotated refresh token presented again is reuse, and revokes its whole family, except within a short window
after the rotation: two tabs refreshing at once must not log a user out. Within the window the same request gets
the same successor again. The store keeps no token in clear, so the successor's tokens are sealed with the
rotated token itself (AES-GCM under a key derived from it): only someone presenting that token can open them,
and the store forgets the sealed value once the window has passed.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _key(token: str) -> bytes:
    return hashlib.sha256(b"oauth-refresh-grace\0" + token.encode()).digest()


def seal(token: str, successor: dict) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(token)).encrypt(nonce, json.dumps(successor).encode(), None)
    return base64.b64encode(nonce + sealed).decode()


def unseal(token: str, sealed: str) -> dict | None:
    try:
        raw = base64.b64decode(sealed)
        return json.loads(AESGCM(_key(token)).decrypt(raw[:12], raw[12:], None))
    except (ValueError, InvalidTag):
        return None

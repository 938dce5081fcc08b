"""Identifiers and secrets.

- `new_id()`: Mattermost's 26-character id (16 random bytes in base32 with Mattermost's alphabet, no padding),
  used for app ids (client_id) and grant ids.
- `new_secret()`: 256 bits from the OS CSPRNG as URL-safe base64 (43 characters), used for client secrets,
  authorization codes, access and refresh tokens. Mattermost uses `NewId()` (128 bits) for all of these.
- `hash_secret()`: the hex SHA-256 that the store keeps instead of the secret. A plain hash is right here: the
  secrets are random and 256 bits long, so there is nothing to guess and no need for a slow KDF.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata

_STD_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_MM_B32 = "ybndrfg8ejkmcpqxot1uwisza345h769"
_TO_MM = str.maketrans(_STD_B32, _MM_B32)

ID_LENGTH = 26


def new_id() -> str:
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").translate(_TO_MM)


def is_valid_id(value: object) -> bool:
    """Mattermost's IsValidId: exactly 26 bytes, every character a Unicode letter or number."""
    if not isinstance(value, str) or len(value.encode("utf-8", "surrogatepass")) != ID_LENGTH:
        return False
    if value.isascii():  # every id we make: the same answer without a Unicode lookup per character
        return value.isalnum()
    return all(unicodedata.category(ch)[0] in "LN" for ch in value)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(presented: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with a stored hash. An empty secret never matches."""
    if not presented or not stored_hash:
        return False
    return hmac.compare_digest(hash_secret(presented), stored_hash)

"""The provider's signing keys (RFC 7517 JWKs, RFC 7518 RS256 and ES256, `kid` the RFC 7638 thumbprint), on joserfc.

One current key per algorithm, generated the first time one is needed; every node reads them from the shared
store, and the partial unique index of 0003 makes nodes that generate at once agree on one. The private half is
sealed (AES-256-GCM, the kid as associated data) under the key-encryption key: the `SigningKeyEncryptionKey`
setting, else a secret the plugin generated into a file only its user can read (`local_secret`). Rotation, by an
admin or when the current key is older than `SigningKeyRotationDays`, retires the current key with one conditional
update, so of nodes rotating at once one wins; a retired key stays in the JWKS until every ID token it signed has
expired (its last signature plus the ID token lifetime, plus a margin for clock skew).
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from typing import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import ECKey, RSAKey

from plugin.store.records import SigningKeyRecord

from ..audit import AuditEvent
from ..errors import app_error
from ..services import Services
from ..store_errors import TOKEN_READ_FAILED, TOKEN_WRITE_FAILED, store_errors

log = logging.getLogger("plugin.oauth.oidc")

ALGORITHMS = ("RS256", "ES256")
RSA_BITS = 2048
CLOCK_SKEW_MS = 300_000  # how long past `exp` a relying party may still accept an ID token
DAY_MS = 86_400_000

KEYS_UNUSABLE = "api.oauth.openid.signing_key_sealed.app_error"


def _generate(alg: str):
    return RSAKey.generate_key(RSA_BITS) if alg == "RS256" else ECKey.generate_key("P-256")


def _import(alg: str, pem: bytes):
    return RSAKey.import_key(pem) if alg == "RS256" else ECKey.import_key(pem)


class KeyEncryptionKey:
    """AES-256-GCM under a key derived (HKDF-SHA256) from a secret; `id` names it without revealing it."""

    def __init__(self, secret: bytes) -> None:
        self._key = HKDF(hashes.SHA256(), 32, salt=None, info=b"oauth-provider signing keys").derive(secret)
        self.id = hashlib.sha256(b"kek-id\0" + self._key).hexdigest()[:16]

    def seal(self, kid: str, plaintext: bytes) -> str:
        nonce = os.urandom(12)
        return base64.urlsafe_b64encode(nonce + AESGCM(self._key).encrypt(nonce, plaintext, kid.encode())).decode()

    def open(self, kid: str, sealed: str) -> bytes | None:
        try:
            raw = base64.urlsafe_b64decode(sealed.encode())
            return AESGCM(self._key).decrypt(raw[:12], raw[12:], kid.encode())
        except (InvalidTag, ValueError):
            return None


class SigningKeys:
    """The keys of every node, read from the store; private keys opened once per process (a kid never changes)."""

    def __init__(self, services: Services, local_secret: Callable[[], bytes] | None = None) -> None:
        self.services = services
        self._local_secret = local_secret
        self._opened: dict[str, object] = {}
        self._lock = threading.Lock()
        self._memory_secret: bytes | None = None

    # --- the key-encryption key ------------------------------------------------------------------------------

    def _kek(self) -> KeyEncryptionKey:
        configured = self.services.settings.signing_key_encryption_key
        if configured:
            return KeyEncryptionKey(configured.encode("utf-8"))
        if self._local_secret is not None:
            return KeyEncryptionKey(self._local_secret())
        if self._memory_secret is None:  # no file to keep it in (the domain's tests): this process only
            self._memory_secret = os.urandom(32)
        return KeyEncryptionKey(self._memory_secret)

    # --- reading ----------------------------------------------------------------------------------------------

    def published(self) -> list[SigningKeyRecord]:
        with store_errors(TOKEN_READ_FAILED):
            return self.services.store.list_signing_keys(self.services.now())

    def jwks(self) -> dict:
        """RFC 7517 section 5: every published public key, with kid, alg and use."""
        self.ensure_current()
        return {"keys": [json.loads(key.public_jwk) for key in self.published()]}

    def signer(self, alg: str) -> tuple[str, object]:
        """(kid, private key) of the algorithm's current key, generating it the first time."""
        record = self._current(alg) or self._create(alg)
        key = self._open(record)
        if key is None:
            log.error("the current %s signing key %s is sealed under another key-encryption key (%s, this node"
                      " has %s): set SigningKeyEncryptionKey identically on every node, or rotate the signing keys",
                      alg, record.kid, record.kek_id, self._kek().id)
            raise app_error(KEYS_UNUSABLE, 500)
        return record.kid, key

    def ensure_current(self) -> None:
        """Both algorithms have a current key (first activation), so that the JWKS lists them before first use."""
        for alg in ALGORITHMS:
            if self._current(alg) is None:
                self._create(alg)

    def _current(self, alg: str) -> SigningKeyRecord | None:
        return next((k for k in self.published() if k.alg == alg and k.retired_at == 0), None)

    def _open(self, record: SigningKeyRecord):
        key = self._opened.get(record.kid)
        if key is None:
            pem = self._kek().open(record.kid, record.private_sealed)
            if pem is None:
                return None
            key = _import(record.alg, pem)
            with self._lock:
                self._opened[record.kid] = key
        return key

    # --- generating and rotating --------------------------------------------------------------------------------

    def _new_record(self, alg: str) -> tuple[SigningKeyRecord, object]:
        key = _generate(alg)
        kid = key.thumbprint()
        public = {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
        kek = self._kek()
        record = SigningKeyRecord(kid=kid, alg=alg, public_jwk=json.dumps(public, sort_keys=True),
                                  private_sealed=kek.seal(kid, key.as_pem(private=True)), kek_id=kek.id,
                                  create_at=self.services.now())
        return record, key

    def _create(self, alg: str) -> SigningKeyRecord:
        record, key = self._new_record(alg)
        with store_errors(TOKEN_WRITE_FAILED):
            added = self.services.store.add_signing_key(record)
        if added:
            self._opened[record.kid] = key
            log.info("signing key generated", extra={"kid": record.kid, "alg": alg})
            self.services.audit.record(AuditEvent.SIGNING_KEY_GENERATED, kid=record.kid, alg=alg)
            return record
        current = self._current(alg)  # another node generated it first
        if current is None:
            raise app_error(KEYS_UNUSABLE, 500, detailed_error="no current signing key")
        return current

    def rotate(self, algorithms: tuple[str, ...] = ALGORITHMS) -> list[str]:
        """Retire the current keys of `algorithms` and put new ones in their place; the kids of the new keys (of the
        rotations this node won)."""
        settings, now = self.services.settings, self.services.now()
        remove_at = now + settings.id_token_lifetime_seconds * 1000 + CLOCK_SKEW_MS
        rotated = []
        for alg in algorithms:
            current = self._current(alg)
            if current is None:
                rotated.append(self._create(alg).kid)
                continue
            record, key = self._new_record(alg)
            with store_errors(TOKEN_WRITE_FAILED):
                won = self.services.store.rotate_signing_key(current.kid, now, remove_at, record)
            if won:
                self._opened[record.kid] = key
                rotated.append(record.kid)
                log.info("signing key rotated", extra={"alg": alg, "retired": current.kid, "kid": record.kid})
                self.services.audit.record(AuditEvent.SIGNING_KEY_ROTATED, kid=record.kid, retired=current.kid, alg=alg)
        return rotated

    def rotate_when_due(self) -> list[str]:
        """The scheduled rotation (`SigningKeyRotationDays`; 0: only by an admin)."""
        days = self.services.settings.signing_key_rotation_days
        if not days:
            return []
        due_before = self.services.now() - days * DAY_MS
        due = tuple(alg for alg in ALGORITHMS if (k := self._current(alg)) is not None and k.create_at <= due_before)
        return self.rotate(due) if due else []

    def delete_removed(self) -> int:
        with store_errors(TOKEN_WRITE_FAILED):
            return self.services.store.delete_removed_signing_keys(self.services.now())

"""DPoP proofs (RFC 9449 section 4.2) for tests, signed with joserfc: a client's key and the proofs it makes,
including the malformed ones a negative table needs."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time

from joserfc import jws
from joserfc.jwk import ECKey, OctKey, RSAKey


def ath(access_token: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()


class DPoPKey:
    """A client's proof-of-possession key (ES256 unless told otherwise)."""

    def __init__(self, alg: str = "ES256") -> None:
        self.alg = alg
        self.key = RSAKey.generate_key(2048) if alg.startswith(("RS", "PS")) else ECKey.generate_key("P-256")

    @property
    def public_jwk(self) -> dict:
        return self.key.as_dict(private=False)

    @property
    def jkt(self) -> str:
        return self.key.thumbprint()

    def proof(self, method: str, url: str, *, access_token: str = "", nonce: str = "", iat: float | None = None,
              jti: str | None = None, typ: str = "dpop+jwt", header: dict | None = None, claims: dict | None = None,
              drop: tuple[str, ...] = ()) -> str:
        """A proof for `method` `url`; `header` and `claims` override or add members, `drop` removes claims."""
        body = {"jti": jti if jti is not None else secrets.token_urlsafe(16), "htm": method, "htu": url,
                "iat": int(time.time()) if iat is None else iat}
        if access_token:
            body["ath"] = ath(access_token)
        if nonce:
            body["nonce"] = nonce
        body.update(claims or {})
        for name in drop:
            body.pop(name, None)
        protected = {"typ": typ, "alg": self.alg, "jwk": self.public_jwk, **(header or {})}
        return jws.serialize_compact(protected, json.dumps(body), self.key, algorithms=[self.alg])


def symmetric_proof(method: str, url: str) -> str:
    """A proof MACed with HS256, its secret in the jwk (section 4.3: an asymmetric algorithm only)."""
    key = OctKey.generate_key(256)
    body = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": url, "iat": int(time.time())}
    protected = {"typ": "dpop+jwt", "alg": "HS256", "jwk": key.as_dict()}
    return jws.serialize_compact(protected, json.dumps(body), key, algorithms=["HS256"])


def tampered(proof: str) -> str:
    """The same proof with another signature."""
    head, payload, signature = proof.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return ".".join((head, payload, flipped))

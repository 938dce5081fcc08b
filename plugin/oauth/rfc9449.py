"""RFC 9449: DPoP proofs, checked as section 4.3 says, and the errors of sections 5, 7.1 and 8.

A DPoP proof is a JWT the client signs with its own key for one HTTP request: `typ` "dpop+jwt", an asymmetric
`alg`, the public key in `jwk`, and the claims `jti`, `htm`, `htu`, `iat` (and `ath` when an access token goes with
it, `nonce` when the server asks for one). `verify_proof` is the pure check; `ProofChecker` adds what needs the
store: the jti seen before (the replay check every node shares) and the server's nonces.

    target = HttpTarget(method="POST", url="https://chat.example.com/oauth/access_token", proofs=("eyJ...",))
    proof = ProofChecker(services).check(target)          # None without a proof; Proof(jkt, ...) when valid
    token_type(proof.jkt)                                  # "DPoP"

Every refusal is a `DPoPError`: `invalid_dpop_proof`, or `use_dpop_nonce` with the nonce to use (the `DPoP-Nonce`
header); 400 at the token endpoint, 401 at a resource (section 7.1, with a `WWW-Authenticate: DPoP` challenge).
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import math
import re
import urllib.parse

from joserfc import jws
from joserfc.jwk import JWKRegistry

from .errors import AppError, ErrorCode
from .ids import new_secret
from .store_errors import TOKEN_WRITE_FAILED, store_errors

TYP = "dpop+jwt"
TOKEN_TYPE = "DPoP"
SCHEME = "DPoP"
NONCE_HEADER = "DPoP-Nonce"
# Asymmetric JWS algorithms (RFC 7518, RFC 8037) joserfc verifies; advertised as dpop_signing_alg_values_supported.
ALGORITHMS = ("ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA")
# JWK members that only a private (or symmetric) key has (RFC 7518 sections 6.2.2, 6.3.2, 6.4; RFC 8037).
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
ASYMMETRIC_KTY = frozenset({"EC", "RSA", "OKP"})
MAX_PROOF_LENGTH = 8192
MAX_JTI_LENGTH = 256
# Nonces (section 8): a new one is handed out every ROTATE_MS, and each is accepted for LIFETIME_MS.
NONCE_ROTATE_MS = 120_000
NONCE_LIFETIME_MS = 300_000
JKT = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256 (RFC 7638), unpadded


class _ProofRegistry(jws.JWSRegistry):
    """joserfc's limits, with room in the header for the public key of an RSA key up to 4096 bits."""
    max_header_length = 2048
    max_payload_length = 4096


_REGISTRY = _ProofRegistry(algorithms=list(ALGORITHMS))


class DPoPErrorCode(ErrorCode):
    """Sections 5 (token endpoint), 7.1 (resources) and 8 (nonces)."""
    INVALID_DPOP_PROOF = "invalid_dpop_proof"
    USE_DPOP_NONCE = "use_dpop_nonce"
    INVALID_TOKEN = "invalid_token"  # RFC 6750's, for a DPoP-bound token presented as something else


class DPoPError(AppError):
    """A refused DPoP proof or binding: the RFC error code, and for use_dpop_nonce the nonce to retry with."""

    def __init__(self, error: DPoPErrorCode, description: str, status: int = 400, nonce: str = "") -> None:
        super().__init__(f"api.oauth.dpop.{error}.app_error", description, status, oauth_error=error)
        self.error, self.nonce = error, nonce

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        return ((NONCE_HEADER, self.nonce),) if self.nonce else ()

    def at_resource(self) -> "DPoPError":
        """The same refusal answered by a protected resource: 401 (section 7.1)."""
        return DPoPError(self.error, self.message, 401, self.nonce)


def invalid_proof(description: str) -> DPoPError:
    return DPoPError(DPoPErrorCode.INVALID_DPOP_PROOF, description)


@dataclasses.dataclass(frozen=True)
class HttpTarget:
    """The request a proof must be for: its method, its URL as the server's public address names it (site URL and
    path; a Host header plays no part) and the DPoP header values it carried."""
    method: str = ""
    url: str = ""
    proofs: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Proof:
    jkt: str  # RFC 7638 thumbprint of the proof's key
    jti: str
    iat: int  # seconds
    nonce: str


def token_type(jkt: str) -> str:
    """The token_type of an answer whose tokens are bound to `jkt` (section 5), or the plain bearer one."""
    return TOKEN_TYPE if jkt else "bearer"


def access_token_hash(access_token: str) -> str:
    """`ath` (section 4.2): base64url of the SHA-256 of the access token's ASCII, unpadded."""
    digest = hashlib.sha256(access_token.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def is_thumbprint(value: str) -> bool:
    """Whether `value` can be an RFC 7638 SHA-256 thumbprint (`dpop_jkt`, section 10)."""
    return JKT.fullmatch(value) is not None


# --- htu (section 4.3 item 9: without query and fragment, normalized by RFC 3986 sections 6.2.2 and 6.2.3) -----

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _percent_normalized(text: str) -> str:
    """Percent-encodings in upper case, and those of unreserved characters decoded (section 6.2.2.2)."""
    def one(match: re.Match) -> str:
        char = chr(int(match[1], 16))
        return char if char in _UNRESERVED else "%" + match[1].upper()
    return _PERCENT.sub(one, text)


def _without_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, for a path that starts with "/"."""
    segments = path.split("/")[1:]
    output: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment in (".", ".."):
            if segment == ".." and output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


def normalize_htu(uri: str) -> str | None:
    """The comparable form of an http(s) URI: scheme and host in lower case, the default port left out, an empty
    path "/", percent-encodings normalized, dot segments removed; query and fragment dropped. None when it is not
    an absolute http(s) URI."""
    try:
        parts = urllib.parse.urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    host = _percent_normalized(parts.hostname).lower()
    if ":" in host:
        host = f"[{host}]"
    authority = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _without_dot_segments(_percent_normalized(parts.path)) if parts.path else "/"
    return f"{scheme}://{authority}{path}"


# --- the proof ------------------------------------------------------------------------------------------------

def _claims(payload: bytes) -> dict:
    try:
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise invalid_proof("The DPoP proof's claims are not JSON.") from None
    if not isinstance(claims, dict):
        raise invalid_proof("The DPoP proof's claims are not a JSON object.")
    return claims


def verify_proof(proof: str, method: str, url: str, now_ms: int, window_seconds: int, access_token: str = "",
                 algorithms: tuple[str, ...] = ALGORITHMS) -> Proof:
    """Section 4.3 items 2 to 9, 11 and 12's `ath`: the proof is a well-formed JWT of type dpop+jwt, signed with an
    asymmetric algorithm of `algorithms` by the public key in its `jwk`, for `method` and `url`, issued within
    `window_seconds` of now, and (with `access_token`) carrying that token's hash. DPoPError otherwise. The replay
    and nonce checks need the store: `ProofChecker`."""
    if not proof or len(proof) > MAX_PROOF_LENGTH or proof.count(".") != 2 or not proof.isascii():
        raise invalid_proof("The DPoP proof is not a JWT.")
    try:
        compact = jws.extract_compact(proof.encode("ascii"), registry=_REGISTRY)
        header = compact.headers()
    except Exception:  # joserfc's parse of what a client sent: anything it cannot read is not a proof
        raise invalid_proof("The DPoP proof is not a JWT.") from None
    if header.get("typ") != TYP:
        raise invalid_proof("The DPoP proof's typ is not dpop+jwt.")
    alg = header.get("alg")
    if alg not in algorithms:
        raise invalid_proof(f"The DPoP proof's alg is not one of {' '.join(algorithms)}.")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or jwk.get("kty") not in ASYMMETRIC_KTY:
        raise invalid_proof("The DPoP proof has no public key in its jwk header.")
    if PRIVATE_MEMBERS & jwk.keys():
        raise invalid_proof("The DPoP proof's jwk holds private key material.")
    try:
        key = JWKRegistry.import_key(jwk)
        verified = jws.deserialize_compact(proof, key, algorithms=[alg], registry=_REGISTRY)
        jkt = key.thumbprint()
    except Exception:  # a key joserfc cannot import, one that does not fit alg, or a bad signature
        raise invalid_proof("The DPoP proof's signature does not verify with its jwk.") from None
    claims = _claims(verified.payload)
    jti, htm, htu, iat = (claims.get(name) for name in ("jti", "htm", "htu", "iat"))
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise invalid_proof("The DPoP proof has no jti.")
    if not isinstance(htm, str) or not isinstance(htu, str) \
            or not isinstance(iat, (int, float)) or isinstance(iat, bool) or not math.isfinite(iat):
        raise invalid_proof("The DPoP proof lacks htm, htu or iat.")
    if htm != method:
        raise invalid_proof("The DPoP proof's htm is not this request's method.")
    presented = normalize_htu(htu)
    if presented is None or presented != normalize_htu(url):
        raise invalid_proof("The DPoP proof's htu is not this request's URL.")
    if abs(now_ms / 1000 - iat) > window_seconds:
        raise invalid_proof("The DPoP proof's iat is outside the accepted window.")
    if access_token:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not hmac.compare_digest(ath.encode(), access_token_hash(access_token).encode()):
            raise invalid_proof("The DPoP proof's ath is not the hash of the access token.")
    nonce = claims.get("nonce")
    return Proof(jkt=jkt, jti=jti, iat=int(iat), nonce=nonce if isinstance(nonce, str) else "")


class ProofChecker:
    """Proofs checked whole: `verify_proof`, then the server's nonce when the settings ask for one (section 8), then
    the jti not seen before within the window (section 11.1), remembered in the store so every node knows it."""

    def __init__(self, services) -> None:
        self.services = services

    def check(self, target: HttpTarget, access_token: str = "") -> Proof | None:
        """The request's proof, checked; None when it has none. More than one DPoP header is invalid (item 1)."""
        if not target.proofs:
            return None
        if len(target.proofs) > 1:
            raise invalid_proof("The request has more than one DPoP header.")
        services = self.services
        settings, now, store = services.settings, services.now(), services.store
        window = settings.dpop_proof_window_seconds
        proof = verify_proof(target.proofs[0], target.method, target.url, now, window, access_token)
        with store_errors(TOKEN_WRITE_FAILED):
            if settings.dpop_require_nonce and not (proof.nonce and store.dpop_nonce_valid(proof.nonce, now)):
                raise DPoPError(DPoPErrorCode.USE_DPOP_NONCE, "The DPoP proof must carry the server's current nonce.",
                                nonce=self.nonce())
            # Until no proof with this iat is accepted any more; keyed by the key and jti, so that nobody but the
            # key's holder can spend a jti.
            seen = hashlib.sha256(f"{proof.jkt}\0{proof.jti}".encode()).hexdigest()
            if not store.use_dpop_proof(seen, (proof.iat + window) * 1000 + 1000):
                raise invalid_proof("The DPoP proof was used before.")
        return proof

    def nonce(self) -> str:
        """The nonce to hand out now (the newest, or a new one when it is due)."""
        now = self.services.now()
        return self.services.store.dpop_nonce(now, now - NONCE_ROTATE_MS, now + NONCE_LIFETIME_MS, new_secret)


def challenge(error: str = "", description: str = "", algorithms: tuple[str, ...] = ALGORITHMS) -> str:
    """The `WWW-Authenticate: DPoP` challenge of section 7.1 (`error` "" when the request had no credentials)."""
    value = f'{SCHEME} algs="{" ".join(algorithms)}"'
    if error:
        safe = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in description)
        value += f', error="{error}", error_description="{safe}"'
    return value

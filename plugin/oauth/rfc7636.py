"""RFC 7636: Proof Key for Code Exchange, S256 only (as Mattermost).

- `validate_challenge(challenge, method)`: the PKCE part of the authorization request check.
- `verify(challenge, method, verifier)`: Mattermost's AuthData.VerifyPKCE.
- `validate_for_client_type(is_public, challenge, method, verifier)`: Mattermost's ValidatePKCEForClientType,
  raising AppError with its ids. RFC 9700 §2.1.1: a verifier sent for a code issued without a challenge is
  rejected (downgrade protection).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re

from .errors import AppError, app_error
from .urls import go_len

S256 = "S256"

CHALLENGE_MIN = 43
CHALLENGE_MAX = 128
VERIFIER_MIN = 43
VERIFIER_MAX = 128

_CHALLENGE_RE = re.compile(r"[A-Za-z0-9_-]+")
_VERIFIER_RE = re.compile(r"[A-Za-z0-9\-._~]+")


def s256(verifier: str) -> str:
    """BASE64URL-ENCODE(SHA256(ASCII(code_verifier))), unpadded (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_valid_verifier(verifier: str) -> bool:
    """RFC 7636 §4.1: 43..128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"."""
    return VERIFIER_MIN <= go_len(verifier) <= VERIFIER_MAX and _VERIFIER_RE.fullmatch(verifier) is not None


def validate_challenge(challenge: str, method: str) -> AppError | None:
    """The PKCE step of AuthorizeRequest.IsValid; checked only when either field is present."""
    if not challenge and not method:
        return None
    if not challenge:
        return app_error("model.authorize.is_valid.code_challenge.app_error", 400)
    if not method:
        return app_error("model.authorize.is_valid.code_challenge_method.app_error", 400)
    if method != S256:
        return app_error("model.authorize.is_valid.code_challenge_method.unsupported.app_error", 400)
    if not CHALLENGE_MIN <= go_len(challenge) <= CHALLENGE_MAX:
        return app_error("model.authorize.is_valid.code_challenge.length.app_error", 400)
    if _CHALLENGE_RE.fullmatch(challenge) is None:
        return app_error("model.authorize.is_valid.code_challenge.format.app_error", 400)
    return None


def verify(challenge: str, method: str, verifier: str) -> bool:
    """True when PKCE was not used (no challenge and no method stored), or when the verifier is well-formed
    and its S256 equals the stored challenge."""
    if not challenge and not method:
        return True
    if not challenge or not method or method != S256:
        return False
    if not is_valid_verifier(verifier):
        return False
    return hmac.compare_digest(s256(verifier), challenge)


def validate_for_client_type(is_public: bool, challenge: str, method: str, verifier: str) -> None:
    """Raise AppError (400, oauth_error set) unless the token request's verifier fits the stored challenge."""
    if is_public:
        if not challenge:
            raise app_error(
                "model.authorize.validate_pkce.public_client_required.app_error", 400, oauth_error="invalid_grant"
            )
        if not verifier:
            raise app_error(
                "model.authorize.validate_pkce.verifier_required.app_error", 400, oauth_error="invalid_request"
            )
        if not verify(challenge, method, verifier):
            raise app_error(
                "model.authorize.validate_pkce.verification_failed.app_error", 400, oauth_error="invalid_grant"
            )
        return
    if challenge:
        if not verifier:
            raise app_error(
                "model.authorize.validate_pkce.verifier_required.app_error", 400, oauth_error="invalid_request"
            )
        if not verify(challenge, method, verifier):
            raise app_error(
                "model.authorize.validate_pkce.verification_failed.app_error", 400, oauth_error="invalid_grant"
            )
    elif verifier:
        raise app_error(
            "model.authorize.validate_pkce.not_used_in_auth.app_error", 400, oauth_error="invalid_request"
        )

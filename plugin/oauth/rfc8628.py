"""RFC 8628, the OAuth 2.0 device authorization grant: its error codes, its paths and its user codes.

A user code is typed by a person on another device (section 6.1): eight letters from an alphabet without vowels
(no words can form) and without look-alikes (no 0/O, 1/I/L confusion is possible without vowels and digits),
shown as two groups of four (`BDWD-HQPK`). What the user types is read without regard to case, dashes or spaces.
The 20^8 (about 2^34.6) values are not a secret by themselves: guesses on the verification page are rate limited
and a code lives minutes (RFC 8628 section 5.1).
"""
from __future__ import annotations

import secrets

from .errors import ErrorCode

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_AUTHORIZATION_PATH = "oauth/device_authorization"
VERIFICATION_PATH = "oauth/device"

# Section 3.2: the minimum time between polls when the server names none (5 seconds), and section 3.5: what a
# slow_down adds to it.
DEFAULT_INTERVAL_SECONDS = 5
SLOW_DOWN_SECONDS = 5

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8


class DeviceErrorCode(ErrorCode):
    """Section 3.5: the token endpoint's answers while the user has not finished (a refusal is RFC 6749's
    access_denied)."""
    AUTHORIZATION_PENDING = "authorization_pending"
    SLOW_DOWN = "slow_down"
    EXPIRED_TOKEN = "expired_token"


def new_user_code() -> str:
    """Eight letters of the alphabet, drawn by the OS CSPRNG, in their normalized form (no dash)."""
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def normalize_user_code(typed: str) -> str:
    """What a person typed, as the code it stands for: upper case, without dashes and white space; "" when it
    cannot be a user code (wrong length or a letter outside the alphabet)."""
    code = "".join(ch for ch in typed.upper() if ch not in "- \t")
    if len(code) != USER_CODE_LENGTH or any(ch not in USER_CODE_ALPHABET for ch in code):
        return ""
    return code


def display_user_code(code: str) -> str:
    """`BDWDHQPK` shown as `BDWD-HQPK`."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if code else ""

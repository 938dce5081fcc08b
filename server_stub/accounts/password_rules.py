"""Mattermost's PasswordSettings: what a new password must be (sign-up, an account created by an admin or the
command line, a password change). Mattermost's users.IsPasswordValidWithSettings and its error ids:

- shorter than `MinimumLength` (default 8): 400 `model.user.is_valid.pwd_min_length.app_error`;
- longer than 72 bytes: 400 `model.user.is_valid.pwd_max_length.app_error`;
- otherwise, for each of `Lowercase`, `Uppercase`, `Number`, `Symbol` (all off by default) that is on and not met,
  its name joins the id in that order: `model.user.is_valid.pwd_lowercase_number.app_error` and so on.

Lengths are counted in UTF-8 bytes, as Go's len() counts them.
"""
from __future__ import annotations

import dataclasses

from .errors import AccountError

MINIMUM_LENGTH_FLOOR = 5  # Mattermost's PasswordMinimumLength: the least MinimumLength may be set to
MAXIMUM_LENGTH = 72  # Mattermost's PasswordMaximumLength
DEFAULT_MINIMUM_LENGTH = 8

# Mattermost's model.LowercaseLetters, UppercaseLetters, NUMBERS and SYMBOLS.
_CLASSES = (
    ("lowercase", "abcdefghijklmnopqrstuvwxyz", "at least one lowercase letter"),
    ("uppercase", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "at least one uppercase letter"),
    ("number", "0123456789", "at least one number"),
    ("symbol", " !\"\\#$%&'()*+,-./:;<=>?@[]^_`|~", 'at least one symbol (e.g. "~!@#$%^&*()")'),
)


@dataclasses.dataclass(frozen=True)
class PasswordRules:
    minimum_length: int = DEFAULT_MINIMUM_LENGTH
    lowercase: bool = False
    uppercase: bool = False
    number: bool = False
    symbol: bool = False

    @classmethod
    def from_config(cls, config: dict) -> "PasswordRules":
        """The rules of PasswordSettings (Mattermost's defaults where a value is missing or not of its type)."""
        settings = config.get("PasswordSettings") or {}
        length = settings.get("MinimumLength", DEFAULT_MINIMUM_LENGTH)
        if isinstance(length, bool) or not isinstance(length, int):
            length = DEFAULT_MINIMUM_LENGTH
        switches = {name: settings.get(name.capitalize()) is True for name, _, _ in _CLASSES}
        return cls(minimum_length=length, **switches)


def check_new_password(password: str, rules: PasswordRules) -> None:
    """Raises AccountError (400) with Mattermost's id and message when the password breaks the rules."""
    length = len(password.encode("utf-8", "surrogatepass"))
    if length < rules.minimum_length:
        raise AccountError("model.user.is_valid.pwd_min_length.app_error",
                           f"Your password must contain at least {rules.minimum_length} characters.")
    if length > MAXIMUM_LENGTH:
        raise AccountError("model.user.is_valid.pwd_max_length.app_error",
                           f"Your password must contain no more than {MAXIMUM_LENGTH} characters.")
    missing = [(name, phrase) for name, letters, phrase in _CLASSES
               if getattr(rules, name) and not any(char in letters for char in password)]
    if not missing:
        return
    phrases = [phrase for _, phrase in missing]
    joined = (phrases[0] if len(phrases) == 1 else f"{phrases[0]} and {phrases[1]}" if len(phrases) == 2
              else ", ".join(phrases[:-1]) + f", and {phrases[-1]}")
    raise AccountError("model.user.is_valid.pwd_" + "_".join(name for name, _ in missing) + ".app_error",
                       f"Your password must contain at least {rules.minimum_length} characters made up of "
                       f"{joined}.")

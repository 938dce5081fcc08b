"""What the accounts raise: AccountError carries Mattermost's error id, its English message and the HTTP status."""
from __future__ import annotations


class DatabaseUnavailable(Exception):
    """The accounts database cannot be reached now (PostgreSQL down or unreachable): try again shortly."""


class AccountError(Exception):
    def __init__(self, error_id: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_id, self.message, self.status = error_id, message, status


class WrongPassword(AccountError):
    """A password check that failed: it cost a password hash (web/login_throttle.py counts it against the
    caller's address)."""


# What Mattermost's login answers for an unknown login id or a wrong password (deliberately the same).
INVALID_CREDENTIALS = ("api.user.login.invalid_credentials_email_username",
                       "Enter a valid email or username and/or password.")
# Mattermost's checkUserLoginAttempts (app/authentication.go): FailedAttempts >= ServiceSettings.MaximumLoginAttempts.
TOO_MANY_ATTEMPTS = ("api.user.check_user_login_attempts.too_many.app_error",
                     "Your account is locked because of too many failed password attempts. Please reset your password.")
# Mattermost's UpdatePasswordAsUser when the current password is wrong.
INCORRECT_CURRENT_PASSWORD = ("api.user.update_password.incorrect.app_error",
                              'The "Current Password" you entered is incorrect. Please check that Caps Lock is off '
                              "and try again.")

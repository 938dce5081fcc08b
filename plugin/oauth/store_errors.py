"""Database failures as Mattermost answers them: a 500 with the operation's id, or 503 with Retry-After while the
database cannot be reached. The detail goes to the server's log, never to the client."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from plugin.store.contract import StoreError, StoreUnavailable

from .errors import AppError, OAuthErrorCode, app_error

log = logging.getLogger("plugin.oauth")

STORE_UNAVAILABLE = "app.store.unavailable.app_error"
STORE_RETRY_AFTER_SECONDS = 1
# The token endpoint's ids for a failed read and a failed write.
TOKEN_READ_FAILED = "api.oauth.get_access_token.internal.app_error"
TOKEN_WRITE_FAILED = "api.oauth.get_access_token.internal_saving.app_error"
REMOVE_FAILED = "app.oauth.remove_access_data.app_error"


def store_unavailable(exc: Exception | None = None) -> AppError:
    """503 with Retry-After: the database cannot be reached now (PostgreSQL down or unreachable); nothing was
    acknowledged, and the same request may succeed in a moment."""
    if exc is not None:
        log.error("store unavailable: %s", exc)
    return app_error(STORE_UNAVAILABLE, 503, oauth_error=OAuthErrorCode.TEMPORARILY_UNAVAILABLE,
                     retry_after=STORE_RETRY_AFTER_SECONDS)


@contextmanager
def store_errors(error_id: str, status: int = 500, oauth_error: str = "") -> Iterator[None]:
    """Turn a database failure into Mattermost's 500 for the operation (503 with Retry-After while the database
    is unreachable)."""
    try:
        yield
    except StoreUnavailable as exc:
        raise store_unavailable(exc) from exc
    except StoreError as exc:
        log.error("store failure (%s): %s", error_id, exc)
        raise app_error(error_id, status, oauth_error=oauth_error) from exc

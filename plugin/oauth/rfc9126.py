"""RFC 9126: pushed authorization requests. A client pushes its authorization request's parameters to the PAR
endpoint (POST /oauth/par, authenticated as at the token endpoint) and gets a `request_uri`; the browser then
goes to /oauth/authorize with only `client_id` and that `request_uri`, so nothing in the address bar can alter
the request (endpoints/pushed_authorization.py pushes, authorize/endpoint.py resolves).

- The request_uri is `urn:ietf:params:oauth:request_uri:` and 256 random bits; only its SHA-256 is stored.
- It is bound to the client that pushed it, short-lived (`PushedRequestLifetimeSeconds`) and single use
  (section 4, section 7.3): consumed, by one conditional update, when the authorization completes. A browser that
  opens it signed in makes it that user's and gives it the time of a consent page, so the consent round trip
  works; a reload by the same user shows the page again, anyone else is refused.
- `require_pushed_authorization_requests` (the server's setting, or the app's: section 5 and 6): a plain
  authorization request is refused with invalid_request.
"""
from __future__ import annotations

import dataclasses

from .errors import AppError, ErrorCode, OAuthErrorCode, rfc_error
from .ids import new_secret
from .rfc6749 import AuthorizeRequest
from .rfc8414 import AUTHORIZATION_PATH
from .urls import encode_query

PAR_PATH = "oauth/par"
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# Once a browser has opened a pushed request, the user may take this long on the consent page.
CONSENT_PAGE_SECONDS = 600


class PushedErrorCode(ErrorCode):
    """RFC 9101 section 7 (JAR), which RFC 9126 section 4 builds on: an unusable request_uri."""
    INVALID_REQUEST_URI = "invalid_request_uri"


INVALID_REQUEST_URI = PushedErrorCode.INVALID_REQUEST_URI

# Parameters a client cannot push: a reference to another request (section 2.1), and the provider's own marker.
NOT_PUSHED = ("request_uri", "authenticated_after")
PUSHED_FIELDS = tuple(f.name for f in dataclasses.fields(AuthorizeRequest) if f.name not in NOT_PUSHED)


def new_request_uri() -> str:
    return REQUEST_URI_PREFIX + new_secret()


def pushed_params(request: AuthorizeRequest) -> dict[str, str]:
    """What is stored of a pushed request: its non-empty parameters."""
    return {name: getattr(request, name) for name in PUSHED_FIELDS if getattr(request, name)}


def from_pushed(params: dict[str, str], request_uri: str, authenticated_after: str) -> AuthorizeRequest:
    """The request /oauth/authorize answers: exactly the pushed parameters (section 4), its request_uri, and the
    provider's own sign-in marker from the way through the login page."""
    known = {name: str(value) for name, value in params.items() if name in PUSHED_FIELDS}
    return AuthorizeRequest(**known, request_uri=request_uri, authenticated_after=authenticated_after)


def return_path(request: AuthorizeRequest, authenticated_after: str = "") -> str:
    """The way back to the authorization endpoint after the login page, for a pushed request: its client_id and
    request_uri (the parameters stay off the address bar), and its redirect URI, which the authorization endpoint
    ignores but the login page names in its form-action (the answer may redirect there at once)."""
    values = {"client_id": request.client_id, "request_uri": request.request_uri,
              "redirect_uri": request.redirect_uri, "authenticated_after": authenticated_after}
    return f"/{AUTHORIZATION_PATH}?{encode_query({k: [v] for k, v in values.items() if v})}"


def invalid_request_uri() -> AppError:
    return rfc_error(INVALID_REQUEST_URI, "api.oauth.authorize.invalid_request_uri.app_error")


def pushed_request_required() -> AppError:
    return rfc_error(OAuthErrorCode.INVALID_REQUEST, "api.oauth.authorize.pushed_request_required.app_error")


def request_uri_pushed() -> AppError:
    return rfc_error(OAuthErrorCode.INVALID_REQUEST, "api.oauth.par.request_uri.app_error")

"""The OAuth 2.0 provider domain: Mattermost's rules, pure Python (no gRPC, HTTP or SQL).

Modules are named after what they implement: `rfc6749` (authorization request, redirects, token messages),
`rfc7636` (PKCE), `rfc7591` (dynamic client registration), `rfc8414` (metadata), `rfc8707` (resource
indicators), `apps` (OAuth apps and client authentication), `urls` (Go net/url semantics), `ids`, `errors`,
`settings`, and `provider`, which puts them together behind `OAuthProvider`.
"""
from .apps import App, AppRequest
from .errors import AppError, DCRError
from .provider import (
    CONSENT,
    LOGIN,
    REDIRECT,
    AuthorizationOutcome,
    Caller,
    OAuthProvider,
    TokenInfo,
)
from .rfc6749 import AuthorizeRequest, TokenRequest, TokenResponse
from .settings import Settings

__all__ = [
    "App",
    "AppError",
    "AppRequest",
    "AuthorizationOutcome",
    "AuthorizeRequest",
    "CONSENT",
    "Caller",
    "DCRError",
    "LOGIN",
    "OAuthProvider",
    "REDIRECT",
    "Settings",
    "TokenInfo",
    "TokenRequest",
    "TokenResponse",
]

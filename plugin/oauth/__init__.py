"""The OAuth 2.0 provider domain: Mattermost's rules, pure Python (no gRPC, HTTP or SQL).

- `server`: the AuthorizationServer, a registry of grants (`grants/`), response types and endpoints
  (`authorize/`, `endpoints/`) with hooks around issuance; `provider` registers the built-in ones behind
  `OAuthProvider`.
- `apps/` (OAuth apps and their operations), `client_auth` (client authentication), `policy` (rules several
  places need), `guards` (the caller and permission checks), `tokens` (minting), `ratelimit`, `audit`.
- One module per RFC: `rfc6749` (authorization request, redirects, token messages), `rfc7636` (PKCE), `rfc7591`
  (dynamic client registration), `rfc8414` (metadata), `rfc8707` (resource indicators); `urls` (Go net/url
  semantics), `ids`, `errors` (Mattermost's ids, typed RFC error codes), `settings`.
"""
from .apps import App, AppRequest
from .authorize import CONSENT, LOGIN, REDIRECT, AuthorizationOutcome
from .errors import AppError, DCRError
from .guards import Caller
from .provider import OAuthProvider
from .rfc6749 import AuthorizeRequest, TokenRequest, TokenResponse
from .settings import Settings
from .tokens import TokenInfo

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

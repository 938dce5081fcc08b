"""The provider's rules that more than one place needs, each written once (node oidc-provider's policy
functions): ask here, not at the call site, when PKCE is required or a grant gets a refresh token."""
from __future__ import annotations

from plugin.store.records import AppRecord, ConsentRecord

from .client_auth import is_public
from .rfc8252 import redirect_uri_matches
from .scopes import covers


def pkce_required(app: AppRecord) -> bool:
    """Public clients must use PKCE with the authorization code grant (Mattermost; RFC 9700 §2.1.1)."""
    return is_public(app)


def issues_refresh_token(app: AppRecord) -> bool:
    """Confidential clients get refresh tokens; public clients none (Mattermost does the same)."""
    return not is_public(app)


def refresh_token_key(app: AppRecord, proven: str, bound: str = "") -> str:
    """RFC 9449 section 5: the key a new refresh token is bound to. A public client's is bound to the DPoP key it
    was issued with (a confidential client's is bound to the client already, by its authentication); a refresh
    token's successor keeps its binding. Public clients get no refresh tokens today (`issues_refresh_token`);
    this says what happens when they do."""
    return bound or (proven if is_public(app) else "")


def consent_covers(consent: ConsentRecord | None, granted: list[str]) -> bool:
    """A remembered consent covers a later request for no scope it did not cover: a new scope is a new consent
    (Mattermost: any scope is covered)."""
    return consent is not None and covers(consent.scope, granted)


def redirect_uri_registered(callback_urls, uri: str) -> bool:
    """A redirect URI the app registered: exactly (RFC 9700 §2.1), or a loopback one on another port (RFC 8252
    §7.3)."""
    return any(redirect_uri_matches(registered, uri) for registered in callback_urls)

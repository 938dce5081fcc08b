"""Token endpoint grants (RFC 6749 §4), one module each, registered with the AuthorizationServer by grant_type."""
from .authorization_code import AuthorizationCodeGrant
from .base import Grant, Issued
from .refresh_token import RefreshTokenGrant

__all__ = ["AuthorizationCodeGrant", "Grant", "Issued", "RefreshTokenGrant"]

"""Token endpoint grants (RFC 6749 §4, RFC 8628), one module each, registered with the AuthorizationServer by
grant_type."""
from .authorization_code import AuthorizationCodeGrant
from .base import Grant, Issued
from .device_code import DeviceCodeGrant
from .refresh_token import RefreshTokenGrant

__all__ = ["AuthorizationCodeGrant", "DeviceCodeGrant", "Grant", "Issued", "RefreshTokenGrant"]

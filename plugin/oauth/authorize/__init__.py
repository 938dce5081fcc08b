"""The authorization endpoint and its response types."""
from .endpoint import CONSENT, LOGIN, REDIRECT, AuthorizationEndpoint, AuthorizationOutcome
from .response_types import CodeResponse, ImplicitResponse, ResponseType

__all__ = ["CONSENT", "LOGIN", "REDIRECT", "AuthorizationEndpoint", "AuthorizationOutcome", "CodeResponse",
           "ImplicitResponse", "ResponseType"]

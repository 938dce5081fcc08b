"""The provider's endpoints, one module each, registered with the AuthorizationServer by name."""
from .audit import AuditEndpoint
from .bearer import BearerTokens
from .introspection import IntrospectionEndpoint
from .metadata import MetadataEndpoint
from .pushed_authorization import PushedAuthorizationEndpoint
from .registration import RegistrationEndpoint
from .revocation import RevocationEndpoint
from .token import TokenEndpoint

__all__ = ["AuditEndpoint", "BearerTokens", "IntrospectionEndpoint", "MetadataEndpoint",
           "PushedAuthorizationEndpoint", "RegistrationEndpoint", "RevocationEndpoint", "TokenEndpoint"]

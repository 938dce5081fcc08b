"""The provider's endpoints, one module each, registered with the AuthorizationServer by name."""
from .audit import AuditEndpoint
from .bearer import BearerTokens
from .device_authorization import DeviceAuthorizationEndpoint
from .device_verification import DeviceVerificationEndpoint
from .introspection import IntrospectionEndpoint
from .metadata import MetadataEndpoint
from .pushed_authorization import PushedAuthorizationEndpoint
from .registration import RegistrationEndpoint
from .revocation import RevocationEndpoint
from .token import TokenEndpoint

__all__ = ["AuditEndpoint", "BearerTokens", "DeviceAuthorizationEndpoint", "DeviceVerificationEndpoint",
           "IntrospectionEndpoint", "MetadataEndpoint", "PushedAuthorizationEndpoint", "RegistrationEndpoint",
           "RevocationEndpoint", "TokenEndpoint"]

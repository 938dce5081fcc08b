"""RFC 8707: resource indicators. Mattermost's ValidateResourceParameter.

A resource is optional. When given it must be at most 512 characters, parse as a URI (Go's url.Parse), be
absolute (have a scheme; any scheme) and carry no fragment. Query strings are allowed. The resource chosen at
the authorization or token request becomes the token's audience.
"""
from __future__ import annotations

from .errors import AppError, ErrorCode, app_error
from .urls import URLError, go_len, parse

RESOURCE_MAX = 512

class ResourceErrorCode(ErrorCode):
    """RFC 8707 §2: the error code for an unacceptable resource."""
    INVALID_TARGET = "invalid_target"


INVALID_TARGET = ResourceErrorCode.INVALID_TARGET


def validate_resource(resource: str, oauth_error: str = "") -> AppError | None:
    if not resource:
        return None
    if go_len(resource) > RESOURCE_MAX:
        return app_error("model.authorize.is_valid.resource.length.app_error", 400, oauth_error=oauth_error)
    try:
        u = parse(resource)
    except URLError:
        return app_error("model.authorize.is_valid.resource.invalid_uri.app_error", 400, oauth_error=oauth_error)
    if not u.is_abs():
        return app_error("model.authorize.is_valid.resource.not_absolute.app_error", 400, oauth_error=oauth_error)
    if u.fragment:
        return app_error("model.authorize.is_valid.resource.has_fragment.app_error", 400, oauth_error=oauth_error)
    return None

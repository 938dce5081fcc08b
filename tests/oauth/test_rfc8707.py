"""Resource indicators (RFC 8707): Mattermost's ValidateResourceParameter."""
from __future__ import annotations

import pytest

from plugin.oauth.rfc8707 import validate_resource


def resource_error(value):
    error = validate_resource(value)
    return error.id if error else None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "https://api.example.com",
        "https://api.example.com/v1",
        "https://api.example.com:8080/resource",
        "http://localhost:3000/api",
        "https://sub.api.example.com/path",
        "https://api.example.com/v1?version=2",
        "ftp://example.com/file",  # any absolute scheme
        "urn:example:resource",
    ],
)
def test_valid_resources(value):
    """Ports of TestValidateResourceParameter and TestAccessData_AudienceValidation (valid cases)."""
    assert resource_error(value) is None


@pytest.mark.parametrize(
    "value, expected",
    [
        ("not-a-uri", "not_absolute"),
        ("invalid-audience", "not_absolute"),
        ("relative/path", "not_absolute"),
        ("/absolute/path", "not_absolute"),
        ("https://api.example.com/v1#fragment", "has_fragment"),
        ("malformed://[invalid", "invalid_uri"),
        ("https://example.com/" + "a" * 500, "length"),
    ],
)
def test_invalid_resources(value, expected):
    """Ports of TestValidateResourceParameter and TestAccessData_AudienceValidation (invalid cases)."""
    assert resource_error(value) == f"model.authorize.is_valid.resource.{expected}.app_error"


def test_resource_of_exactly_512_bytes_is_accepted():
    value = "https://example.com/" + "a" * 492
    assert len(value) == 512 and resource_error(value) is None
    assert resource_error(value + "a") == "model.authorize.is_valid.resource.length.app_error"


def test_resource_errors_are_400_and_carry_the_given_oauth_error():
    error = validate_resource("not-a-uri", oauth_error="invalid_target")
    assert (error.status, error.oauth_error) == (400, "invalid_target")

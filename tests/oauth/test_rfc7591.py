"""Dynamic client registration (RFC 7591): request rules, redirect URIs, the allowlist glob (v11.9 rules)."""
from __future__ import annotations

import pytest

from plugin.oauth.errors import DCRError
from plugin.oauth.rfc7591 import (
    ClientRegistrationRequest,
    is_valid_dcr_redirect_uri,
    is_valid_redirect_uri_pattern,
    redirect_uri_matches_allowlist,
    redirect_uri_matches_glob,
    registration_response,
    validate_registration_request,
)


def request_error(**fields):
    values = dict(redirect_uris=["https://example.com/callback"])
    values.update(fields)
    error = validate_registration_request(ClientRegistrationRequest(**values))
    return error.id if error else None


def test_public_client_request_is_valid_and_auth_method_is_checked():
    """Port of TestClientRegistrationRequestIsValid/PublicClient_Valid and _AuthMethodValidation."""
    assert request_error(token_endpoint_auth_method="none", client_name="Test Public Client") is None
    assert request_error(token_endpoint_auth_method="client_secret_post") is None
    assert request_error(token_endpoint_auth_method="client_secret_basic") is None  # the metadata lists it
    assert request_error(token_endpoint_auth_method="invalid_method") == (
        "model.dcr.is_valid.unsupported_auth_method.app_error"
    )
    assert request_error(token_endpoint_auth_method="") == "model.dcr.is_valid.unsupported_auth_method.app_error"


@pytest.mark.parametrize(
    "uris, expected",
    [
        ([], "model.dcr.is_valid.redirect_uris.app_error"),
        (["https://example.com/callback"], None),
        (["http://localhost:3000/callback"], None),
        (["cursor://anysphere.cursor-mcp/oauth/callback"], None),
        (["invalid-uri"], "model.dcr.is_valid.redirect_uri_format.app_error"),
        (["javascript:alert(1)"], "model.dcr.is_valid.redirect_uri_format.app_error"),
        (["javascript://evil.example.com/steal"], "model.dcr.is_valid.redirect_uri_format.app_error"),
        (["https://example.com/cb", "invalid-uri"], "model.dcr.is_valid.redirect_uri_format.app_error"),
    ],
)
def test_redirect_uri_rules(uris, expected):
    """Port of TestClientRegistrationRequestIsValid/PublicClient_RedirectURIValidation."""
    assert request_error(redirect_uris=uris) == expected


def test_checks_run_in_mattermost_order():
    assert request_error(client_name="n" * 65, client_uri="bad", token_endpoint_auth_method="x") == (
        "model.dcr.is_valid.client_name.app_error"
    )
    assert request_error(client_uri="bad", token_endpoint_auth_method="x") == (
        "model.dcr.is_valid.client_uri_format.app_error"
    )
    assert request_error(client_uri="https://example.com/" + "u" * 237) == (
        "model.dcr.is_valid.client_uri_length.app_error"
    )
    assert request_error(client_name="n" * 64, client_uri="https://example.com/" + "u" * 236) is None


@pytest.mark.parametrize(
    "uri",
    ["https://example.com/callback", "http://localhost:3000/cb", "cursor://anysphere.cursor-mcp/oauth/callback",
     "com.example.app://callback"],
)
def test_valid_registration_redirect_uris(uri):
    """Port of TestIsValidDCRRedirectURI (valid)."""
    assert is_valid_dcr_redirect_uri(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "", "   ", " https://x ", "cursor://", "https://", "javascript:alert(1)", "data:text/html,hi",
        "/relative/path", "not a url", "javascript://evil.example.com/steal", "data://evil.example.com/steal",
        "file://localhost/etc/passwd", "vbscript://evil.example.com/x", "blob://evil.example.com/x",
        "about://evil.example.com/x", "JavaScript://evil.example.com/steal",
        "https://example.com/cb#fragment",  # ours: RFC 6749 §3.1.2 forbids a fragment
    ],
)
def test_invalid_registration_redirect_uris(uri):
    """Port of TestIsValidDCRRedirectURI (invalid)."""
    assert not is_valid_dcr_redirect_uri(uri)


# --- allowlist patterns ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "pattern",
    ["https://example.com/**", "http://localhost:3000/cb", "http://localhost:*", "http://x", "https://x",
     "cursor://anysphere.cursor-mcp/oauth/callback", "cursor://app/callback", "com.example.app://callback/**",
     "cursor://*.example.com/**"],
)
def test_valid_patterns(pattern):
    """Port of TestIsValidDCRRedirectURIPattern (valid)."""
    assert is_valid_redirect_uri_pattern(pattern)


@pytest.mark.parametrize(
    "pattern",
    ["", "https://", "cursor://", "://example.com", "javascript:alert(1)", "https://example.com/***",
     "https://example.com/\n", "https://exa\tmple.com/*", "\x7f", "javascript://evil.example.com/**",
     "data://evil.example.com/**", "file://localhost/**", "vbscript://evil.example.com/*",
     "blob://evil.example.com/**", "about://evil.example.com/**", "JavaScript://evil.example.com/**"],
)
def test_invalid_patterns(pattern):
    """Port of TestIsValidDCRRedirectURIPattern (invalid)."""
    assert not is_valid_redirect_uri_pattern(pattern)


@pytest.mark.parametrize(
    "uri, pattern, matches",
    [
        # direct match, anchored to the whole URI
        ("https://example.com/cb", "https://example.com/cb", True),
        ("https://example.com/cb", "https://example.com/cb2", False),
        ("https://example.com/cb2", "https://example.com/cb", False),
        ("https://example.com/cb/evil", "https://example.com/cb", False),
        ("https://evil.example.com/cb", "https://example.com/cb", False),
        # * stays within a path segment
        ("https://example.com/cb", "https://example.com/*", True),
        ("https://example.com/segment", "https://example.com/*", True),
        ("https://example.com/a/b", "https://example.com/*", False),
        ("https://example.com/", "https://example.com/*", True),
        # ** crosses segments, not hosts
        ("https://example.com/a/b/c", "https://example.com/**", True),
        ("https://example.com/callback", "https://example.com/**", True),
        ("https://example.com/", "https://example.com/**", True),
        ("https://evil.example.com/", "https://example.com/**", False),
        # host wildcard
        ("https://app.example.com/cb", "https://*.example.com/cb", True),
        ("https://app.example.com/cb", "https://*.example.com/**", True),
        ("https://foo.example.com/path", "https://*.example.com/*", True),
        ("https://example.com.evil/cb", "https://*.example.com/cb", False),
        # port wildcard
        ("https://localhost:3000/cb", "https://localhost:*/cb", True),
        ("https://localhost:3000/cb", "https://localhost:8080/cb", False),
        # custom schemes must be equal
        ("cursor://anysphere.cursor-mcp/oauth/callback", "cursor://anysphere.cursor-mcp/oauth/callback", True),
        ("cursor://anysphere.cursor-mcp/oauth/callback", "cursor://anysphere.cursor-mcp/**", True),
        ("cursor://anysphere.cursor-mcp/oauth/callback", "cursor://other.app/**", False),
        ("https://anysphere.cursor-mcp/oauth/callback", "cursor://anysphere.cursor-mcp/**", False),
        # a query must be allowed explicitly
        ("https://app.example.com/callback?tenant=foo", "https://app.example.com/callback", False),
        ("https://app.example.com/callback?tenant=foo", "https://app.example.com/callback?tenant=*", True),
        ("https://app.example.com/callback?a=1&b=2", "https://app.example.com/callback?**", True),
        ("https://app.example.com/callback", "https://app.example.com/callback?tenant=*", False),
        # invalid patterns or candidates never match
        ("https://a.com/x", "https://a.com/***", False),
        ("javascript:alert(1)", "https://a.com/**", False),
        ("not a url", "https://a.com/**", False),
    ],
)
def test_glob_matching(uri, pattern, matches):
    """Port of TestRedirectURIMatchesGlob (v11.9)."""
    assert redirect_uri_matches_glob(uri, pattern) is matches


def test_v11_5_bypass_is_rejected_by_component_matching():
    """Whole-string matching (v11.5/11.6) let `*` eat `?` and `.`; per-component matching (v11.9) does not."""
    assert not redirect_uri_matches_glob("https://attacker.example.net?x=.example.com/cb", "https://*.example.com/**")
    assert not redirect_uri_matches_glob("https://app.example.com/callback?x=/admin",
                                         "https://app.example.com/callback/admin")


def test_glob_stays_fast_on_pathological_patterns():
    """A backtracking matcher takes exponential time here; the dynamic-programming one answers at once."""
    pattern = "https://a.com/" + "*a" * 30 + "b"
    assert not redirect_uri_matches_glob("https://a.com/" + "a" * 200, pattern)
    assert redirect_uri_matches_glob("https://a.com/" + "a" * 200 + "b", pattern)
    double = "https://a.com/" + "**a" * 30 + "b"
    assert not redirect_uri_matches_glob("https://a.com/" + "a/" * 100, double)


def test_allowlist_rules():
    """Port of TestRedirectURIMatchesGlob's allowlist cases."""
    allowlist = ["https://a.com/**", "https://b.com/**"]
    assert redirect_uri_matches_allowlist("https://a.com/x", allowlist)
    assert redirect_uri_matches_allowlist("https://b.com/y", allowlist)
    assert not redirect_uri_matches_allowlist("https://c.com/z", allowlist)
    assert redirect_uri_matches_allowlist("https://a.com/x", ["  ", "https://a.com/**"])
    assert not redirect_uri_matches_allowlist("https://a.com/x", ["  ", ""])
    assert redirect_uri_matches_allowlist("https://any.com/cb", [])
    assert redirect_uri_matches_allowlist("https://a.com/x", [" https://a.com/** "])
    uris = ["https://allowed.com/cb1", "https://disallowed.com/cb2"]
    assert not all(redirect_uri_matches_allowlist(uri, ["https://allowed.com/**"]) for uri in uris)


# --- request decoding and response ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "body",
    [None, "garbage", [], {"redirect_uris": "https://x.com/cb"}, {"redirect_uris": [1]},
     {"redirect_uris": ["https://x.com/cb"], "client_name": 5},
     {"redirect_uris": ["https://x.com/cb"], "token_endpoint_auth_method": ["none"]}],
)
def test_ill_typed_bodies_are_invalid_json(body):
    with pytest.raises(DCRError) as info:
        ClientRegistrationRequest.from_json(body)
    assert (info.value.error, info.value.description, info.value.status) == (
        "invalid_client_metadata", "Invalid JSON in request body", 400
    )


def test_unknown_fields_are_ignored_and_nulls_mean_absent():
    req = ClientRegistrationRequest.from_json(
        {"redirect_uris": ["https://x.com/cb"], "client_name": None, "grant_types": 7, "logo_uri": "x"}
    )
    assert req == ClientRegistrationRequest(redirect_uris=["https://x.com/cb"])
    assert req.auth_method == "client_secret_post" and not req.is_public
    assert ClientRegistrationRequest.from_json({}).redirect_uris == []


def test_response_for_public_client_has_no_secret_and_no_refresh_grant():
    body = registration_response("cid", "", ["https://x.com/cb"], "Name", "", 1700000000)
    assert "client_secret" not in body and "client_uri" not in body
    assert body["token_endpoint_auth_method"] == "none"
    assert body["grant_types"] == ["authorization_code"]
    assert body["response_types"] == ["code"] and body["scope"] == "user"


def test_response_for_confidential_client_echoes_metadata():
    body = registration_response("cid", "sec", ["https://x.com/cb"], "Name", "https://x.com", 1700000000)
    assert body == {
        "client_id": "cid", "client_secret": "sec", "client_id_issued_at": 1700000000,
        "redirect_uris": ["https://x.com/cb"], "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"], "scope": "user",
        "client_name": "Name", "client_uri": "https://x.com",
    }

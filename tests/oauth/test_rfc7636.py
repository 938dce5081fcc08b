"""PKCE (RFC 7636), S256 only."""
from __future__ import annotations

import pytest

from plugin.oauth.errors import AppError
from plugin.oauth.rfc7636 import is_valid_verifier, s256, validate_challenge, validate_for_client_type, verify

from .conftest import CHALLENGE, VERIFIER


def test_rfc7636_appendix_b_vector():
    assert s256(VERIFIER) == CHALLENGE


def test_verify_accepts_the_matching_verifier():
    """Port of TestAuthDataVerifyPKCE (S256 with the RFC vector)."""
    assert verify(CHALLENGE, "S256", VERIFIER)


@pytest.mark.parametrize(
    "verifier",
    ["wrong_verifier_wrong_verifier_wrong_verifier_x", "", "short", "a" * 129, "invalid@characters#here!"],
)
def test_verify_rejects_other_verifiers(verifier):
    """Port of TestAuthDataVerifyPKCE (wrong, empty, short, too long, bad characters)."""
    assert not verify(CHALLENGE, "S256", verifier)


def test_verify_without_stored_pkce_accepts_anything():
    assert verify("", "", "anything")


def test_verify_rejects_plain_and_half_stored_pkce():
    assert not verify(VERIFIER, "plain", VERIFIER)
    assert not verify(CHALLENGE, "", VERIFIER)
    assert not verify("", "S256", VERIFIER)


def test_verifier_rules():
    assert is_valid_verifier("a" * 43) and is_valid_verifier("A-._~" + "0" * 123)
    assert not is_valid_verifier("a" * 42)
    assert not is_valid_verifier("a" * 129)
    assert not is_valid_verifier("a" * 42 + "+")


def challenge_error(challenge, method):
    error = validate_challenge(challenge, method)
    return error.id if error else None


def test_validate_challenge_valid_pair_and_no_pkce():
    """Port of TestValidatePKCEParameters (valid) and TestAuthorizeRequestPKCE/RequiredTogether (none)."""
    assert challenge_error(CHALLENGE, "S256") is None
    assert challenge_error("", "") is None


@pytest.mark.parametrize(
    "challenge, method, expected",
    [
        ("", "S256", "model.authorize.is_valid.code_challenge.app_error"),
        (CHALLENGE, "", "model.authorize.is_valid.code_challenge_method.app_error"),
        (CHALLENGE, "plain", "model.authorize.is_valid.code_challenge_method.unsupported.app_error"),
        (CHALLENGE, "s256", "model.authorize.is_valid.code_challenge_method.unsupported.app_error"),
        ("short", "S256", "model.authorize.is_valid.code_challenge.length.app_error"),
        ("a" * 129, "S256", "model.authorize.is_valid.code_challenge.length.app_error"),
        ("a" * 42 + "=", "S256", "model.authorize.is_valid.code_challenge.format.app_error"),
        ("a" * 42 + ".", "S256", "model.authorize.is_valid.code_challenge.format.app_error"),
    ],
)
def test_validate_challenge_errors_in_order(challenge, method, expected):
    """Port of TestValidatePKCEParameters and TestAuthorizeRequestPKCE/ValidationDetails."""
    assert challenge_error(challenge, method) == expected


def pkce_error(is_public, challenge, verifier):
    with pytest.raises(AppError) as info:
        validate_for_client_type(is_public, challenge, "S256" if challenge else "", verifier)
    assert info.value.status == 400
    return info.value.id


def test_public_client_needs_a_stored_challenge():
    assert pkce_error(True, "", VERIFIER) == "model.authorize.validate_pkce.public_client_required.app_error"


def test_public_client_needs_a_verifier():
    assert pkce_error(True, CHALLENGE, "") == "model.authorize.validate_pkce.verifier_required.app_error"


def test_public_client_verifier_must_match():
    assert pkce_error(True, CHALLENGE, "x" * 43) == "model.authorize.validate_pkce.verification_failed.app_error"


def test_confidential_client_with_challenge_needs_matching_verifier():
    assert pkce_error(False, CHALLENGE, "") == "model.authorize.validate_pkce.verifier_required.app_error"
    assert pkce_error(False, CHALLENGE, "x" * 43) == "model.authorize.validate_pkce.verification_failed.app_error"


def test_verifier_without_challenge_is_a_downgrade_and_refused():
    assert pkce_error(False, "", VERIFIER) == "model.authorize.validate_pkce.not_used_in_auth.app_error"


def test_matching_verifiers_and_unused_pkce_pass():
    validate_for_client_type(True, CHALLENGE, "S256", VERIFIER)
    validate_for_client_type(False, CHALLENGE, "S256", VERIFIER)
    validate_for_client_type(False, "", "", "")

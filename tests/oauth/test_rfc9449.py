"""RFC 9449 (DPoP): the proof checks of section 4.3, each refusal of the negative table, replay and nonces in the
store, and tokens bound to the proof's key at the token endpoint and at the resource."""
from __future__ import annotations

import base64
import dataclasses
import json
import time

import pytest

from plugin.clock import FakeClock
from plugin.oauth import AppError, Settings
from plugin.oauth.rfc6749 import TokenActionRequest
from plugin.oauth.ids import hash_secret
from plugin.oauth.rfc9449 import (
    ALGORITHMS,
    DPoPError,
    HttpTarget,
    ProofChecker,
    normalize_htu,
    verify_proof,
)
from tests.dpop import DPoPKey, symmetric_proof, tampered

from .conftest import app_request

TOKEN_URL = "https://mm.example.com/oauth/access_token"
ME_URL = "https://mm.example.com/api/v4/users/me"
WINDOW = 60


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(int(time.time() * 1000))  # proofs carry the real time; the clock moves only when told


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey()


def verify(proof: str, clock, method="POST", url=TOKEN_URL, access_token=""):
    return verify_proof(proof, method, url, clock.now_ms(), WINDOW, access_token)


# --- htu (section 4.3 item 9) -----------------------------------------------------------------------------------

@pytest.mark.parametrize("presented, expected", [
    ("https://mm.example.com/oauth/access_token", "https://mm.example.com/oauth/access_token"),
    ("HTTPS://MM.Example.COM/oauth/access_token", "https://mm.example.com/oauth/access_token"),
    ("https://mm.example.com:443/oauth/access_token", "https://mm.example.com/oauth/access_token"),
    ("http://mm.example.com:80", "http://mm.example.com/"),
    ("https://mm.example.com/oauth/access_token?x=1#frag", "https://mm.example.com/oauth/access_token"),
    ("https://mm.example.com/oauth/%61ccess_token", "https://mm.example.com/oauth/access_token"),
    ("https://mm.example.com/a%2fb", "https://mm.example.com/a%2Fb"),
    ("https://mm.example.com/api/./v4/../v4/users/me", "https://mm.example.com/api/v4/users/me"),
    ("https://mm.example.com:8065/x", "https://mm.example.com:8065/x"),
])
def test_htu_is_compared_normalized_without_query_and_fragment(presented, expected):
    assert normalize_htu(presented) == expected


@pytest.mark.parametrize("bad", ["", "/oauth/access_token", "ftp://mm.example.com/x", "https://user@mm.example.com/",
                                 "https://mm.example.com:99999/", "https:///x"])
def test_htu_that_is_not_an_absolute_http_uri_matches_nothing(bad):
    assert normalize_htu(bad) is None


# --- the proof ----------------------------------------------------------------------------------------------------

def test_a_good_proof_gives_its_keys_thumbprint(key, clock):
    proof = verify(key.proof("POST", TOKEN_URL), clock)
    assert proof.jkt == key.jkt and proof.jti


def test_a_proof_for_the_url_with_another_query_is_still_for_it(key, clock):
    assert verify(key.proof("GET", ME_URL + "?page=2"), clock, "GET", ME_URL).jkt == key.jkt


@pytest.mark.parametrize("alg", ["ES256", "PS256", "RS256"])
def test_every_advertised_family_verifies(alg, clock):
    assert alg in ALGORITHMS
    k = DPoPKey(alg)
    assert verify(k.proof("POST", TOKEN_URL), clock).jkt == k.jkt


def unsigned(header: dict, now: float) -> str:
    """A JWT that no library would make: `header` as given, no signature."""
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part(header)}.{part({'jti': 'j', 'htm': 'POST', 'htu': TOKEN_URL, 'iat': int(now)})}."


def _private_jwk(key: DPoPKey) -> dict:
    return key.key.as_dict(private=True)


NEGATIVE = {
    # section 4.3 item 2: a JWT
    "not a JWT": lambda k, now: "not-a-jwt",
    "three parts but garbage": lambda k, now: "a.b.c",
    # item 4: typ
    "wrong typ": lambda k, now: k.proof("POST", TOKEN_URL, typ="JWT"),
    # item 5: an asymmetric algorithm it supports
    "symmetric alg": lambda k, now: symmetric_proof("POST", TOKEN_URL),
    "alg none": lambda k, now: unsigned({"typ": "dpop+jwt", "alg": "none", "jwk": k.public_jwk}, now),
    # item 7: a public key only
    "private jwk": lambda k, now: k.proof("POST", TOKEN_URL, header={"jwk": _private_jwk(k)}),
    "no jwk": lambda k, now: unsigned({"typ": "dpop+jwt", "alg": "ES256"}, now),
    "jwk of another key": lambda k, now: k.proof("POST", TOKEN_URL, header={"jwk": DPoPKey().public_jwk}),
    # item 6: the signature
    "bad signature": lambda k, now: tampered(k.proof("POST", TOKEN_URL)),
    # item 3: the required claims
    "no jti": lambda k, now: k.proof("POST", TOKEN_URL, drop=("jti",)),
    "no iat": lambda k, now: k.proof("POST", TOKEN_URL, drop=("iat",)),
    "no htm": lambda k, now: k.proof("POST", TOKEN_URL, drop=("htm",)),
    # item 8: htm
    "wrong htm": lambda k, now: k.proof("GET", TOKEN_URL),
    # item 9: htu
    "wrong htu": lambda k, now: k.proof("POST", "https://mm.example.com/oauth/revoke"),
    "htu on another host": lambda k, now: k.proof("POST", "https://evil.example.com/oauth/access_token"),
    # item 11: iat within the window
    "expired iat": lambda k, now: k.proof("POST", TOKEN_URL, iat=now - WINDOW - 5),
    "iat not a number": lambda k, now: k.proof("POST", TOKEN_URL, iat=float("nan")),
    "iat infinite": lambda k, now: k.proof("POST", TOKEN_URL, iat=float("inf")),
    "iat a string": lambda k, now: k.proof("POST", TOKEN_URL, iat=str(int(now))),
    "future iat": lambda k, now: k.proof("POST", TOKEN_URL, iat=now + WINDOW + 5),
}


@pytest.mark.parametrize("case", sorted(NEGATIVE))
def test_negative_table_each_bad_proof_is_invalid_dpop_proof(case, key, clock):
    proof = NEGATIVE[case](key, clock.now_ms() / 1000)
    with pytest.raises(DPoPError) as refused:
        verify(proof, clock)
    assert refused.value.oauth_error == "invalid_dpop_proof" and refused.value.status == 400


def test_a_proof_with_an_access_token_needs_its_ath(key, clock):
    with pytest.raises(DPoPError, match="ath"):
        verify(key.proof("GET", ME_URL), clock, "GET", ME_URL, access_token="the-token")
    with pytest.raises(DPoPError, match="ath"):
        verify(key.proof("GET", ME_URL, access_token="another-token"), clock, "GET", ME_URL, access_token="the-token")
    assert verify(key.proof("GET", ME_URL, access_token="the-token"), clock, "GET", ME_URL, access_token="the-token")


# --- replay and nonces (the store) -----------------------------------------------------------------------------

def test_a_replayed_jti_is_refused(provider, key):
    checker = ProofChecker(provider.services)
    proof = key.proof("POST", TOKEN_URL)
    assert checker.check(HttpTarget("POST", TOKEN_URL, (proof,))).jkt == key.jkt
    with pytest.raises(DPoPError, match="used before"):
        checker.check(HttpTarget("POST", TOKEN_URL, (proof,)))


def test_the_same_jti_under_another_key_is_another_proof(provider, key):
    checker = ProofChecker(provider.services)
    checker.check(HttpTarget("POST", TOKEN_URL, (key.proof("POST", TOKEN_URL, jti="same"),)))
    other = DPoPKey()
    assert checker.check(HttpTarget("POST", TOKEN_URL, (other.proof("POST", TOKEN_URL, jti="same"),))).jkt == other.jkt


def test_two_dpop_headers_are_refused(provider, key):
    target = HttpTarget("POST", TOKEN_URL, (key.proof("POST", TOKEN_URL), key.proof("POST", TOKEN_URL)))
    with pytest.raises(DPoPError, match="more than one"):
        ProofChecker(provider.services).check(target)


def test_a_missing_nonce_is_use_dpop_nonce_with_the_nonce_to_use(provider, key, settings):
    provider.configure(Settings(site_url=settings.site_url, dpop_require_nonce=True))
    checker = ProofChecker(provider.services)
    with pytest.raises(DPoPError) as refused:
        checker.check(HttpTarget("POST", TOKEN_URL, (key.proof("POST", TOKEN_URL),)))
    nonce = refused.value.nonce
    assert refused.value.oauth_error == "use_dpop_nonce" and nonce
    assert refused.value.headers == (("DPoP-Nonce", nonce),)
    with pytest.raises(DPoPError, match="nonce"):
        checker.check(HttpTarget("POST", TOKEN_URL, (key.proof("POST", TOKEN_URL, nonce="made-up"),)))
    assert checker.check(HttpTarget("POST", TOKEN_URL, (key.proof("POST", TOKEN_URL, nonce=nonce),))).jkt == key.jkt


def test_a_nonce_expires_and_the_cleanup_forgets_proofs_and_nonces(provider, key, clock, settings):
    provider.configure(Settings(site_url=settings.site_url, dpop_require_nonce=True))
    checker = ProofChecker(provider.services)
    nonce = checker.nonce()
    assert checker.nonce() == nonce, "the same nonce until it is due"
    checker.check(HttpTarget("POST", TOKEN_URL, (key.proof("POST", TOKEN_URL, nonce=nonce),)))
    clock.advance(10 * 60)
    assert checker.nonce() != nonce
    with pytest.raises(DPoPError) as refused:
        checker.check(HttpTarget("POST", TOKEN_URL, (key.proof("POST", TOKEN_URL, nonce=nonce,
                                                               iat=clock.now_ms() / 1000),)))
    assert refused.value.oauth_error == "use_dpop_nonce"
    assert provider.purge_expired() >= 2  # the cleanup job: the old nonce and the old proof
    assert provider.services.store.dpop_nonce_valid(checker.nonce(), clock.now_ms())
    assert not provider.services.store.dpop_nonce_valid(nonce, 0), "forgotten, at any time"


# --- the token endpoint and the resource ------------------------------------------------------------------------

def proof_target(key: DPoPKey | None, method="POST", url=TOKEN_URL, **kwargs) -> HttpTarget:
    return HttpTarget(method, url, (key.proof(method, url, **kwargs),) if key is not None else ())


def test_a_code_exchanged_with_a_proof_gives_a_dpop_bound_token(provider, flow, user, confidential_app, key):
    code = flow.code_for(user, confidential_app)
    response = flow.exchange(confidential_app, code, target=proof_target(key))
    assert response.token_type == "DPoP"
    record = provider.services.store.get_access_token(hash_secret(response.access_token))
    assert record.dpop_jkt == key.jkt
    refresh = provider.services.store.get_refresh_token(hash_secret(response.refresh_token))
    assert refresh.dpop_jkt == "", "a confidential client's refresh token is bound by its authentication"


def test_a_code_exchanged_without_a_proof_stays_bearer(flow, user, confidential_app):
    response = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    assert response.token_type == "bearer"


def test_a_bad_proof_at_the_token_endpoint_is_400_invalid_dpop_proof(flow, user, confidential_app, key):
    code = flow.code_for(user, confidential_app)
    with pytest.raises(DPoPError) as refused:
        proof = key.proof("POST", "https://mm.example.com/elsewhere")
        flow.exchange(confidential_app, code, target=HttpTarget("POST", TOKEN_URL, (proof,)))
    assert (refused.value.status, refused.value.oauth_error) == (400, "invalid_dpop_proof")


def test_a_bound_token_works_only_as_dpop_with_a_proof_of_its_key(provider, flow, user, confidential_app, key):
    token = flow.exchange(confidential_app, flow.code_for(user, confidential_app),
                          target=proof_target(key)).access_token
    with pytest.raises(DPoPError) as as_bearer:
        provider.validate_token(token)
    assert (as_bearer.value.status, as_bearer.value.oauth_error) == (401, "invalid_token")
    info = provider.validate_token(token, "DPoP", proof_target(key, "GET", ME_URL, access_token=token))
    assert info.dpop_jkt == key.jkt
    refusals = {
        "another key": proof_target(DPoPKey(), "GET", ME_URL, access_token=token),
        "no proof": HttpTarget("GET", ME_URL, ()),
        "no ath": proof_target(key, "GET", ME_URL),
        "wrong method": proof_target(key, "POST", ME_URL, access_token=token),
    }
    for case, target in refusals.items():
        if case == "wrong method":
            target = HttpTarget("GET", ME_URL, target.proofs)
        with pytest.raises(DPoPError) as refused:
            provider.validate_token(token, "DPoP", target)
        assert (refused.value.status, refused.value.oauth_error) == (401, "invalid_dpop_proof"), case
    replayed = proof_target(key, "GET", ME_URL, access_token=token)
    provider.validate_token(token, "DPoP", replayed)
    with pytest.raises(DPoPError, match="used before"):
        provider.validate_token(token, "DPoP", replayed)


def test_a_bearer_token_is_refused_as_dpop(provider, flow, user, confidential_app, key):
    token = flow.exchange(confidential_app, flow.code_for(user, confidential_app)).access_token
    with pytest.raises(DPoPError) as refused:
        provider.validate_token(token, "DPoP", proof_target(key, "GET", ME_URL, access_token=token))
    assert refused.value.oauth_error == "invalid_token"
    assert provider.validate_token(token).dpop_jkt == ""


def test_dpop_jkt_binds_the_code_to_that_key(provider, flow, user, confidential_app, key):
    for target in (HttpTarget(), proof_target(DPoPKey())):
        code = flow.code_for(user, confidential_app, dpop_jkt=key.jkt)
        with pytest.raises(AppError) as refused:
            flow.exchange(confidential_app, code, target=target)
        assert refused.value.id == "api.oauth.get_access_token.dpop_key_mismatch.app_error"
    code = flow.code_for(user, confidential_app, dpop_jkt=key.jkt)
    assert flow.exchange(confidential_app, code, target=proof_target(key)).token_type == "DPoP"


def test_a_dpop_jkt_that_is_no_thumbprint_is_refused(flow, user, confidential_app, provider):
    from .conftest import authorize_request

    with pytest.raises(AppError) as refused:
        provider.decide_consent(user, authorize_request(confidential_app, dpop_jkt="short"), allow=True)
    assert refused.value.id == "model.authorize.is_valid.dpop_jkt.app_error"


def test_an_app_that_requires_dpop_gets_nothing_without_a_proof(provider, flow, user, admin, key):
    app = provider.create_app(admin, app_request(require_dpop=True))
    assert provider.get_app(admin, app.id).require_dpop
    with pytest.raises(DPoPError) as refused:
        flow.exchange(app, flow.code_for(user, app))
    assert refused.value.oauth_error == "invalid_dpop_proof"
    assert flow.exchange(app, flow.code_for(user, app), target=proof_target(key)).token_type == "DPoP"


def test_a_refresh_with_a_proof_binds_the_new_access_token_to_its_key(provider, flow, user, confidential_app, key):
    first = flow.exchange(confidential_app, flow.code_for(user, confidential_app), target=proof_target(key))
    newer = DPoPKey()
    refreshed = flow.refresh(confidential_app, first.refresh_token, target=proof_target(newer))
    assert refreshed.token_type == "DPoP"
    assert provider.services.store.get_access_token(hash_secret(refreshed.access_token)).dpop_jkt == newer.jkt


def test_a_bound_refresh_token_needs_a_proof_of_its_key(provider, flow, user, confidential_app, key, clock):
    """A public client's refresh token is bound (section 5); the binding is the refresh token's, whoever holds it."""
    first = flow.exchange(confidential_app, flow.code_for(user, confidential_app), target=proof_target(key))
    store = provider.services.store
    access = dataclasses.replace(store.get_access_token(hash_secret(first.access_token)), token_hash=hash_secret("a"))
    bound = dataclasses.replace(store.get_refresh_token(hash_secret(first.refresh_token)),
                                token_hash=hash_secret("bound-refresh"), access_token_hash=access.token_hash,
                                dpop_jkt=key.jkt)
    store.issue_tokens(None, access, bound)
    for target in (HttpTarget(), proof_target(DPoPKey())):
        with pytest.raises(AppError) as refused:
            flow.refresh(confidential_app, "bound-refresh", target=target)
        assert refused.value.id == "api.oauth.get_access_token.dpop_key_mismatch.app_error"
    refreshed = flow.refresh(confidential_app, "bound-refresh", target=proof_target(key))
    assert store.get_refresh_token(hash_secret(refreshed.refresh_token)).dpop_jkt == key.jkt, "the binding stays"


def test_introspection_names_the_binding_in_cnf(provider, flow, user, confidential_app, key):
    token = flow.exchange(confidential_app, flow.code_for(user, confidential_app),
                          target=proof_target(key)).access_token
    info = provider.introspect(TokenActionRequest(token=token, client_id=confidential_app.id,
                                                  client_secret=confidential_app.client_secret))
    assert info["active"] and info["cnf"] == {"jkt": key.jkt}


def test_metadata_advertises_the_proof_algorithms(provider):
    assert provider.metadata()["dpop_signing_alg_values_supported"] == list(ALGORITHMS)
    assert "none" not in ALGORITHMS and not any(alg.startswith("HS") for alg in ALGORITHMS)


def test_a_client_registered_with_dpop_bound_access_tokens_requires_dpop(provider, settings, admin):
    """RFC 9449 section 5.2: the client metadata `dpop_bound_access_tokens`."""
    provider.configure(Settings(site_url=settings.site_url, enable_dynamic_client_registration=True))
    registered = provider.register_client(None, {"redirect_uris": ["https://client.example.com/cb"],
                                                 "dpop_bound_access_tokens": True})
    assert registered["dpop_bound_access_tokens"] is True
    assert provider.get_app(admin, registered["client_id"]).require_dpop
    plain = provider.register_client(None, {"redirect_uris": ["https://client.example.com/cb"]})
    assert "dpop_bound_access_tokens" not in plain
    with pytest.raises(AppError):
        provider.register_client(None, {"redirect_uris": ["https://client.example.com/cb"],
                                        "dpop_bound_access_tokens": "yes"})

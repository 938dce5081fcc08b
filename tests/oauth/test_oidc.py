"""OpenID Connect in the domain (plugin/oauth/oidc/), on the real SQLite store with a FakeClock: ID tokens at the
code exchange and the refresh, verified against the JWKS; UserInfo's claims and RFC 6750 errors; the signing keys'
generation, sealing, rotation and removal; the discovery document."""
from __future__ import annotations

import dataclasses
import json

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from plugin.oauth import OAuthProvider, Settings
from plugin.oauth.host import HostSession, HostUser, NoHost
from plugin.oauth.oidc.id_token import left_half_hash
from plugin.oauth.oidc.keys import CLOCK_SKEW_MS, DAY_MS
from plugin.oauth.oidc.userinfo import BearerError

from .conftest import Flow, app_request, expect_error

SITE = "https://mm.example.com"
SIGNED_IN_AT = 1_699_999_000_000


@dataclasses.dataclass(frozen=True)
class ProfileHost(NoHost):
    """A host that knows one profile for every user and one session."""

    def get_user(self, user_id: str) -> HostUser | None:
        return HostUser(id=user_id, username="ada", email="ada@example.com", email_verified=True, first_name="Ada",
                        last_name="Lovelace", nickname="Countess", locale="en", update_at=1_600_000_000_000)

    def get_session(self, session_id: str) -> HostSession | None:
        return HostSession(id=session_id, user_id="", create_at=SIGNED_IN_AT)


@pytest.fixture
def provider(store, clock):
    p = OAuthProvider(store, clock, Settings(site_url=SITE, id_token_lifetime_seconds=600), host=ProfileHost())
    yield p
    p.close()


@pytest.fixture
def flow(provider) -> Flow:
    return Flow(provider)


@pytest.fixture
def app(provider, admin):
    return provider.create_app(admin, app_request())


def decode(provider, id_token: str):
    return jwt.decode(id_token, KeySet.import_key_set(provider.jwks()))


def signed_in(flow, user, app, scope="openid profile email", **fields):
    return flow.exchange(app, flow.code_for(user, app, scope=scope, **fields))


# --- ID tokens -------------------------------------------------------------------------------------------------

def test_code_exchange_with_openid_answers_an_id_token_signed_by_a_published_key(provider, flow, user, app, clock):
    tokens = signed_in(flow, user, app, nonce="n-0S6_WzA2Mj")
    token = decode(provider, tokens.id_token)
    assert token.header["alg"] == "RS256" and token.header["kid"] in {k["kid"] for k in provider.jwks()["keys"]}
    claims = token.claims
    now = clock.now_ms() // 1000
    assert (claims["iss"], claims["sub"], claims["aud"], claims["azp"]) == (SITE, user.user_id, app.id, app.id)
    assert (claims["iat"], claims["exp"], claims["auth_time"]) == (now, now + 600, SIGNED_IN_AT // 1000)
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["at_hash"] == left_half_hash(tokens.access_token)
    assert claims["sid"] and user.session_id not in claims["sid"]
    assert (claims["name"], claims["email"], claims["preferred_username"]) == ("Ada Lovelace", "ada@example.com", "ada")


def test_the_id_token_releases_only_the_claims_of_its_scopes(provider, flow, user, app):
    claims = decode(provider, signed_in(flow, user, app, scope="openid").id_token).claims
    assert "email" not in claims and "name" not in claims
    claims = decode(provider, signed_in(flow, user, app, scope="openid email").id_token).claims
    assert claims["email"] == "ada@example.com" and claims["email_verified"] is True and "name" not in claims


def test_no_id_token_without_the_openid_scope(flow, user, app):
    assert signed_in(flow, user, app, scope="user").id_token == ""


def test_without_a_nonce_the_id_token_has_none(provider, flow, user, app):
    assert "nonce" not in decode(provider, signed_in(flow, user, app).id_token).claims


def test_a_refresh_answers_a_new_id_token_for_the_same_authentication(provider, flow, user, app, clock):
    first = signed_in(flow, user, app, nonce="abc")
    clock.advance(60)
    refreshed = flow.refresh(app, first.refresh_token)
    before, after = decode(provider, first.id_token).claims, decode(provider, refreshed.id_token).claims
    assert after["iat"] == before["iat"] + 60 and after["auth_time"] == before["auth_time"]
    assert after["sid"] == before["sid"] and "nonce" not in after
    assert after["at_hash"] == left_half_hash(refreshed.access_token)


def test_a_refresh_repeated_in_the_grace_window_gets_an_id_token_too(provider, flow, user, app):
    first = signed_in(flow, user, app)
    refreshed = flow.refresh(app, first.refresh_token)
    again = flow.refresh(app, first.refresh_token)
    assert again.access_token == refreshed.access_token
    assert decode(provider, again.id_token).claims["at_hash"] == left_half_hash(again.access_token)


def test_es256_when_the_setting_says_so(provider, flow, user, app, clock):
    provider.configure(dataclasses.replace(provider.settings, openid_signing_algorithm="ES256"))
    assert decode(provider, signed_in(flow, user, app).id_token).header["alg"] == "ES256"


# --- UserInfo --------------------------------------------------------------------------------------------------

def test_userinfo_answers_sub_and_the_claims_of_the_scope(provider, flow, user, app):
    tokens = signed_in(flow, user, app, scope="openid email")
    assert provider.userinfo(f"Bearer {tokens.access_token}") == \
        {"sub": user.user_id, "email": "ada@example.com", "email_verified": True}
    assert provider.userinfo("", form_token=tokens.access_token)["sub"] == user.user_id  # RFC 6750 section 2.2


@pytest.mark.parametrize("authorization, form_token, status, error", [
    ("", "", 401, ""),
    ("Bearer", "", 400, "invalid_request"),
    ("Basic abc", "", 401, ""),  # another scheme: no Bearer credentials at all
    ("Bearer not-a-token", "", 401, "invalid_token"),
])
def test_userinfo_errors_are_rfc_6750s(provider, authorization, form_token, status, error):
    with pytest.raises(BearerError) as refused:
        provider.userinfo(authorization, form_token)
    assert (refused.value.status, refused.value.error) == (status, error)


def test_userinfo_refuses_a_token_sent_twice_and_one_without_openid(provider, flow, user, app):
    tokens = signed_in(flow, user, app)
    with pytest.raises(BearerError) as twice:
        provider.userinfo(f"Bearer {tokens.access_token}", tokens.access_token)
    assert (twice.value.status, twice.value.error) == (400, "invalid_request")
    plain = signed_in(flow, user, app, scope="user")
    with pytest.raises(BearerError) as scope:
        provider.userinfo(f"Bearer {plain.access_token}")
    assert (scope.value.status, scope.value.error) == (403, "insufficient_scope")


def test_userinfo_refuses_a_token_for_another_resource(provider, flow, user, app):
    tokens = signed_in(flow, user, app, resource="https://mcp.example.com")
    with pytest.raises(BearerError) as refused:
        provider.userinfo(f"Bearer {tokens.access_token}")
    assert refused.value.error == "invalid_token"


# --- signing keys ----------------------------------------------------------------------------------------------

def kids(provider) -> set[str]:
    return {key["kid"] for key in provider.jwks()["keys"]}


def test_one_key_per_algorithm_and_two_providers_on_one_database_agree(provider, store, clock):
    other = OAuthProvider(store, clock, provider.settings)  # another node on the same database
    assert kids(provider) == kids(other) and len(kids(provider)) == 2
    other.close()


def test_private_keys_are_sealed_at_rest(provider, store, clock):
    provider.jwks()
    for record in store.list_signing_keys(clock.now_ms()):
        assert "PRIVATE" not in record.private_sealed and b"PRIVATE" not in record.public_jwk.encode()
        assert "d" not in json.loads(record.public_jwk)


def test_a_node_with_another_key_encryption_key_cannot_sign(provider, store, clock, flow, user, app):
    provider.jwks()  # keys made under this process's secret
    stranger = OAuthProvider(store, clock, dataclasses.replace(provider.settings,
                                                               signing_key_encryption_key="x" * 40))
    code = flow.code_for(user, app, scope="openid")
    expect_error("api.oauth.openid.signing_key_sealed.app_error", 500, Flow(stranger).exchange, app, code)
    stranger.close()


def test_the_same_configured_secret_lets_every_node_sign(store, clock, user):
    settings = Settings(site_url=SITE, signing_key_encryption_key="s" * 40)
    first, second = OAuthProvider(store, clock, settings), OAuthProvider(store, clock, settings)
    admin_app = first.create_app(dataclasses.replace(user, permissions=frozenset({"manage_oauth"})), app_request())
    tokens = Flow(second).exchange(admin_app, Flow(first).code_for(user, admin_app, scope="openid"))
    assert decode(first, tokens.id_token).claims["sub"] == user.user_id
    first.close(), second.close()


def test_rotation_keeps_the_old_key_published_until_its_id_tokens_expired(provider, flow, user, app, clock, admin):
    old = signed_in(flow, user, app)
    old_kid = decode(provider, old.id_token).header["kid"]
    rotated = provider.rotate_signing_keys(admin)["rotated"]
    assert len(rotated) == 2 and old_kid not in rotated
    assert decode(provider, old.id_token).claims["sub"] == user.user_id  # still verifies
    new = signed_in(flow, user, app)
    assert decode(provider, new.id_token).header["kid"] in rotated

    clock.advance(600 + CLOCK_SKEW_MS / 1000 - 1)
    provider.purge_expired()
    assert old_kid in kids(provider)  # an ID token it signed may still be valid
    clock.advance(2)
    provider.purge_expired()
    assert old_kid not in kids(provider) and set(rotated) <= kids(provider)


def test_rotation_is_for_system_admins(provider, user):
    expect_error("api.context.permissions.app_error", 403, provider.rotate_signing_keys, user)
    expect_error("api.context.session_expired.app_error", 401, provider.rotate_signing_keys, None)


def test_scheduled_rotation_after_the_configured_days_and_one_winner_among_nodes(provider, store, clock):
    provider.configure(dataclasses.replace(provider.settings, signing_key_rotation_days=30))
    first = kids(provider)
    clock.advance(29 * DAY_MS / 1000)
    provider.purge_expired()
    assert kids(provider) == first
    clock.advance(DAY_MS / 1000)
    other = OAuthProvider(store, clock, provider.settings)
    provider.purge_expired(), other.purge_expired()  # both nodes' cleanup loops
    assert len(kids(provider)) == 4  # two new keys, the two old ones still published
    other.close()


def test_rotation_only_by_an_admin_when_the_days_are_0(provider, clock):
    provider.configure(dataclasses.replace(provider.settings, signing_key_rotation_days=0))
    first = kids(provider)
    clock.advance(3650 * DAY_MS / 1000)
    provider.purge_expired()
    assert kids(provider) == first


# --- discovery -------------------------------------------------------------------------------------------------

def test_openid_configuration_is_derived_from_the_registry(provider):
    document = provider.openid_configuration()
    assert document["issuer"] == SITE
    assert document["jwks_uri"] == SITE + "/oauth/jwks" and document["userinfo_endpoint"] == SITE + "/oauth/userinfo"
    assert document["token_endpoint"] == provider.metadata()["token_endpoint"]
    assert document["subject_types_supported"] == ["public"]
    assert document["id_token_signing_alg_values_supported"][0] == "RS256"
    assert {"openid", "profile", "email"} <= set(document["scopes_supported"])
    assert {"sub", "email", "preferred_username", "auth_time", "nonce"} <= set(document["claims_supported"])
    assert "jwks_uri" not in provider.metadata()  # the OAuth document stays Mattermost's


"""Scopes (plugin/oauth/scopes.py): the registry's rules, and what the provider does with them: allowed scopes per
app (API, dynamic registration), invalid_scope, consent asked once per new scope, system:manage only from a system
admin, and the granted scope in the token response, introspection, validation and the authorized apps."""
from __future__ import annotations

import dataclasses

import pytest

from plugin.oauth import CONSENT, REDIRECT, Caller
from plugin.oauth.rfc6749 import TokenActionRequest
from plugin.oauth.guards import MANAGE_OAUTH
from plugin.oauth.ids import new_id
from plugin.oauth.oidc.claims import SCOPE_CLAIMS
from plugin.oauth.scopes import FULL_POWER, SCOPES, SYSTEM_MANAGE, api_scopes, covers, decide, merge, resolve
from plugin.oauth.urls import parse_query

from .conftest import ADMIN_PERMISSIONS, app_request, authorize_request, expect_error

# --- the registry ------------------------------------------------------------------------------------------------


def test_every_scope_has_a_sentence_for_the_consent_page_and_the_named_set_exists():
    names = set(SCOPES.names())
    assert {"user", "users:read", "teams:read", "teams:write", "channels:read", "channels:write", "posts:read",
            "posts:write", "system:manage", "openid", "profile", "email"} <= names
    assert all(scope.description and not scope.description.endswith(".") for scope in SCOPES)
    assert SCOPES.get("posts:read").description == "Read messages in channels you can read"


def test_full_power_is_what_mattermost_tokens_can_do_and_never_system_manage():
    assert api_scopes("user") == api_scopes("") == FULL_POWER
    assert SYSTEM_MANAGE not in FULL_POWER and "openid" not in FULL_POWER
    assert {"users:read", "posts:read", "posts:write", "teams:write", "channels:read"} <= FULL_POWER
    assert api_scopes("user system:manage") == FULL_POWER | {SYSTEM_MANAGE}
    assert api_scopes("posts:read openid") == {"posts:read"}


def test_unknown_values_grant_nothing():
    """Mattermost accepts any string; here a made-up value is dropped: alone it is the default request (full
    power, as on Mattermost), beside a real scope it adds nothing, and a stored one is read the same way."""
    assert resolve("read write", []) == ["user"]
    assert resolve("posts:read admin", []) == ["posts:read"]
    assert api_scopes("posts:read admin") == {"posts:read"}
    assert api_scopes("admin") == FULL_POWER
    assert resolve("admin", ["posts:read"]) == ["posts:read"]


def test_a_request_is_normalized_in_registry_order():
    assert resolve("posts:write  posts:read posts:read", []) == ["posts:read", "posts:write"]


def test_allowed_scopes_decide_what_an_app_may_ask_for():
    assert resolve("posts:write", ["posts:read"]) is None
    assert resolve("user", ["posts:read"]) is None
    assert resolve("posts:read", ["user"]) == ["posts:read"], "full power allows each full-power scope"
    assert resolve("", ["posts:read", "posts:write"]) == ["posts:read", "posts:write"]
    assert resolve("system:manage", []) is None, "an unrestricted app cannot ask for system:manage"
    assert resolve("system:manage", ["user", "system:manage"]) == ["system:manage"]
    assert resolve("", ["user", "system:manage"]) == ["user"], "the default never includes an admin-only scope"


def test_consent_covers_its_subsets_and_not_a_new_scope():
    assert covers("posts:read posts:write", ["posts:read"])
    assert not covers("posts:read", ["posts:read", "posts:write"])
    assert covers("user", ["posts:write", "channels:read"])
    assert not covers("user", ["system:manage"]) and not covers("user", ["openid"])
    assert merge("posts:read", ["channels:read"]) == "channels:read posts:read"


def test_system_manage_is_refused_to_a_user_who_is_not_a_system_admin():
    assert decide("user system:manage", ["user", "system:manage"], is_system_admin=True).granted == \
        ["user", "system:manage"]
    refused = decide("user system:manage", ["user", "system:manage"], is_system_admin=False)
    assert (refused.granted, refused.refused, refused.error) == (["user"], ["system:manage"], "")
    assert decide("system:manage", ["system:manage"], is_system_admin=False).error == "access_denied"
    assert decide("posts:write", ["posts:read"], is_system_admin=False).error == "invalid_scope"


# --- allowed scopes at registration --------------------------------------------------------------------------------

def test_an_app_keeps_the_allowed_scopes_it_was_registered_with(provider, admin, user, store):
    app = provider.create_app(user, app_request(allowed_scopes=["posts:write", "posts:read"]))
    assert app.allowed_scopes == ["posts:read", "posts:write"]
    assert store.get_app(app.id).allowed_scopes == ["posts:read", "posts:write"]
    assert provider.get_app(user, app.id).to_json()["allowed_scopes"] == ["posts:read", "posts:write"]


def test_allowed_scopes_must_be_registered_scopes(provider, user):
    expect_error("model.oauth.is_valid.allowed_scopes.app_error", 400, provider.create_app, user,
                 app_request(allowed_scopes=["posts:read", "admin"]))


def test_only_a_system_admin_lets_an_app_ask_for_system_manage(provider, admin, user):
    expect_error("api.oauth.allowed_scopes.admin_only.app_error", 403, provider.create_app, user,
                 app_request(allowed_scopes=["system:manage"]))
    app = provider.create_app(admin, app_request(allowed_scopes=["user", "system:manage"]))
    assert app.allowed_scopes == ["user", "system:manage"]


def test_an_update_changes_allowed_scopes_only_when_it_names_them(provider, admin, user):
    app = provider.create_app(user, app_request(allowed_scopes=["posts:read"]))
    edited = dataclasses.replace(app, name="Renamed", allowed_scopes=[])
    assert provider.update_app(user, app.id, edited).allowed_scopes == ["posts:read"], \
        "a client that does not send the field does not lift the restriction"
    assert provider.update_app(user, app.id, edited, set_allowed_scopes=True).allowed_scopes == []
    widened = dataclasses.replace(app, allowed_scopes=["system:manage"])
    expect_error("api.oauth.allowed_scopes.admin_only.app_error", 403, provider.update_app, user, app.id, widened,
                 True)
    assert provider.update_app(admin, app.id, widened, True).allowed_scopes == ["system:manage"]
    # Its owner may still edit it without losing what an admin allowed.
    renamed = dataclasses.replace(widened, name="Again")
    assert provider.update_app(user, app.id, renamed, True).allowed_scopes == ["system:manage"]


@pytest.fixture
def dcr(provider):
    provider.configure(dataclasses.replace(provider.settings, enable_dynamic_client_registration=True))
    return provider


def test_a_dynamically_registered_client_declares_its_scopes(dcr, store):
    """RFC 7591 `scope`: registered values become the allowed scopes; unknown ones and system:manage are
    dropped; none declared leaves the app unrestricted, as on Mattermost."""
    body = dcr.register_client(None, {"redirect_uris": ["https://c.example.com/cb"],
                                      "scope": "posts:write channels:read made:up system:manage"})
    assert body["scope"] == "channels:read posts:write"
    assert store.get_app(body["client_id"]).allowed_scopes == ["channels:read", "posts:write"]
    plain = dcr.register_client(None, {"redirect_uris": ["https://c.example.com/cb"]})
    assert plain["scope"] == "user" and store.get_app(plain["client_id"]).allowed_scopes == []


def test_a_registration_scope_that_is_not_a_string_is_invalid_metadata(dcr):
    from plugin.oauth import DCRError

    with pytest.raises(DCRError) as info:
        dcr.register_client(None, {"redirect_uris": ["https://c.example.com/cb"], "scope": ["posts:read"]})
    assert info.value.oauth_error == "invalid_client_metadata"


# --- authorization ---------------------------------------------------------------------------------------------

def redirect_params(url: str) -> dict:
    return {k: v[0] for k, v in parse_query(url.partition("#")[0].partition("?")[2]).items()}


def test_a_scope_the_app_may_not_have_is_an_invalid_scope_redirect(provider, user):
    app = provider.create_app(user, app_request(allowed_scopes=["posts:read"]))
    outcome = provider.begin_authorization(user, authorize_request(app, scope="posts:write", state="st"))
    assert outcome.kind == REDIRECT
    assert redirect_params(outcome.redirect_url) == {"error": "invalid_scope", "state": "st",
                                                      "iss": "https://mm.example.com"}
    url = provider.decide_consent(user, authorize_request(app, scope="posts:write", state="st"), True)
    assert redirect_params(url)["error"] == "invalid_scope"
    assert provider.list_authorized_apps(user, "me") == []


def test_the_consent_page_gets_each_requested_scope(provider, user, confidential_app):
    outcome = provider.begin_authorization(user, authorize_request(confidential_app, scope="posts:write posts:read"))
    assert outcome.kind == CONSENT and outcome.scopes == ("posts:read", "posts:write")
    assert outcome.refused_scopes == ()


def test_consent_is_asked_again_for_a_new_scope_and_not_for_a_subset(provider, user, flow, confidential_app):
    flow.code_for(user, confidential_app, scope="posts:read posts:write")
    again = provider.begin_authorization(user, authorize_request(confidential_app, scope="posts:read"))
    assert again.kind == REDIRECT and "code" in redirect_params(again.redirect_url)
    new = provider.begin_authorization(user, authorize_request(confidential_app, scope="channels:read posts:read"))
    assert new.kind == CONSENT and new.scopes == ("channels:read", "posts:read")
    flow.code_for(user, confidential_app, scope="channels:read")
    # The consent is everything agreed to, either time.
    [(_, consented)] = provider.list_authorized_apps(user, "me")
    assert consented == "channels:read posts:read posts:write"
    assert provider.begin_authorization(
        user, authorize_request(confidential_app, scope="channels:read posts:write")).kind == REDIRECT


def test_a_legacy_consent_covers_the_full_power_scopes_but_not_system_manage(provider, admin, flow):
    app = provider.create_app(admin, app_request(allowed_scopes=["user", "system:manage"]))
    flow.code_for(admin, app)  # no scope: Mattermost's "user"
    assert provider.begin_authorization(admin, authorize_request(app, scope="posts:write")).kind == REDIRECT
    asked = provider.begin_authorization(admin, authorize_request(app, scope="user system:manage"))
    assert asked.kind == CONSENT and asked.scopes == ("user", "system:manage")


def test_system_manage_is_granted_by_a_system_admin_only(provider, admin, user, flow):
    """A user who is not a system admin is shown the scope as not granted, and the token lacks it (RFC 6749
    §3.3: the token response names the granted scope), so the app still works for what the user can give."""
    app = provider.create_app(admin, app_request(allowed_scopes=["user", "system:manage"]))
    asked = provider.begin_authorization(user, authorize_request(app, scope="user system:manage"))
    assert asked.kind == CONSENT and asked.scopes == ("user",) and asked.refused_scopes == ("system:manage",)
    issued = flow.exchange(app, flow.code_for(user, app, scope="user system:manage"))
    assert issued.scope == "user" and SYSTEM_MANAGE not in api_scopes(issued.scope)
    only = provider.begin_authorization(user, authorize_request(app, scope="system:manage", state="s"))
    assert redirect_params(only.redirect_url)["error"] == "access_denied"
    by_admin = flow.exchange(app, flow.code_for(admin, app, scope="user system:manage"))
    assert by_admin.scope == "user system:manage"
    assert provider.validate_token(by_admin.access_token).scope == "user system:manage"


def test_a_trusted_app_skips_consent_but_not_the_scope_rules(provider, admin, user):
    trusted = provider.create_app(admin, app_request(is_trusted=True, allowed_scopes=["posts:read"]))
    refused = provider.begin_authorization(user, authorize_request(trusted, scope="posts:write", state="s"))
    assert redirect_params(refused.redirect_url)["error"] == "invalid_scope"
    assert "code" in redirect_params(provider.begin_authorization(user, authorize_request(trusted)).redirect_url)


# --- what was granted, where it shows ---------------------------------------------------------------------------

def test_granted_scope_in_token_response_refresh_introspection_and_validation(provider, user, flow, confidential_app):
    issued = flow.exchange(confidential_app, flow.code_for(user, confidential_app, scope="posts:write made:up"))
    assert issued.scope == "posts:write" and issued.to_json()["scope"] == "posts:write"
    refreshed = flow.refresh(confidential_app, issued.refresh_token)
    assert refreshed.scope == "posts:write"
    info = provider.introspect(TokenActionRequest(token=refreshed.access_token, client_id=confidential_app.id,
                                                  client_secret=confidential_app.client_secret))
    assert info["active"] and info["scope"] == "posts:write"
    assert api_scopes(provider.validate_token(refreshed.access_token).scope) == {"posts:write"}


def test_a_refresh_may_narrow_the_access_token_but_never_widen_it(provider, user, flow, confidential_app):
    """RFC 6749 §6: the new access token gets the narrower scope; the new refresh token keeps the grant's."""
    issued = flow.exchange(confidential_app, flow.code_for(user, confidential_app, scope="posts:read posts:write"))
    narrowed = flow.refresh(confidential_app, issued.refresh_token, params={"scope": "posts:read"})
    assert narrowed.scope == "posts:read"
    assert api_scopes(provider.validate_token(narrowed.access_token).scope) == {"posts:read"}
    again = flow.refresh(confidential_app, narrowed.refresh_token)
    assert again.scope == "posts:read posts:write"
    expect_error("api.oauth.get_access_token.scope.app_error", 400, flow.refresh, confidential_app,
                 again.refresh_token, params={"scope": "channels:read"})


def test_the_default_request_is_full_power_for_an_unrestricted_app_and_the_allowed_set_otherwise(
        provider, user, flow, confidential_app):
    assert flow.exchange(confidential_app, flow.code_for(user, confidential_app)).scope == "user"
    restricted = provider.create_app(user, app_request(allowed_scopes=["channels:read", "posts:write"]))
    assert flow.exchange(restricted, flow.code_for(user, restricted)).scope == "channels:read posts:write"


def test_metadata_lists_every_registered_scope(provider):
    assert provider.metadata()["scopes_supported"] == SCOPES.names()


def test_system_manage_is_never_a_default_and_manage_oauth_is_not_enough_to_grant_it(provider, admin):
    """An app allowed only system:manage must ask for it by name; only manage_system (a system admin, as the
    host resolves the caller's roles) can grant it."""
    app = provider.create_app(admin, app_request(allowed_scopes=["system:manage"]))
    oauth_manager = Caller(user_id=new_id(), session_id=new_id(),
                           permissions=ADMIN_PERMISSIONS - {"manage_system"} | {MANAGE_OAUTH})
    outcome = provider.begin_authorization(oauth_manager, authorize_request(app, state="s"))
    assert outcome.kind == REDIRECT and redirect_params(outcome.redirect_url)["error"] == "invalid_scope"
    named = provider.begin_authorization(oauth_manager, authorize_request(app, scope="system:manage", state="s"))
    assert redirect_params(named.redirect_url)["error"] == "access_denied"
    assert provider.begin_authorization(admin, authorize_request(app, scope="system:manage")).kind == CONSENT


def test_the_openid_scopes_sentences_name_every_claim_they_release():
    """The consent page words a scope; for profile and email each released claim must be in the words."""
    words = {"name": "name", "given_name": "name", "family_name": "name", "nickname": "nickname",
             "preferred_username": "username", "picture": "profile picture", "locale": "language",
             "updated_at": "last changed", "email": "email address", "email_verified": "verified"}
    for scope, claims in SCOPE_CLAIMS.items():
        sentence = SCOPES.get(scope).description
        assert all(words[claim] in sentence for claim in claims), (scope, sentence)

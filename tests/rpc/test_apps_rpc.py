"""App management over gRPC against the launched plugin: Mattermost's api4 app tests (section 5.7), the app-layer
TestOAuthDeleteApp (5.6), app validation (5.1) and the secret lifecycle of Cypress MM-T649/652..655.

The caller's permissions travel in the RequestContext, as the host resolves them from the user's roles:
`admin()` has manage_oauth, manage_system_wide_oauth, manage_system and edit_other_users; `member()` only
manage_oauth (Mattermost's tests add it to system_user); `plain_user()` none; `anonymous()` has no session.
"""
from __future__ import annotations

import time

import grpc
import pytest

from oauthplugin.v1 import apps_pb2
from tests.rpc.conftest import context
from tests.rpc.flows import (
    APP_NOT_FOUND,
    BAD_CREDENTIALS,
    CALLBACK,
    HOMEPAGE,
    INVALID_BODY_PARAM,
    INVALID_URL_PARAM,
    OTHER_CALLBACK,
    PERMISSIONS,
    SESSION_EXPIRED,
    SP_OFF,
    admin,
    anonymous,
    expect_error,
    member,
    new_id,
    oauth_session,
    ok,
    plain_user,
)


def app_id_request(caller, app_id):
    return apps_pb2.AppIdRequest(context=caller, app_id=app_id)


def update_request(caller, app, **changes):
    """The full app as a client would PUT it: the stored fields with `changes` applied."""
    body = apps_pb2.OAuthApp()
    body.CopyFrom(app)
    for name, value in changes.items():
        if name == "callback_urls":
            del body.callback_urls[:]
            body.callback_urls.extend(value)
        else:
            setattr(body, name, value)
    return apps_pb2.UpdateAppRequest(context=caller, app_id=app.id, app=body)


# --- TestCreateOAuthApp ------------------------------------------------------------------------------------------

def test_admin_creates_a_trusted_app_with_its_fields_and_a_secret(shared):
    """Ports api4 TestCreateOAuthApp: the admin creates a trusted app (201); name and is_trusted are echoed."""
    boss = admin()
    created = ok(shared.rpc.CreateApp(apps_pb2.CreateAppRequest(
        context=boss, name="Trusted app", description="desc", icon_url=HOMEPAGE + "/i.png",
        callback_urls=[CALLBACK], homepage=HOMEPAGE, is_trusted=True))).app
    assert created.name == "Trusted app" and created.is_trusted
    assert len(created.id) == 26 and created.creator_id == boss.user_id
    assert created.client_secret and not created.is_public and not created.is_dynamically_registered
    assert created.create_at > 0 and created.update_at == created.create_at
    assert list(created.callback_urls) == [CALLBACK] and created.homepage == HOMEPAGE
    assert created.description == "desc" and created.icon_url == HOMEPAGE + "/i.png"


def test_user_without_manage_oauth_cannot_create_an_app(shared):
    """Ports api4 TestCreateOAuthApp: manage_oauth removed from users -> user create 403."""
    response = shared.rpc.CreateApp(apps_pb2.CreateAppRequest(
        context=plain_user(), name="x", callback_urls=[CALLBACK], homepage=HOMEPAGE))
    expect_error(response, PERMISSIONS, 403)


def test_user_with_manage_oauth_creates_but_cannot_make_the_app_trusted(shared):
    """Ports api4 TestCreateOAuthApp: manage_oauth re-added -> user create 201 with is_trusted forced false
    (only manage_system may set it)."""
    user = member()
    app = shared.create_app(user, is_trusted=True)
    assert not app.is_trusted and app.creator_id == user.user_id and app.client_secret


def test_create_with_an_empty_name_is_400(shared):
    """Ports api4 TestCreateOAuthApp: empty name -> 400 (model.oauth.is_valid.name)."""
    response = shared.rpc.CreateApp(apps_pb2.CreateAppRequest(
        context=admin(), name="", callback_urls=[CALLBACK], homepage=HOMEPAGE))
    expect_error(response, "model.oauth.is_valid.name.app_error", 400)


def test_create_with_a_garbage_body_is_refused_by_the_transport_and_creates_nothing(plugin, client):
    """Ports api4 TestCreateOAuthApp: POST body "garbage" -> 400. Over gRPC a body that is not a CreateAppRequest
    cannot reach the provider: the call fails as a transport fault (the host answers its own 400 for bad JSON),
    no app is created and the plugin keeps serving."""
    raw = plugin.channel.unary_unary("/oauthplugin.v1.AppsService/CreateApp",
                                     request_serializer=lambda body: body,
                                     response_deserializer=apps_pb2.AppResponse.FromString)
    with pytest.raises(grpc.RpcError) as failure:
        raw(b"garbage", timeout=10)
    assert failure.value.code() != grpc.StatusCode.OK
    boss = admin()
    assert list(ok(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=boss))).apps) == []
    assert client.create_app(boss).id


def test_every_created_app_gets_a_fresh_generated_id_and_secret(shared):
    """Ports store SaveApp (an app with a preset Id -> error; with the Id reset -> ok): the create RPC has no id
    or secret field, so a client can never choose or reuse an id; each create gets a new id and secret."""
    boss = admin()
    first, second = shared.create_app(boss), shared.create_app(boss)
    assert first.id != second.id and first.client_secret != second.client_secret
    assert {f.name for f in apps_pb2.CreateAppRequest.DESCRIPTOR.fields}.isdisjoint(
        {"id", "client_secret", "creator_id", "mattermost_app_id"})


def test_create_while_logged_out_is_401(shared):
    """Ports api4 TestCreateOAuthApp: logged out -> 401."""
    response = shared.rpc.CreateApp(apps_pb2.CreateAppRequest(
        context=anonymous(), name="x", callback_urls=[CALLBACK], homepage=HOMEPAGE))
    expect_error(response, SESSION_EXPIRED, 401)


@pytest.mark.parametrize("fields, invalid", [
    (dict(name="n" * 65), "name"),
    (dict(name="é" * 33), "name"),  # 66 bytes: the limit is in bytes
    (dict(callback_urls=[]), "callback"),
    (dict(callback_urls=["ftp://client.example.com/cb"]), "callback"),
    (dict(callback_urls=[CALLBACK, "not a url"]), "callback"),
    (dict(callback_urls=["https://client.example.com/" + "c" * 1000]), "callback"),
    (dict(homepage=""), "homepage"),
    (dict(homepage="client.example.com"), "homepage"),
    (dict(description="d" * 513), "description"),
    (dict(icon_url="javascript:alert(1)"), "icon_url"),
])
def test_create_validates_the_app_like_oauth_app_is_valid(shared, fields, invalid):
    """Ports model TestOAuthAppIsValid and store SaveApp (no name -> error): each invalid field is a 400 with
    Mattermost's id model.oauth.is_valid.<field>.app_error."""
    values = dict(name="Valid", callback_urls=[CALLBACK], homepage=HOMEPAGE)
    values.update(fields)
    response = shared.rpc.CreateApp(apps_pb2.CreateAppRequest(context=admin(), **values))
    expect_error(response, f"model.oauth.is_valid.{invalid}.app_error", 400)


def test_limits_are_inclusive_and_icon_and_description_are_optional(shared):
    """Ports model TestOAuthAppIsValid: a complete app is valid with or without IconURL (and description); the
    limits (64-byte name, 512-rune description) are allowed."""
    assert shared.create_app(admin(), name="n" * 64, description="é" * 512, icon_url="").id
    assert shared.create_app(admin(), description="").id


def test_public_app_is_created_without_a_secret(shared):
    """Ports model TestOAuthAppPreSave/NoSecretGeneration and TestOAuthAppIsValid/PublicClient: is_public on
    create -> no secret is generated, the app is public (auth method none) and valid."""
    app = shared.create_app(admin(), is_public=True)
    assert app.client_secret == "" and app.is_public
    fetched = ok(shared.get_app(admin(), app.id)).app
    assert fetched.is_public and fetched.client_secret == ""


# --- TestUpdateOAuthApp ----------------------------------------------------------------------------------------

def test_admin_update_changes_the_fields_and_keeps_identity_creation_and_secret(shared):
    """Ports api4 TestUpdateOAuthApp: admin update -> Id, CreatorId, CreateAt and ClientSecret unchanged,
    UpdateAt changed; name, description, icon, callbacks, homepage and is_trusted updated. The secret is not
    returned (only its hash is kept), so "unchanged" is proved by the old secret still authenticating."""
    owner = member()
    app = shared.create_app(owner)
    time.sleep(0.005)
    boss = admin()
    updated = ok(shared.rpc.UpdateApp(update_request(
        boss, app, name="Renamed", description="new desc", icon_url="https://new.example.com/i.png",
        callback_urls=["https://new.example.com/cb"], homepage="https://new.example.com", is_trusted=True,
        mattermost_app_id="mm-app", creator_id=new_id(), create_at=1, client_secret="forged",
        is_dynamically_registered=True))).app
    assert (updated.id, updated.creator_id, updated.create_at) == (app.id, owner.user_id, app.create_at)
    assert updated.update_at > app.update_at
    assert (updated.name, updated.description, updated.icon_url, list(updated.callback_urls), updated.homepage,
            updated.is_trusted, updated.mattermost_app_id) == (
        "Renamed", "new desc", "https://new.example.com/i.png", ["https://new.example.com/cb"],
        "https://new.example.com", True, "mm-app")
    assert not updated.is_dynamically_registered and updated.client_secret == ""
    stored = ok(shared.get_app(boss, app.id)).app
    assert stored.name == "Renamed" and stored.creator_id == owner.user_id and stored.create_at == app.create_at
    # The stored secret is the original one: it still authenticates, "forged" does not.
    user = plain_user()
    code = shared.code_for(user, updated, redirect_uri="https://new.example.com/cb")
    expect_error(shared.exchange(updated, code, client_secret="forged", redirect_uri="https://new.example.com/cb"),
                 BAD_CREDENTIALS, 401)
    ok(shared.exchange(updated, code, client_secret=app.client_secret, redirect_uri="https://new.example.com/cb"))


def test_update_permission_chain_and_request_checks(shared):
    """Ports api4 TestUpdateOAuthApp: another user -> 403; without manage_oauth -> 403; unknown id -> 404;
    logged out -> 401; id "junk" -> 400; body id different from the URL id -> 400 invalid_body_param."""
    owner = member()
    app = shared.create_app(owner)
    expect_error(shared.rpc.UpdateApp(update_request(member(), app, name="x")), PERMISSIONS, 403)
    expect_error(shared.rpc.UpdateApp(update_request(plain_user(), app, name="x")), PERMISSIONS, 403)
    owner_without_permission = context(owner.user_id)
    expect_error(shared.rpc.UpdateApp(update_request(owner_without_permission, app, name="x")), PERMISSIONS, 403)
    unknown = update_request(admin(), app, id=new_id())
    unknown.app_id = unknown.app.id
    expect_error(shared.rpc.UpdateApp(unknown), APP_NOT_FOUND, 404)
    expect_error(shared.rpc.UpdateApp(update_request(anonymous(), app, name="x")), SESSION_EXPIRED, 401)
    junk = apps_pb2.UpdateAppRequest(context=admin(), app_id="junk", app=apps_pb2.OAuthApp(id="junk", name="x"))
    expect_error(shared.rpc.UpdateApp(junk), INVALID_URL_PARAM, 400)
    mismatched = update_request(admin(), app, id=new_id())
    error = expect_error(shared.rpc.UpdateApp(mismatched), INVALID_BODY_PARAM, 400)
    assert "app_id" in error.message
    assert ok(shared.get_app(owner, app.id)).app.name == app.name, "nothing was changed"


def test_update_without_an_app_is_invalid_body_param(shared):
    """Ports api4 TestUpdateOAuthApp (body that is not an app -> 400 invalid_body_param oauth_app): an
    UpdateAppRequest without its `app` is a missing body, not an app with every field empty."""
    app = shared.create_app(admin())
    error = expect_error(shared.rpc.UpdateApp(apps_pb2.UpdateAppRequest(context=admin(), app_id=app.id)),
                         INVALID_BODY_PARAM, 400)
    assert "oauth_app" in error.message


def test_only_manage_system_changes_is_trusted(shared):
    """Ports api4 TestUpdateOAuthApp: a user sets is_trusted=true -> stays false; the admin sets true -> true; the
    user sets false -> stays true."""
    owner = member()
    app = shared.create_app(owner)
    assert not ok(shared.rpc.UpdateApp(update_request(owner, app, is_trusted=True))).app.is_trusted
    assert ok(shared.rpc.UpdateApp(update_request(admin(), app, is_trusted=True))).app.is_trusted
    assert ok(shared.rpc.UpdateApp(update_request(owner, app, is_trusted=False))).app.is_trusted
    assert ok(shared.get_app(owner, app.id)).app.is_trusted


@pytest.mark.parametrize("changes, invalid", [
    (dict(name=""), "name"),
    (dict(mattermost_app_id="m" * 50), "mattermost_app_id"),
    (dict(callback_urls=[]), "callback"),
    (dict(homepage="nope"), "homepage"),
])
def test_update_validates_the_app(shared, changes, invalid):
    """Ports store UpdateApp (empty name -> error) and SaveApp (MattermostAppID of 50 characters -> error): an
    invalid update is a 400 and changes nothing."""
    boss = admin()
    app = shared.create_app(boss)
    expect_error(shared.rpc.UpdateApp(update_request(boss, app, **changes)),
                 f"model.oauth.is_valid.{invalid}.app_error", 400)
    assert ok(shared.get_app(boss, app.id)).app.name == app.name


def test_update_keeps_a_public_client_public_and_a_registered_app_registered(plugin, client):
    """Ports api4 TestUpdateOAuthApp's preserved fields for the v11.2 flags: IsDynamicallyRegistered is kept from
    the stored app, and a public client stays public (no secret appears)."""
    plugin.configure(EnableDynamicClientRegistration=True)
    boss = admin()
    public = client.create_app(boss, is_public=True)
    updated = ok(client.rpc.UpdateApp(update_request(boss, public, name="Still public", is_public=False))).app
    assert updated.is_public and updated.client_secret == ""
    registered = ok(client.register(b'{"redirect_uris": ["https://dcr.example.com/cb"]}'))
    stored = ok(client.get_app(boss, registered.client_id)).app
    kept = ok(client.rpc.UpdateApp(update_request(boss, stored, name="Renamed", is_dynamically_registered=False)))
    assert kept.app.is_dynamically_registered and kept.app.creator_id == ""


# --- TestGetOAuthApps ------------------------------------------------------------------------------------------

def test_list_apps_admin_sees_all_user_sees_own_with_paging(client):
    """Ports api4 TestGetOAuthApps: the admin sees both apps, paging (page 1, per_page 1) returns 1; the user sees
    only their own. Also store GetAppByUser(unknown) -> empty: a user who created nothing lists nothing."""
    boss, user = admin(), member()
    admin_app = client.create_app(boss, name="Admin app")
    user_app = client.create_app(user, name="User app")
    listed = ok(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=boss))).apps
    assert {a.id for a in listed} == {admin_app.id, user_app.id}
    page = ok(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=boss, page=1, per_page=1))).apps
    assert len(page) == 1 and page[0].id in {admin_app.id, user_app.id}
    first = ok(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=boss, page=0, per_page=1))).apps
    assert {first[0].id, page[0].id} == {admin_app.id, user_app.id}, "pages do not overlap"
    assert ok(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=boss, page=2, per_page=1))).apps == []
    own = ok(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=user))).apps
    assert [a.id for a in own] == [user_app.id]
    assert list(ok(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=member()))).apps) == []


def test_list_apps_pages_are_capped_at_200(client):
    """Ports Mattermost's paging rule (section 2): per_page above the maximum is capped at 200."""
    boss = admin()
    for _ in range(201):
        ok(client.rpc.CreateApp(apps_pb2.CreateAppRequest(context=boss, name="many", callback_urls=[CALLBACK],
                                                           homepage=HOMEPAGE)))
    assert len(ok(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=boss, per_page=1000))).apps) == 200
    assert len(ok(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=boss, page=-1, per_page=-5))).apps) == 60


def test_list_apps_without_permission_or_session(shared):
    """Ports api4 TestGetOAuthApps: without manage_oauth -> 403 api.command.admin_only.app_error; logged out
    -> 401."""
    expect_error(shared.rpc.ListApps(apps_pb2.ListAppsRequest(context=plain_user())),
                 "api.command.admin_only.app_error", 403)
    expect_error(shared.rpc.ListApps(apps_pb2.ListAppsRequest(context=anonymous())), SESSION_EXPIRED, 401)


# --- TestGetOAuthApp -------------------------------------------------------------------------------------------

def test_get_app_admin_gets_both_user_gets_only_own(shared):
    """Ports api4 TestGetOAuthApp: the admin gets both apps, the user gets their own; the user getting the admin's
    app -> 403. (Mattermost returns the secret here; we keep only its hash, so it is blank: see
    test_differences_rpc.py.) Also store GetApp: a known id -> ok."""
    boss, user = admin(), member()
    admin_app, user_app = shared.create_app(boss), shared.create_app(user)
    for app in (admin_app, user_app):
        fetched = ok(shared.get_app(boss, app.id)).app
        assert fetched.id == app.id and fetched.name == app.name and fetched.client_secret == ""
    assert ok(shared.get_app(user, user_app.id)).app.creator_id == user.user_id
    expect_error(shared.get_app(user, admin_app.id), PERMISSIONS, 403)


def test_get_app_request_checks(shared):
    """Ports api4 TestGetOAuthApp: without manage_oauth -> 403; logged out -> 401; "junk" -> 400; a random id
    -> 404 (store GetApp: unknown id -> error)."""
    user = member()
    app = shared.create_app(user)
    expect_error(shared.get_app(plain_user(), app.id), PERMISSIONS, 403)
    expect_error(shared.get_app(anonymous(), app.id), SESSION_EXPIRED, 401)
    expect_error(shared.get_app(admin(), "junk"), INVALID_URL_PARAM, 400)
    expect_error(shared.get_app(admin(), new_id()), APP_NOT_FOUND, 404)


# --- TestGetOAuthAppInfo ---------------------------------------------------------------------------------------

def test_app_info_for_any_signed_in_caller_with_the_secret_blanked(shared):
    """Ports api4 TestGetOAuthAppInfo: the admin and the user can get both apps with the secret blanked, even
    without manage_oauth and with an OAuth token; callbacks and creator stay visible."""
    boss, user = admin(), member()
    admin_app, user_app = shared.create_app(boss), shared.create_app(user)
    for caller in (boss, user, plain_user(), oauth_session(user)):
        for app in (admin_app, user_app):
            info = ok(shared.rpc.GetAppInfo(app_id_request(caller, app.id))).app
            assert info.client_secret == "" and info.name == app.name
            assert list(info.callback_urls) == list(app.callback_urls) and info.creator_id == app.creator_id


def test_app_info_request_checks(shared):
    """Ports api4 TestGetOAuthAppInfo: logged out -> 401; "junk" -> 400; a random id -> 404."""
    app = shared.create_app(admin())
    expect_error(shared.rpc.GetAppInfo(app_id_request(anonymous(), app.id)), SESSION_EXPIRED, 401)
    expect_error(shared.rpc.GetAppInfo(app_id_request(member(), "junk")), INVALID_URL_PARAM, 400)
    expect_error(shared.rpc.GetAppInfo(app_id_request(member(), new_id())), APP_NOT_FOUND, 404)


# --- TestDeleteOAuthApp ----------------------------------------------------------------------------------------

def test_delete_app_permissions(shared):
    """Ports api4 TestDeleteOAuthApp: the admin deletes both apps; the user deleting the admin's -> 403; the user
    deletes their own. Without manage_oauth -> 403; logged out -> 401; "junk" -> 400; a random id -> 404."""
    boss, user = admin(), member()
    for app in (shared.create_app(boss), shared.create_app(user)):
        ok(shared.rpc.DeleteApp(app_id_request(boss, app.id)))
        expect_error(shared.get_app(boss, app.id), APP_NOT_FOUND, 404)
    admin_app, user_app = shared.create_app(boss), shared.create_app(user)
    expect_error(shared.rpc.DeleteApp(app_id_request(user, admin_app.id)), PERMISSIONS, 403)
    expect_error(shared.rpc.DeleteApp(app_id_request(plain_user(), user_app.id)), PERMISSIONS, 403)
    expect_error(shared.rpc.DeleteApp(app_id_request(anonymous(), user_app.id)), SESSION_EXPIRED, 401)
    expect_error(shared.rpc.DeleteApp(app_id_request(boss, "junk")), INVALID_URL_PARAM, 400)
    expect_error(shared.rpc.DeleteApp(app_id_request(boss, new_id())), APP_NOT_FOUND, 404)
    ok(shared.get_app(boss, admin_app.id))
    ok(shared.rpc.DeleteApp(app_id_request(user, user_app.id)))
    expect_error(shared.get_app(user, user_app.id), APP_NOT_FOUND, 404)


def test_deleting_an_app_revokes_every_users_tokens_codes_and_consents(shared):
    """Ports app TestOAuthDeleteApp and store DeleteApp (its OAuth sessions and access data are gone): deleting
    the app ends the tokens of every user who authorized it, their refresh tokens, pending codes and consents."""
    boss = admin()
    app = shared.create_app(boss)
    alice, bob = plain_user(), plain_user()
    alice_tokens = shared.tokens(alice, app)
    bob_tokens = shared.tokens(bob, app)
    pending = shared.code_for(bob, app)
    ok(shared.rpc.DeleteApp(app_id_request(boss, app.id)))
    for tokens in (alice_tokens, bob_tokens):
        assert not shared.works(tokens.access_token)
        expect_error(shared.refresh(app, tokens.refresh_token), "api.oauth.get_access_token.credentials.app_error",
                     404)
    expect_error(shared.exchange(app, pending), "api.oauth.get_access_token.credentials.app_error", 404)
    for user in (alice, bob):
        authorized = ok(shared.rpc.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(context=user,
                                                                                           user_id="me")))
        assert list(authorized.apps) == []


# --- TestRegenerateOAuthAppSecret ------------------------------------------------------------------------------

def test_regenerate_secret_permissions(shared):
    """Ports api4 TestRegenerateOAuthAppSecret: the admin regenerates -> same id, a different secret; the admin
    regenerates the user's app; the user regenerating the admin's -> 403, their own -> ok. Without manage_oauth
    -> 403; logged out -> 401; "junk" -> 400; random -> 404."""
    boss, user = admin(), member()
    admin_app, user_app = shared.create_app(boss), shared.create_app(user)
    renewed = ok(shared.rpc.RegenerateSecret(app_id_request(boss, admin_app.id))).app
    assert renewed.id == admin_app.id and renewed.client_secret and renewed.client_secret != admin_app.client_secret
    assert ok(shared.rpc.RegenerateSecret(app_id_request(boss, user_app.id))).app.client_secret
    expect_error(shared.rpc.RegenerateSecret(app_id_request(user, admin_app.id)), PERMISSIONS, 403)
    own = ok(shared.rpc.RegenerateSecret(app_id_request(user, user_app.id))).app
    assert own.client_secret and own.client_secret != user_app.client_secret
    expect_error(shared.rpc.RegenerateSecret(app_id_request(plain_user(), user_app.id)), PERMISSIONS, 403)
    expect_error(shared.rpc.RegenerateSecret(app_id_request(anonymous(), user_app.id)), SESSION_EXPIRED, 401)
    expect_error(shared.rpc.RegenerateSecret(app_id_request(boss, "junk")), INVALID_URL_PARAM, 400)
    expect_error(shared.rpc.RegenerateSecret(app_id_request(boss, new_id())), APP_NOT_FOUND, 404)


def test_a_public_clients_secret_cannot_be_regenerated(shared):
    """Ports section 2 E6: a public client (no secret) -> 400 api.oauth.regenerate_secret.public_client."""
    boss = admin()
    public = shared.create_app(boss, is_public=True)
    expect_error(shared.rpc.RegenerateSecret(app_id_request(boss, public.id)),
                 "api.oauth.regenerate_secret.public_client.app_error", 400)


def test_regenerated_secret_keeps_tokens_and_the_old_secret_stops_working(shared):
    """Ports Cypress MM-T652 (new secret differs), MM-T653 (reconnecting with the old secret fails: 401),
    MM-T654 (the new secret works) and section 3.8: issued access and refresh tokens stay valid."""
    boss, user = admin(), plain_user()
    app = shared.create_app(boss)
    issued = shared.tokens(user, app)
    renewed = ok(shared.rpc.RegenerateSecret(app_id_request(boss, app.id))).app
    code = shared.code_for(user, app)
    expect_error(shared.exchange(app, code), BAD_CREDENTIALS, 401, "invalid_client")
    expect_error(shared.refresh(app, issued.refresh_token), BAD_CREDENTIALS, 401)
    assert shared.works(issued.access_token), "regenerating the secret revokes nothing"
    assert ok(shared.exchange(renewed, code)).access_token, "a wrong secret does not spend the code"
    assert shared.works(ok(shared.refresh(renewed, issued.refresh_token)).access_token)


def test_editing_an_app_keeps_its_tokens_working(shared):
    """Ports Cypress MM-T649 (edit the app, the token still works) and section 3.8 (update revokes nothing)."""
    boss, user = admin(), plain_user()
    app = shared.create_app(boss)
    issued = shared.tokens(user, app)
    ok(shared.rpc.UpdateApp(update_request(boss, app, name="Edited", callback_urls=[OTHER_CALLBACK])))
    assert shared.works(issued.access_token)
    assert ok(shared.refresh(app, issued.refresh_token)).access_token


# --- TestGetAuthorizedOAuthAppsForUser -------------------------------------------------------------------------

def test_authorized_apps_lists_what_the_user_authorized_with_the_secret_blank(shared):
    """Ports api4 TestGetAuthorizedOAuthAppsForUser: after authorize (code) the user's list contains the app with
    an empty secret; the admin (edit_other_users) reads the user's list. Also store OAuthGetAuthorizedApps:
    after consent -> non-empty; another app not authorized is not listed."""
    boss, user = admin(), plain_user()
    app, other = shared.create_app(boss), shared.create_app(boss)
    assert list(ok(shared.rpc.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(
        context=user, user_id="me"))).apps) == []
    shared.code_for(user, app)
    for caller, user_id in ((user, "me"), (user, user.user_id), (boss, user.user_id)):
        listed = ok(shared.rpc.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(context=caller,
                                                                                       user_id=user_id))).apps
        assert [a.id for a in listed] == [app.id] and listed[0].client_secret == ""
    assert other.id not in {a.id for a in listed}


def test_authorized_apps_request_checks(shared):
    """Ports api4 TestGetAuthorizedOAuthAppsForUser: another user's list -> 403; "junk" -> 400; logged out -> 401.
    Also store OAuthGetAuthorizedApps: an unknown user -> empty."""
    user = member()
    expect_error(shared.rpc.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(
        context=user, user_id=new_id())), PERMISSIONS, 403)
    expect_error(shared.rpc.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(
        context=user, user_id="junk")), INVALID_URL_PARAM, 400)
    expect_error(shared.rpc.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(
        context=anonymous(), user_id="me")), SESSION_EXPIRED, 401)
    assert list(ok(shared.rpc.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(
        context=admin(), user_id=new_id()))).apps) == []


def test_authorized_apps_are_paged(shared):
    """Ports section 2 E8 (the authorized-apps list is paged with page/per_page)."""
    boss, user = admin(), plain_user()
    apps = [shared.create_app(boss) for _ in range(3)]
    for app in apps:
        shared.code_for(user, app)
    pages = [ok(shared.rpc.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(
        context=user, user_id="me", page=page, per_page=2))).apps for page in (0, 1, 2)]
    assert [len(p) for p in pages] == [2, 1, 0]
    assert {a.id for p in pages for a in p} == {a.id for a in apps}


# --- the provider switched off (every app RPC) -----------------------------------------------------------------

def test_every_app_rpc_is_501_while_the_provider_is_off(plugin, client):
    """Ports the "SP off -> 501" cases of api4 TestCreateOAuthApp (api.oauth.register_oauth_app.turn_off),
    TestUpdateOAuthApp, TestGetOAuthApps, TestGetOAuthApp, TestGetOAuthAppInfo, TestDeleteOAuthApp,
    TestRegenerateOAuthAppSecret and E8 (api.oauth.allow_oauth.turn_off). The permission check still comes
    first (403 before 501), and turning the provider back on restores everything."""
    boss = admin()
    app = client.create_app(boss)
    plugin.configure(EnableOAuthServiceProvider=False)
    expect_error(client.rpc.CreateApp(apps_pb2.CreateAppRequest(
        context=boss, name="x", callback_urls=[CALLBACK], homepage=HOMEPAGE)),
        "api.oauth.register_oauth_app.turn_off.app_error", 501)
    expect_error(client.rpc.CreateApp(apps_pb2.CreateAppRequest(
        context=plain_user(), name="x", callback_urls=[CALLBACK], homepage=HOMEPAGE)), PERMISSIONS, 403)
    expect_error(client.rpc.ListApps(apps_pb2.ListAppsRequest(context=boss)), SP_OFF, 501)
    expect_error(client.get_app(boss, app.id), SP_OFF, 501)
    expect_error(client.rpc.UpdateApp(update_request(boss, app, name="x")), SP_OFF, 501)
    expect_error(client.rpc.GetAppInfo(app_id_request(boss, app.id)), SP_OFF, 501)
    expect_error(client.rpc.RegenerateSecret(app_id_request(boss, app.id)), SP_OFF, 501)
    expect_error(client.rpc.DeleteApp(app_id_request(boss, app.id)), SP_OFF, 501)
    expect_error(client.rpc.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(context=boss, user_id="me")),
                 SP_OFF, 501)
    plugin.configure(EnableOAuthServiceProvider=True)
    assert ok(client.get_app(boss, app.id)).app.name == app.name

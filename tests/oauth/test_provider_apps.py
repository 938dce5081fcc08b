"""OAuth app management through the provider, with the real SqliteStore."""
from __future__ import annotations

import dataclasses

import pytest

from plugin.oauth import App, Caller, Settings
from plugin.oauth.ids import hash_secret, new_id
from plugin.oauth.guards import normalize_paging

from .conftest import CALLBACK, app_request, expect_error

ANON = Caller()
NO_PERMISSION_IDS = ("api.context.permissions.app_error", 403)


def sp_off(provider):
    provider.configure(dataclasses.replace(provider.settings, enable_oauth_service_provider=False))


# --- create ------------------------------------------------------------------------------------------------

def test_admin_creates_trusted_app_and_sees_its_secret_once(provider, admin, store):
    """Port of TestCreateOAuthApp (admin creates a trusted app)."""
    app = provider.create_app(admin, app_request(name="Admin app", is_trusted=True))
    assert app.name == "Admin app" and app.is_trusted
    assert app.creator_id == admin.user_id and not app.is_dynamically_registered
    assert app.client_secret and not app.is_public
    record = store.get_app(app.id)
    assert record.client_secret_hash == hash_secret(app.client_secret)
    assert app.client_secret not in dataclasses.astuple(record)
    assert provider.get_app(admin, app.id).client_secret == ""


def test_user_without_manage_oauth_cannot_create(provider):
    caller = Caller(user_id=new_id(), permissions=frozenset())
    expect_error(*NO_PERMISSION_IDS, provider.create_app, caller, app_request())


def test_user_cannot_make_an_app_trusted(provider, user):
    """Port of TestCreateOAuthApp (user create: is_trusted forced false)."""
    assert provider.create_app(user, app_request(is_trusted=True)).is_trusted is False


def test_create_validates_the_app(provider, admin):
    expect_error("model.oauth.is_valid.name.app_error", 400, provider.create_app, admin, app_request(name=""))
    expect_error("model.oauth.is_valid.callback.app_error", 400, provider.create_app, admin,
                 app_request(callback_urls=["cursor://x/cb"]))


def test_create_without_body_is_invalid_body_param(provider, admin):
    error = expect_error("api.context.invalid_body_param.app_error", 400, provider.create_app, admin, None)
    assert error.message == "Invalid or missing oauth_app in request body."


def test_create_requires_a_session(provider):
    expect_error("api.context.session_expired.app_error", 401, provider.create_app, ANON, app_request())


def test_create_with_provider_off_is_501_after_the_permission_check(provider, admin):
    sp_off(provider)
    expect_error("api.oauth.register_oauth_app.turn_off.app_error", 501, provider.create_app, admin, app_request())
    expect_error(*NO_PERMISSION_IDS, provider.create_app, Caller(user_id=new_id()), app_request())


def test_public_app_has_no_secret(provider, admin, store):
    app = provider.create_app(admin, app_request(is_public=True))
    assert app.client_secret == "" and app.is_public
    assert store.get_app(app.id).client_secret_hash == ""
    assert provider.get_app(admin, app.id).is_public


# --- get ---------------------------------------------------------------------------------------------------

def test_get_app_permissions(provider, admin, user):
    """Port of TestGetOAuthApp."""
    admin_app = provider.create_app(admin, app_request())
    user_app = provider.create_app(user, app_request())
    assert provider.get_app(admin, admin_app.id).id == admin_app.id
    assert provider.get_app(admin, user_app.id).id == user_app.id
    assert provider.get_app(user, user_app.id).id == user_app.id
    expect_error(*NO_PERMISSION_IDS, provider.get_app, user, admin_app.id)
    no_permission = Caller(user_id=user.user_id)
    expect_error(*NO_PERMISSION_IDS, provider.get_app, no_permission, user_app.id)
    expect_error("api.context.session_expired.app_error", 401, provider.get_app, ANON, user_app.id)
    expect_error("api.context.invalid_url_param.app_error", 400, provider.get_app, admin, "junk")
    expect_error("app.oauth.get_app.find.app_error", 404, provider.get_app, admin, new_id())
    sp_off(provider)
    expect_error("api.oauth.allow_oauth.turn_off.app_error", 501, provider.get_app, admin, admin_app.id)


def test_get_app_never_returns_the_secret(provider, admin):
    app = provider.create_app(admin, app_request())
    assert provider.get_app(admin, app.id).client_secret == ""


# --- list --------------------------------------------------------------------------------------------------

def test_list_apps(provider, admin, user):
    """Port of TestGetOAuthApps."""
    admin_app = provider.create_app(admin, app_request())
    user_app = provider.create_app(user, app_request())
    assert {a.id for a in provider.list_apps(admin, 0, 60)} == {admin_app.id, user_app.id}
    assert len(provider.list_apps(admin, 1, 1)) == 1
    assert [a.id for a in provider.list_apps(user, 0, 60)] == [user_app.id]
    assert all(a.client_secret == "" for a in provider.list_apps(admin, 0, 60))
    expect_error("api.command.admin_only.app_error", 403, provider.list_apps, Caller(user_id=user.user_id))
    expect_error("api.context.session_expired.app_error", 401, provider.list_apps, ANON)
    sp_off(provider)
    expect_error("api.oauth.allow_oauth.turn_off.app_error", 501, provider.list_apps, admin)


@pytest.mark.parametrize(
    "page, per_page, expected",
    [(None, None, (0, 60)), (-1, -1, (0, 60)), (2, 500, (2, 200)), (3, 0, (3, 60)), (1, 1, (1, 1)),
     ("2", "5", (0, 60)), (True, 5, (0, 5))],
)
def test_paging_defaults_and_limits(page, per_page, expected):
    assert normalize_paging(page, per_page) == expected


# --- update ------------------------------------------------------------------------------------------------

def changed(app: App, **fields) -> App:
    values = dict(name="New name", description="new description", icon_url="https://new.example.com/icon.png",
                  callback_urls=["https://new.example.com/cb"], homepage="https://new.example.com",
                  mattermost_app_id="mm-app", client_secret="attempt", creator_id=new_id(), create_at=5)
    values.update(fields)
    return dataclasses.replace(app, **values)


def test_admin_update_changes_fields_and_keeps_identity(provider, admin, clock, store):
    """Port of TestUpdateOAuthApp (admin update)."""
    app = provider.create_app(admin, app_request())
    clock.advance(5)
    updated = provider.update_app(admin, app.id, changed(app, is_trusted=True))
    assert (updated.id, updated.creator_id, updated.create_at) == (app.id, app.creator_id, app.create_at)
    assert updated.update_at > app.update_at
    assert (updated.name, updated.description, updated.icon_url, updated.callback_urls, updated.homepage,
            updated.is_trusted, updated.mattermost_app_id) == (
        "New name", "new description", "https://new.example.com/icon.png", ["https://new.example.com/cb"],
        "https://new.example.com", True, "mm-app")
    assert updated.client_secret == ""
    assert store.get_app(app.id).client_secret_hash == hash_secret(app.client_secret)
    assert provider.get_app(admin, app.id) == updated


def test_update_checks(provider, admin, user, other_user):
    """Port of TestUpdateOAuthApp (other user, no permission, unknown id, SP off, logged out, junk id)."""
    app = provider.create_app(user, app_request())
    expect_error(*NO_PERMISSION_IDS, provider.update_app, other_user, app.id, changed(app))
    expect_error(*NO_PERMISSION_IDS, provider.update_app, Caller(user_id=user.user_id), app.id, changed(app))
    unknown = new_id()
    expect_error("app.oauth.get_app.find.app_error", 404, provider.update_app, admin, unknown,
                 changed(app, id=unknown))
    expect_error("api.context.session_expired.app_error", 401, provider.update_app, ANON, app.id, changed(app))
    expect_error("api.context.invalid_url_param.app_error", 400, provider.update_app, admin, "junk", changed(app))
    expect_error("api.context.invalid_body_param.app_error", 400, provider.update_app, admin, app.id, None)
    error = expect_error("api.context.invalid_body_param.app_error", 400, provider.update_app, admin, app.id,
                         changed(app, id=new_id()))
    assert "app_id" in error.message
    expect_error("model.oauth.is_valid.homepage.app_error", 400, provider.update_app, admin, app.id,
                 changed(app, homepage="nope"))
    sp_off(provider)
    expect_error("api.oauth.allow_oauth.turn_off.app_error", 501, provider.update_app, admin, app.id, changed(app))


def test_only_manage_system_changes_is_trusted(provider, admin, user):
    """Port of TestUpdateOAuthApp (user sets true: stays false; admin sets true; user sets false: stays true)."""
    app = provider.create_app(user, app_request())
    assert provider.update_app(user, app.id, changed(app, is_trusted=True)).is_trusted is False
    assert provider.update_app(admin, app.id, changed(app, is_trusted=True)).is_trusted is True
    assert provider.update_app(user, app.id, changed(app, is_trusted=False)).is_trusted is True


def test_update_keeps_public_clients_public(provider, admin):
    app = provider.create_app(admin, app_request(is_public=True))
    assert provider.update_app(admin, app.id, changed(app)).is_public


# --- delete, regenerate ------------------------------------------------------------------------------------

def test_delete_app_permissions(provider, admin, user):
    """Port of TestDeleteOAuthApp."""
    admin_app = provider.create_app(admin, app_request())
    user_app = provider.create_app(user, app_request())
    expect_error(*NO_PERMISSION_IDS, provider.delete_app, user, admin_app.id)
    expect_error(*NO_PERMISSION_IDS, provider.delete_app, Caller(user_id=user.user_id), user_app.id)
    expect_error("api.context.session_expired.app_error", 401, provider.delete_app, ANON, user_app.id)
    expect_error("api.context.invalid_url_param.app_error", 400, provider.delete_app, admin, "junk")
    expect_error("app.oauth.get_app.find.app_error", 404, provider.delete_app, admin, new_id())
    provider.delete_app(user, user_app.id)
    provider.delete_app(admin, admin_app.id)
    expect_error("app.oauth.get_app.find.app_error", 404, provider.get_app, admin, admin_app.id)
    sp_off(provider)
    expect_error("api.oauth.allow_oauth.turn_off.app_error", 501, provider.delete_app, admin, new_id())


def test_regenerate_secret(provider, admin, user):
    """Port of TestRegenerateOAuthAppSecret."""
    admin_app = provider.create_app(admin, app_request())
    user_app = provider.create_app(user, app_request())
    regenerated = provider.regenerate_secret(admin, admin_app.id)
    assert regenerated.id == admin_app.id
    assert regenerated.client_secret and regenerated.client_secret != admin_app.client_secret
    assert provider.regenerate_secret(admin, user_app.id).client_secret
    expect_error(*NO_PERMISSION_IDS, provider.regenerate_secret, user, admin_app.id)
    assert provider.regenerate_secret(user, user_app.id).client_secret
    expect_error(*NO_PERMISSION_IDS, provider.regenerate_secret, Caller(user_id=user.user_id), user_app.id)
    expect_error("api.context.session_expired.app_error", 401, provider.regenerate_secret, ANON, user_app.id)
    expect_error("api.context.invalid_url_param.app_error", 400, provider.regenerate_secret, admin, "junk")
    expect_error("app.oauth.get_app.find.app_error", 404, provider.regenerate_secret, admin, new_id())
    sp_off(provider)
    expect_error("api.oauth.allow_oauth.turn_off.app_error", 501, provider.regenerate_secret, admin, user_app.id)


def test_public_client_secret_cannot_be_regenerated(provider, admin):
    app = provider.create_app(admin, app_request(is_public=True))
    expect_error("api.oauth.regenerate_secret.public_client.app_error", 400, provider.regenerate_secret, admin,
                 app.id)


# --- info --------------------------------------------------------------------------------------------------

def test_app_info_for_any_signed_in_caller(provider, admin, user):
    """Port of TestGetOAuthAppInfo."""
    admin_app = provider.create_app(admin, app_request())
    user_app = provider.create_app(user, app_request())
    for caller in (admin, user, Caller(user_id=user.user_id), Caller(user_id=new_id(), is_oauth=True)):
        for app in (admin_app, user_app):
            info = provider.get_app_info(caller, app.id)
            assert info.id == app.id and info.client_secret == "" and info.callback_urls == app.callback_urls
    expect_error("api.context.session_expired.app_error", 401, provider.get_app_info, ANON, admin_app.id)
    expect_error("api.context.invalid_url_param.app_error", 400, provider.get_app_info, user, "junk")
    expect_error("app.oauth.get_app.find.app_error", 404, provider.get_app_info, user, new_id())
    sp_off(provider)
    expect_error("api.oauth.allow_oauth.turn_off.app_error", 501, provider.get_app_info, user, admin_app.id)


# --- authorized apps ---------------------------------------------------------------------------------------

def test_authorized_apps(provider, admin, user, other_user, flow, confidential_app):
    """Port of TestGetAuthorizedOAuthAppsForUser."""
    assert provider.list_authorized_apps(user, "me") == []
    flow.code_for(user, confidential_app)
    apps = provider.list_authorized_apps(user, "me")
    assert [(a.id, scope) for a, scope in apps] == [(confidential_app.id, "user")] and apps[0][0].client_secret == ""
    assert [a.id for a, _ in provider.list_authorized_apps(user, user.user_id, 0, 10)] == [confidential_app.id]
    assert [a.id for a, _ in provider.list_authorized_apps(admin, user.user_id)] == [confidential_app.id]
    expect_error(*NO_PERMISSION_IDS, provider.list_authorized_apps, other_user, user.user_id)
    expect_error("api.context.invalid_url_param.app_error", 400, provider.list_authorized_apps, user, "junk")
    expect_error("api.context.session_expired.app_error", 401, provider.list_authorized_apps, ANON, "me")
    sp_off(provider)
    expect_error("api.oauth.allow_oauth.turn_off.app_error", 501, provider.list_authorized_apps, user, "me")


def test_settings_can_be_replaced_at_runtime(provider, admin):
    provider.configure(Settings(enable_oauth_service_provider=False))
    expect_error("api.oauth.register_oauth_app.turn_off.app_error", 501, provider.create_app, admin, app_request())
    provider.configure(Settings())
    assert provider.create_app(admin, app_request(callback_urls=[CALLBACK])).id

"""API v4 roles: Mattermost's Role JSON, lookups, and an admin granting manage_oauth to every member."""
from __future__ import annotations

ROLE_FIELDS = {"id", "name", "display_name", "description", "create_at", "update_at", "delete_at", "permissions",
               "scheme_managed", "built_in"}


def role(api, token, name):
    reply = api.get(f"/api/v4/roles/name/{name}", token=token)
    assert reply.status == 200, reply.body
    return reply.json


def only_admin_integrations(api, admin) -> bool:
    return api.get("/api/v4/config", token=admin.token).json["ServiceSettings"]["EnableOnlyAdminIntegrations"]


def test_role_json_has_mattermosts_fields(api, admin, new_user):
    user = new_user()
    system_user = role(api, user.token, "system_user")
    assert set(system_user) == ROLE_FIELDS
    assert system_user["scheme_managed"] is True and system_user["built_in"] is True
    assert system_user["delete_at"] == 0 and len(system_user["id"]) == 26
    assert api.get(f"/api/v4/roles/{system_user['id']}", token=user.token).json == system_user


def test_default_roles_give_oauth_management_to_admins_only(api, admin):
    admin_permissions = set(role(api, admin.token, "system_admin")["permissions"])
    assert {"manage_system", "manage_oauth", "manage_system_wide_oauth", "edit_other_users"} <= admin_permissions
    user_permissions = set(role(api, admin.token, "system_user")["permissions"])
    assert not user_permissions & {"manage_system", "manage_oauth", "manage_system_wide_oauth", "edit_other_users"}


def test_roles_need_a_session(api, admin):
    reply = api.get("/api/v4/roles/name/system_user")
    assert (reply.status, reply.error_id) == (401, "api.context.session_expired.app_error")


def test_role_lookups_refuse_bad_names_and_ids_and_report_unknown_ones(api, admin):
    cases = [("/api/v4/roles/name/System-User", 400, "api.context.invalid_url_param.app_error"),
             ("/api/v4/roles/name/no_such_role", 404, "app.role.get_by_name.app_error"),
             ("/api/v4/roles/short", 400, "api.context.invalid_url_param.app_error"),
             ("/api/v4/roles/" + "c" * 26, 404, "app.role.get.app_error")]
    for path, status, error_id in cases:
        reply = api.get(path, token=admin.token)
        assert (reply.status, reply.error_id) == (status, error_id), path


def test_roles_by_names(api, admin):
    reply = api.post("/api/v4/roles/names", ["system_user", "system_admin", "no_such_role"], token=admin.token)
    assert reply.status == 200
    assert sorted(r["name"] for r in reply.json) == ["system_admin", "system_user"]


def test_admin_grants_manage_oauth_to_system_user_and_the_setting_follows(api, admin, new_user):
    user = new_user()
    before = role(api, admin.token, "system_user")
    patched = api.put(f"/api/v4/roles/{before['id']}/patch",
                      {"permissions": before["permissions"] + ["manage_oauth"], "name": "ignored"},
                      token=admin.token)
    assert patched.status == 200, patched.body
    assert "manage_oauth" in patched.json["permissions"] and patched.json["name"] == "system_user"
    assert patched.json["update_at"] >= before["update_at"]
    assert "manage_oauth" in role(api, user.token, "system_user")["permissions"]
    assert only_admin_integrations(api, admin) is False

    restored = api.put(f"/api/v4/roles/{before['id']}/patch", {"permissions": before["permissions"]},
                       token=admin.token)
    assert restored.status == 200 and "manage_oauth" not in restored.json["permissions"]
    assert only_admin_integrations(api, admin) is True


def test_turning_off_restrict_integrations_to_admins_grants_manage_oauth(api, admin):
    off = api.put("/api/v4/config/patch", {"ServiceSettings": {"EnableOnlyAdminIntegrations": False}},
                  token=admin.token)
    assert off.status == 200
    try:
        assert "manage_oauth" in role(api, admin.token, "system_user")["permissions"]
    finally:
        on = api.put("/api/v4/config/patch", {"ServiceSettings": {"EnableOnlyAdminIntegrations": True}},
                     token=admin.token)
        assert on.status == 200
    assert "manage_oauth" not in role(api, admin.token, "system_user")["permissions"]


def test_ordinary_user_cannot_patch_a_role(api, admin, new_user):
    user = new_user()
    system_user = role(api, user.token, "system_user")
    reply = api.put(f"/api/v4/roles/{system_user['id']}/patch",
                    {"permissions": system_user["permissions"] + ["manage_system"]}, token=user.token)
    assert (reply.status, reply.error_id) == (403, "api.context.permissions.app_error")
    assert "manage_system" not in role(api, user.token, "system_user")["permissions"]


def test_patch_refuses_malformed_permission_names(api, admin):
    system_user = role(api, admin.token, "system_user")
    reply = api.put(f"/api/v4/roles/{system_user['id']}/patch", {"permissions": ["Not A Permission"]},
                    token=admin.token)
    assert (reply.status, reply.error_id) == (400, "app.role.save.invalid_role.app_error")
    assert role(api, admin.token, "system_user")["permissions"] == system_user["permissions"]


def test_patch_cannot_hand_out_manage_roles(api, admin):
    system_user = role(api, admin.token, "system_user")
    reply = api.put(f"/api/v4/roles/{system_user['id']}/patch",
                    {"permissions": system_user["permissions"] + ["manage_roles"]}, token=admin.token)
    assert (reply.status, reply.error_id) == (501, "api.roles.patch_roles.not_allowed_permission.error")


def test_patch_of_an_unknown_role_is_404(api, admin):
    reply = api.put("/api/v4/roles/" + "d" * 26 + "/patch", {"permissions": []}, token=admin.token)
    assert (reply.status, reply.error_id) == (404, "app.role.get.app_error")


def test_patch_without_permissions_changes_nothing(api, admin):
    system_user = role(api, admin.token, "system_user")
    reply = api.put(f"/api/v4/roles/{system_user['id']}/patch", {}, token=admin.token)
    assert reply.status == 200 and reply.json == system_user

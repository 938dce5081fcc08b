"""API v4 configuration and plugins: system admins only, secrets sanitized, patches validated and delivered to the
running plugin."""
from __future__ import annotations

from tests.conftest import PLUGIN_ID, wait_for
from tests.host.conftest import ADMIN_PASSWORD, Api

FAKE_SETTING = "********************************"


def plugin_messages(host, message: str, **fields) -> list[dict]:
    return [line for line in host.log_lines()
            if line.get("@message") == message and all(line.get(k) == v for k, v in fields.items())]


def test_admin_reads_the_config_with_secrets_sanitized(api, admin, host):
    reply = api.get("/api/v4/config", token=admin.token)
    assert reply.status == 200 and reply.headers["Content-Type"] == "application/json"
    config = reply.json
    assert config["SqlSettings"]["DataSource"] == FAKE_SETTING
    assert config["ServiceSettings"]["ListenAddress"] == f"127.0.0.1:{host.port}"
    assert "no-store" in reply.headers["Cache-Control"]


def test_ordinary_user_cannot_read_or_patch_the_config(api, admin, new_user):
    user = new_user()
    read = api.get("/api/v4/config", token=user.token)
    patch = api.put("/api/v4/config/patch", {"TeamSettings": {"EnableOpenServer": True}}, token=user.token)
    for reply in (read, patch):
        assert (reply.status, reply.error_id) == (403, "api.context.permissions.app_error")
    assert api.get("/api/v4/config", token=admin.token).json["TeamSettings"]["EnableOpenServer"] is False


def test_config_needs_a_session(api):
    assert api.get("/api/v4/config").status == 401


def test_patch_is_merged_saved_and_reaches_the_running_plugin(api, admin, host):
    reply = api.put("/api/v4/config/patch", {"ServiceSettings": {"SiteURL": "https://chat.example.com"},
                                             "NoSuchSection": {"x": 1}}, token=admin.token)
    assert reply.status == 200, reply.body
    config = reply.json
    assert config["ServiceSettings"]["SiteURL"] == "https://chat.example.com"
    assert config["ServiceSettings"]["EnableOAuthServiceProvider"] is True  # untouched keys stay
    assert "NoSuchSection" not in config  # unknown keys are ignored
    assert config["SqlSettings"]["DataSource"] == FAKE_SETTING
    assert api.get("/api/v4/config", token=admin.token).json == config
    wait_for(lambda: plugin_messages(host, "configuration changed", plugin_site_url="https://chat.example.com"),
             message="OnConfigurationChange with the new SiteURL")


def test_sending_back_the_sanitized_config_changes_no_secret(api, admin, host):
    config = api.get("/api/v4/config", token=admin.token).json
    reply = api.put("/api/v4/config/patch", config, token=admin.token)
    assert reply.status == 200, reply.body
    assert str(host.data_dir / "host.db") in (host.data_dir / "config.json").read_text()
    full = api.put("/api/v4/config", config, token=admin.token)
    assert full.status == 200, full.body
    assert full.json == config


def test_invalid_values_answer_model_config_is_valid(api, admin):
    cases = [({"ServiceSettings": {"SiteURL": "ftp://chat.example.com"}}, "model.config.is_valid.site_url.app_error"),
             ({"ServiceSettings": {"ListenAddress": "no port"}}, "model.config.is_valid.listen_address.app_error"),
             ({"ServiceSettings": {"SessionLengthSSOInHours": 0}}, "model.config.is_valid.session_length.app_error"),
             ({"ServiceSettings": {"DCRRedirectURIAllowlist": ["https://ok.example.com/*", "  "]}},
              "model.config.is_valid.dcr_redirect_uri_allowlist.app_error"),
             ({"ServiceSettings": {"MaximumPayloadSizeBytes": -1}}, "model.config.is_valid.max_payload_size.app_error"),
             ({"PluginSettings": {"HookTimeoutSeconds": 0}}, "model.config.is_valid.hook_timeout.app_error")]
    before = api.get("/api/v4/config", token=admin.token).json
    for body, error_id in cases:
        reply = api.put("/api/v4/config/patch", body, token=admin.token)
        assert (reply.status, reply.error_id) == (400, error_id), body
    assert api.get("/api/v4/config", token=admin.token).json == before


def test_wrong_types_name_the_setting(api, admin):
    cases = [({"ServiceSettings": {"SiteURL": 5}}, "ServiceSettings.SiteURL"),
             ({"TeamSettings": {"EnableOpenServer": "true"}}, "TeamSettings.EnableOpenServer"),
             ({"ServiceSettings": {"SessionLengthSSOInHours": 1.5}}, "ServiceSettings.SessionLengthSSOInHours"),
             ({"ServiceSettings": {"DCRRedirectURIAllowlist": "https://x"}}, "ServiceSettings.DCRRedirectURIAllowlist"),
             ({"ServiceSettings": []}, "ServiceSettings"),
             ({"PluginSettings": {"HookTimeoutSeconds": "10"}}, "PluginSettings.HookTimeoutSeconds"),
             ({"PluginSettings": {"PluginStates": {PLUGIN_ID: {"Enable": "yes"}}}},
              f"PluginSettings.PluginStates.{PLUGIN_ID}.Enable")]
    for body, name in cases:
        reply = api.put("/api/v4/config/patch", body, token=admin.token)
        assert (reply.status, reply.error_id) == (400, "api.context.invalid_body_param.app_error"), body
        assert name in reply.json["message"]


def test_settings_that_could_run_code_cannot_be_changed_through_the_api(api, admin):
    for body in ({"PluginSettings": {"Directory": "/tmp/evil"}},
                 {"SqlSettings": {"DataSource": "/tmp/other.db"}},
                 {"ServiceSettings": {"LocalModeSocketLocation": "/tmp/sock"}}):
        reply = api.put("/api/v4/config/patch", body, token=admin.token)
        assert (reply.status, reply.error_id) == (403, "api.config.update_config.not_allowed_security.app_error")


def test_site_url_cannot_be_cleared_once_set(api, admin):
    assert api.put("/api/v4/config/patch", {"ServiceSettings": {"SiteURL": "https://a.example.com"}},
                   token=admin.token).status == 200
    reply = api.put("/api/v4/config/patch", {"ServiceSettings": {"SiteURL": ""}}, token=admin.token)
    assert (reply.status, reply.error_id) == (400, "api.config.update_config.clear_siteurl.app_error")


def test_plugin_routes_need_manage_system(api, admin, new_user):
    user = new_user()
    for method, path in (("GET", "/api/v4/plugins"), ("GET", "/api/v4/plugins/statuses"),
                         ("POST", f"/api/v4/plugins/{PLUGIN_ID}/disable"),
                         ("POST", f"/api/v4/plugins/{PLUGIN_ID}/enable")):
        anonymous = api.request(method, path)
        assert (anonymous.status, anonymous.error_id) == (401, "api.context.session_expired.app_error"), path
        ordinary = api.request(method, path, token=user.token)
        assert (ordinary.status, ordinary.error_id) == (403, "api.context.permissions.app_error"), path


def test_admin_lists_plugins_and_their_statuses(api, admin):
    plugins = api.get("/api/v4/plugins", token=admin.token)
    assert plugins.status == 200 and [p["id"] for p in plugins.json["active"]] == [PLUGIN_ID]
    statuses = api.get("/api/v4/plugins/statuses", token=admin.token)
    assert statuses.status == 200 and statuses.json[0]["plugin_id"] == PLUGIN_ID


def test_admin_disables_and_enables_a_plugin_over_tcp(api, admin, host):
    assert api.post(f"/api/v4/plugins/{PLUGIN_ID}/disable", token=admin.token).json == {"status": "OK"}
    host.wait_state(0)
    assert api.post(f"/api/v4/plugins/{PLUGIN_ID}/enable", token=admin.token).json == {"status": "OK"}
    host.wait_state(2)
    missing = api.post("/api/v4/plugins/no.such.plugin/enable", token=admin.token)
    assert (missing.status, missing.error_id) == (404, "app.plugin.not_installed.app_error")


def test_local_mode_still_acts_as_system_admin(host):
    assert host.local("GET", "/api/v4/plugins/statuses")[0] == 200
    status, config = host.local("GET", "/api/v4/config")
    assert status == 200 and config["SqlSettings"]["DataSource"] == FAKE_SETTING


def test_role_patch_survives_a_restart_and_an_offline_setting_edit_applies_at_start(make_host):
    host = make_host().start(wait_running=False)
    api = Api(host.url)
    assert api.post("/api/v4/users", {"email": "a@example.com", "username": "boss", "password": ADMIN_PASSWORD}
                    ).status == 201
    token = api.login("boss", ADMIN_PASSWORD).headers["Token"]
    system_user = api.get("/api/v4/roles/name/system_user", token=token).json
    assert api.put(f"/api/v4/roles/{system_user['id']}/patch",
                   {"permissions": system_user["permissions"] + ["manage_oauth"]}, token=token).status == 200
    host.stop()
    host.start(wait_running=False)
    token = api.login("boss", ADMIN_PASSWORD).headers["Token"]
    assert "manage_oauth" in api.get("/api/v4/roles/name/system_user", token=token).json["permissions"]
    host.stop()
    host.configure(lambda c: c["ServiceSettings"].update(EnableOnlyAdminIntegrations=True))
    host.start(wait_running=False)
    token = api.login("boss", ADMIN_PASSWORD).headers["Token"]
    assert "manage_oauth" not in api.get("/api/v4/roles/name/system_user", token=token).json["permissions"]


def test_the_override_settings_of_an_older_config_file_are_read_under_mattermosts_names(tmp_path):
    import json

    from server_stub.config import ConfigStore

    (tmp_path / "config.json").write_text(json.dumps({"ServiceSettings": {
        "EnableIntegrationsToOverrideUsernames": True, "EnableIntegrationsToOverrideProfilePictureIcons": False}}))
    service = ConfigStore(str(tmp_path)).config["ServiceSettings"]
    assert (service["EnablePostUsernameOverride"], service["EnablePostIconOverride"]) == (True, False)
    assert "EnableIntegrationsToOverrideUsernames" not in service
    written = json.loads((tmp_path / "config.json").read_text())["ServiceSettings"]
    assert written["EnablePostUsernameOverride"] is True and "EnableIntegrationsToOverrideUsernames" not in written

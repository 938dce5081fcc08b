"""A configuration change is in force when its answer arrives: PUT /api/v4/config/patch, PUT /api/v4/config and the
System Console's saves answer once every running plugin has acknowledged OnConfigurationChange, as Mattermost calls
the hook before it answers; a plugin that does not answer within PluginSettings.HookTimeoutSeconds does not hold the
answer up for longer."""
from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.conftest import PLUGIN_ID, ROOT, install_fake_plugin
from tests.host.conftest import ADMIN_PASSWORD, Api
from tests.host.test_pages import Browser

CALLBACK = "https://app.example.com/callback"
ROUNDS = 30
STALLING_PLUGIN = "stalling-plugin"
HOOK_TIMEOUT = 1.0
SLACK = 2.0


def register(api: Api):
    return api.post("/api/v4/oauth/apps/register", {"redirect_uris": [CALLBACK], "client_name": "Registered"})


def assert_registration(api: Api, enabled: bool) -> None:
    reply = register(api)
    if enabled:
        assert reply.status == 201, reply.body
    else:
        assert reply.status >= 400 and reply.json["error"] == "unsupported_operation", reply.body


def test_dynamic_registration_patched_on_works_at_the_very_next_request(api, admin):
    try:
        for _ in range(ROUNDS):
            for enabled in (True, False):
                reply = api.put("/api/v4/config/patch",
                                {"ServiceSettings": {"EnableDynamicClientRegistration": enabled}}, token=admin.token)
                assert reply.status == 200, reply.body
                assert_registration(api, enabled)
    finally:
        api.put("/api/v4/config/patch", {"ServiceSettings": {"EnableDynamicClientRegistration": False}},
                token=admin.token)


def test_a_full_update_is_in_force_at_the_very_next_request(api, admin):
    config = api.get("/api/v4/config", token=admin.token).json
    try:
        for _ in range(ROUNDS):
            for enabled in (True, False):
                config["ServiceSettings"]["EnableDynamicClientRegistration"] = enabled
                reply = api.put("/api/v4/config", config, token=admin.token)
                assert reply.status == 200, reply.body
                assert_registration(api, enabled)
    finally:
        config["ServiceSettings"]["EnableDynamicClientRegistration"] = False
        api.put("/api/v4/config", config, token=admin.token)


def test_the_system_console_save_is_in_force_when_it_redirects(api, admin):
    browser = Browser(api)
    assert browser.log_in(admin.username, ADMIN_PASSWORD).status == 303
    csrf = browser.csrf("/admin/integrations")
    try:
        for _ in range(ROUNDS):
            for enabled in ("true", "false"):
                saved = browser.post("/admin/integrations",
                                     {"csrf": csrf, "EnableDynamicClientRegistration": enabled})
                assert saved.status == 303, saved.body
                assert_registration(api, enabled == "true")
    finally:
        browser.post("/admin/integrations", {"csrf": csrf, "EnableDynamicClientRegistration": "false"})


def cli(host, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server_stub", *args, "--data-dir", str(host.data_dir)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_the_command_lines_config_set_is_in_force_when_it_returns(api, admin, host):
    key = "ServiceSettings.EnableDynamicClientRegistration"
    try:
        for _ in range(3):
            for enabled in ("true", "false"):
                done = cli(host, "config", "set", key, enabled)
                assert done.returncode == 0 and done.stdout.strip() == f"{key} set.", done.stderr
                assert_registration(api, enabled == "true")
                assert json.loads(cli(host, "config", "get", key).stdout) is (enabled == "true")
        listed = cli(host, "config", "set", "ServiceSettings.DCRRedirectURIAllowlist", "https://a.example/*",
                     "http://127.0.0.1/*")
        assert listed.returncode == 0, listed.stderr
        assert json.loads(cli(host, "config", "get", "ServiceSettings.DCRRedirectURIAllowlist").stdout) == [
            "https://a.example/*", "http://127.0.0.1/*"]
        wrong = cli(host, "config", "set", key, "maybe")
        assert wrong.returncode == 1 and "true or false" in wrong.stderr
        invalid = cli(host, "config", "set", "ServiceSettings.SiteURL", "ftp://chat.example.com")
        assert invalid.returncode == 1 and "Site URL must be a valid URL" in invalid.stderr
        emptied = cli(host, "config", "set", "ServiceSettings.DCRRedirectURIAllowlist")  # no value: an empty list
        assert emptied.returncode == 0, emptied.stderr
        assert json.loads(cli(host, "config", "get", "ServiceSettings.DCRRedirectURIAllowlist").stdout) == []
        assert cli(host, "config", "set", "ServiceSettings.SiteURL").returncode == 1  # one value needed
    finally:
        cli(host, "config", "set", key, "false")


def hook_failures(host, plugin_id: str) -> list[dict]:
    return [line for line in host.log_lines() if line.get("@message") == "Plugin OnConfigurationChange hook failed"
            and line.get("plugin_id") == plugin_id]


def test_a_plugin_that_stalls_holds_the_answer_no_longer_than_the_hook_timeout(make_host):
    """Beside the OAuth plugin runs one whose OnConfigurationChange never answers (tests/fakes/stalling_plugin.py).
    The answer comes once the host has given up on it (logged, DEADLINE_EXCEEDED), within the hook timeout, and
    the change is in force in the plugin that did answer."""
    host = make_host()
    host.data_dir.mkdir(parents=True)
    plugins = host.data_dir / "plugins"
    plugins.mkdir()
    install_fake_plugin(plugins, STALLING_PLUGIN, "stalling_plugin.py")

    def change(config):
        config["PluginSettings"].update(HookTimeoutSeconds=HOOK_TIMEOUT)
        config["PluginSettings"]["PluginStates"] = {PLUGIN_ID: {"Enable": True}, STALLING_PLUGIN: {"Enable": True}}
    host.configure(change)
    host.start()
    host.wait_state(2, STALLING_PLUGIN)
    api = Api(host.url)
    assert api.post("/api/v4/users", {"email": "boss@example.com", "username": "boss",
                                      "password": ADMIN_PASSWORD}).status == 201
    token = api.login("boss", ADMIN_PASSWORD).headers["Token"]

    started = time.monotonic()
    reply = api.put("/api/v4/config/patch", {"ServiceSettings": {"EnableDynamicClientRegistration": True}},
                    token=token)
    elapsed = time.monotonic() - started
    assert reply.status == 200, reply.body
    assert_registration(api, True)  # the OAuth plugin acknowledged before the answer
    failures = hook_failures(host, STALLING_PLUGIN)
    assert failures and "DEADLINE_EXCEEDED" in failures[0]["error"], "the answer came before the host gave up"
    assert HOOK_TIMEOUT <= elapsed < HOOK_TIMEOUT + SLACK, elapsed
    assert not hook_failures(host, PLUGIN_ID)
    # The stalled plugin is still running: a slow hook is not a failed health check.
    assert host.status(STALLING_PLUGIN)["state"] == 2
    assert json.loads((host.data_dir / "config.json").read_text())["ServiceSettings"][
        "EnableDynamicClientRegistration"] is True

"""The plugin's database settings (DriverName, DataSource): as SqlSettings, nobody changes them through the API, not
even a system admin or an app holding an admin's OAuth token (it could point the provider at a database it controls
and forge tokens for anyone); config.json and the local-mode command line (`python -m server_stub config set`) can,
and then the plugin moves to the new database at once if it holds the provider's data, or refuses, saying why;
never does it start on an empty database by surprise."""
from __future__ import annotations

import json
import subprocess
import sys

from plugin.store.sqlite import SqliteStore
from server_stub.__main__ import local_request
from tests.conftest import PLUGIN_ID, ROOT, HostProcess, wait_for
from tests.faults.flow import CALLBACK, Client, OAuthHttp
from tests.host.conftest import Api
from tests.store.builders import app as app_record

FAKE_SETTING = "********************************"
NOT_ALLOWED = "api.config.update_config.not_allowed_security.app_error"
REFUSED = "plugin.oauth.database.change_refused.app_error"


def plugin_settings(host: HostProcess) -> dict:
    config = json.loads((host.data_dir / "config.json").read_text())
    return config["PluginSettings"]["Plugins"].get(PLUGIN_ID, {})


def start_with_data(make_host, name: str = "host") -> tuple[HostProcess, OAuthHttp]:
    """A host whose plugin keeps its data in `oauth.db` beside config.json, with an admin and an app."""
    host = make_host(name)
    host.data_dir.mkdir(parents=True)
    database = host.data_dir / "oauth.db"
    host.configure(lambda c: c["PluginSettings"]["Plugins"].update(
        {PLUGIN_ID: {"drivername": "sqlite", "datasource": str(database)}}))
    host.start()
    return host, OAuthHttp(Client(host.url))


def app_names(flow: OAuthHttp) -> list[str]:
    reply = flow.client.request("GET", "/api/v4/oauth/apps", token=flow.admin.token)
    assert reply.status == 200, reply.body
    return sorted(app["name"] for app in reply.json)


def provider_database_with_an_app(path, name: str) -> None:
    """Another database the provider already uses (a copy, another node's): migrated, one app in it."""
    store = SqliteStore(str(path))
    try:
        store.migrate()
        store.save_app(app_record(name=name))
    finally:
        store.close()


def cli(host: HostProcess, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server_stub", *args, "--data-dir", str(host.data_dir)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


DATASOURCE_KEY = f"PluginSettings.Plugins.{PLUGIN_ID}.DataSource"


def test_nobody_changes_the_plugins_database_through_the_api(make_host):
    host, flow = start_with_data(make_host)
    before = plugin_settings(host)
    # What a third-party app of the admin holds, with the scope that lets it try (system:manage).
    manager = flow.client.request("POST", "/api/v4/oauth/apps", token=flow.admin.token, json={
        "name": "Manager", "homepage": "https://app.example.com", "callback_urls": [CALLBACK],
        "allowed_scopes": ["system:manage"]}).json
    admin_oauth_token = flow.tokens(flow.admin, manager, scope="system:manage")["access_token"]
    api = Api(host.url)
    assert api.get("/api/v4/config", token=admin_oauth_token).status == 200  # it does act as the admin
    for token in (flow.admin.token, admin_oauth_token):
        for change in ({"DataSource": "/tmp/attacker.db"}, {"datasource": "/tmp/attacker.db"},
                       {"DriverName": "postgres", "DataSource": "postgres://attacker@evil.example/db"},
                       {"drivername": "postgres"}):
            reply = api.put("/api/v4/config/patch", {"PluginSettings": {"Plugins": {PLUGIN_ID: change}}},
                            token=token)
            assert (reply.status, reply.error_id) == (403, NOT_ALLOWED), (change, reply.body)
        full = api.get("/api/v4/config", token=token).json
        assert full["PluginSettings"]["Plugins"][PLUGIN_ID]["datasource"] == FAKE_SETTING  # shown masked
        full["PluginSettings"]["Plugins"][PLUGIN_ID]["datasource"] = "/tmp/attacker.db"
        reply = api.put("/api/v4/config", full, token=token)
        assert (reply.status, reply.error_id) == (403, NOT_ALLOWED), reply.body
        reply = api.put("/api/v4/config/patch", {"PluginSettings": {"Plugins": {PLUGIN_ID: None}}}, token=token)
        assert (reply.status, reply.error_id) == (403, NOT_ALLOWED), reply.body
    # What the API may do still works, and keeps the database as it is: the masked value sent back, or a full
    # update that leaves the plugin's settings out.
    full = api.get("/api/v4/config", token=flow.admin.token).json
    assert api.put("/api/v4/config", full, token=flow.admin.token).status == 200
    del full["PluginSettings"]["Plugins"]
    full["ServiceSettings"]["SiteURL"] = "https://chat.example.com"
    assert api.put("/api/v4/config", full, token=flow.admin.token).status == 200
    assert {k: v for k, v in plugin_settings(host).items() if k in ("drivername", "datasource")} == before
    assert app_names(flow) == ["Fault app", "Manager"]  # the same database


def test_the_command_line_moves_the_plugin_to_a_database_that_holds_its_data_at_once(make_host):
    host, flow = start_with_data(make_host)
    token = flow.tokens(flow.admin)["access_token"]
    assert flow.me(token).status == 200
    other = host.data_dir.parent / "other.db"
    provider_database_with_an_app(other, "Elsewhere")

    moved = cli(host, "config", "set", DATASOURCE_KEY, str(other))
    assert moved.returncode == 0, moved.stderr
    # In force when the command returns: the apps are the other database's, and the token issued from the first
    # is not known there (the host kept no answer of the plugin from before the move).
    assert app_names(flow) == ["Elsewhere"]
    assert flow.me(token).status == 401
    assert plugin_settings(host)["datasource"] == str(other)
    shown = cli(host, "config", "get", DATASOURCE_KEY)
    assert shown.returncode == 0 and json.loads(shown.stdout) == FAKE_SETTING

    back = cli(host, "config", "set", DATASOURCE_KEY, str(host.data_dir / "oauth.db"))
    assert back.returncode == 0, back.stderr
    assert app_names(flow) == ["Fault app"] and flow.me(token).status == 200


def test_the_command_line_cannot_point_the_plugin_at_an_empty_database(make_host):
    host, flow = start_with_data(make_host)
    before = plugin_settings(host)
    empty = host.data_dir.parent / "empty.db"
    refused = cli(host, "config", "set", DATASOURCE_KEY, str(empty))
    assert refused.returncode == 1
    assert "holds no OAuth provider data" in refused.stderr and str(empty) in refused.stderr, refused.stderr
    assert plugin_settings(host) == before  # nothing saved
    assert not empty.exists()  # nothing created
    assert app_names(flow) == ["Fault app"]
    # The same through the local-mode API itself: the plugin's AppError.
    status, body = local_request(str(host.data_dir), "PUT", "/api/v4/config/patch",
                                 {"PluginSettings": {"Plugins": {PLUGIN_ID: {"datasource": str(empty)}}}})
    assert (status, body["id"], body["status_code"]) == (400, REFUSED, 400), body


def test_an_empty_database_named_in_config_json_while_the_server_was_down_is_refused_at_start(make_host):
    host, flow = start_with_data(make_host)
    host.stop()
    empty = host.data_dir.parent / "empty.db"
    host.configure(lambda c: c["PluginSettings"]["Plugins"][PLUGIN_ID].update(datasource=str(empty)))
    host.start(wait_running=False)
    status = host.wait_state(3)  # failed to start, saying why
    assert "holds no OAuth provider data" in status["error"] and "served the provider from" in status["error"]
    assert not empty.exists()
    host.stop()
    host.configure(lambda c: c["PluginSettings"]["Plugins"][PLUGIN_ID].update(
        datasource=str(host.data_dir / "oauth.db")))
    host.start()
    assert app_names(flow) == ["Fault app"]


def test_an_empty_database_named_in_config_json_while_the_server_runs_is_refused(make_host):
    host, flow = start_with_data(make_host)
    empty = host.data_dir.parent / "empty.db"
    host.configure(lambda c: c["PluginSettings"]["Plugins"][PLUGIN_ID].update(datasource=str(empty)))
    failures = wait_for(lambda: [line for line in host.log_lines()
                                 if line.get("@message") == "Plugin OnConfigurationChange hook failed"
                                 and "holds no OAuth provider data" in line.get("error", "")],
                        message="the plugin to refuse the new database")
    assert "keeps serving from" in failures[0]["error"]
    assert app_names(flow) == ["Fault app"] and host.status()["state"] == 2
    assert not empty.exists()
    host.stop()  # and it does not start on it later either
    host.start(wait_running=False)
    assert "holds no OAuth provider data" in host.wait_state(3)["error"]

"""Mattermost's official JavaScript client (@mattermost/client, pinned in tests/interop/mattermost_client) works
against the host unchanged: sign-up, login (its `Token` header), me, roles, config, deactivation, plugins, logout,
and its error handling (it parses AppError bodies only when Content-Type is exactly application/json); and, acting
for a user with an OAuth access token, teams, channels and posts (posts.js).

Needs Node.js and npm (the package is installed with `npm ci` into a temporary directory). In CI (CI=true) their
absence fails the test; locally it skips.
"""
from __future__ import annotations

import json
import pathlib
import subprocess

import pytest

from tests.interop import npm


@pytest.fixture(scope="session")
def client_dir(tmp_path_factory) -> pathlib.Path:
    return npm.install("mattermost_client", tmp_path_factory.mktemp("mattermost_client"))


def test_official_javascript_client_works_against_the_host(make_host, client_dir):
    host = make_host().start()
    run = subprocess.run(["node", "scenario.js", host.url], cwd=client_dir, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)

    assert out["createAdmin"]["ok"] and out["createAdmin"]["value"]["roles"] == "system_admin system_user"
    assert out["wrongPassword"] == {"ok": False, "status_code": 401,
                                    "server_error_id": "api.user.login.invalid_credentials_email_username",
                                    "message": "Enter a valid email or username and/or password."}
    assert out["login"]["ok"] and out["tokenSet"] == 26
    assert out["me"]["value"]["username"] == "admin"
    assert out["patchRole"]["ok"] and "manage_oauth" in out["patchRole"]["value"]["permissions"]
    assert sorted(r["name"] for r in out["rolesByNames"]["value"]) == ["system_admin", "system_user"]
    assert out["config"]["value"]["SqlSettings"]["DataSource"] == "********************************"
    assert out["patchConfig"]["value"]["ServiceSettings"]["SiteURL"] == "https://chat.example.com"
    assert out["createUser"]["ok"] and out["createUser"]["value"]["roles"] == "system_user"
    assert out["userLogin"]["ok"]
    assert (out["userConfig"]["status_code"], out["userConfig"]["server_error_id"]) == \
        (403, "api.context.permissions.app_error")
    assert out["deactivate"] == {"ok": True, "value": {"status": "OK"}}
    assert out["userMeAfterDeactivation"]["status_code"] == 401
    assert out["pluginStatuses"]["ok"] and out["pluginStatuses"]["value"][0]["state"] == 2
    assert out["logout"] == {"ok": True, "value": 200}
    assert (out["meAfterLogout"]["status_code"], out["meAfterLogout"]["server_error_id"]) == \
        (401, "api.context.session_expired.app_error")


def test_official_javascript_client_creates_and_reads_posts_with_an_oauth_access_token(make_host, client_dir):
    from tests.faults.flow import Client, OAuthHttp

    host = make_host().start()
    flow = OAuthHttp(Client(host.url))
    user = flow.account("jsuser")
    access_token = flow.tokens(user)["access_token"]
    team = flow.client.request("POST", "/api/v4/teams", token=flow.admin.token,
                               json={"name": "admins", "display_name": "Admins", "type": "O"}).json
    elsewhere = flow.client.request("GET", f"/api/v4/teams/{team['id']}/channels/name/town-square",
                                  token=flow.admin.token).json
    run = subprocess.run(["node", "posts.js", host.url, access_token, elsewhere["id"]], cwd=client_dir,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)

    assert out["me"]["value"]["id"] == user.id
    assert out["team"]["ok"] and [t["id"] for t in out["myTeams"]["value"]] == [out["team"]["value"]["id"]]
    assert sorted(c["name"] for c in out["myChannels"]["value"]) == ["off-topic", "town-square"]
    first, second, reply = (out[name]["value"] for name in ("first", "second", "reply"))
    assert first["props"] == {"from_oauth_app": "true"} and first["user_id"] == user.id
    assert second["props"] == {"override_username": "JS Bot", "from_oauth_app": "true"}
    assert reply["root_id"] == first["id"]
    page = out["posts"]["value"]
    assert page["order"] == [reply["id"], second["id"]] and page["prev_post_id"] == first["id"]
    assert first["id"] in page["posts"]  # the root of the reply in the page
    assert out["before"]["value"]["order"] == [first["id"]]
    assert out["after"]["value"]["order"] == [reply["id"], second["id"]]
    assert out["since"]["value"]["order"] == [reply["id"]]
    assert out["post"]["value"]["message"] == "first from js"
    assert out["patched"]["value"]["message"] == "edited from js"
    assert out["deleted"] == {"ok": True, "value": {"status": "OK"}}
    assert (out["tooLong"]["status_code"], out["tooLong"]["server_error_id"]) == \
        (400, "model.post.is_valid.message_length.app_error")
    assert (out["notAMember"]["status_code"], out["notAMember"]["server_error_id"]) == \
        (403, "api.context.permissions.app_error")

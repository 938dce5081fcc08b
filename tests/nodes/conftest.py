"""Several nodes over one PostgreSQL: real host processes, each with its own data directory, port and plugin
process, all pointing SqlSettings (the host's users and sessions) and the plugin's DriverName/DataSource (apps,
codes, tokens) at one database. Nothing else is shared, as behind a load balancer.

Needs OAUTH_TEST_POSTGRES_DSN (tests/postgres.py): in CI its absence fails these tests, locally they skip."""
from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import hashlib
import secrets
import urllib.parse

from tests.conftest import PLUGIN_ID, HostProcess, free_port
from tests.host.conftest import Api, Reply

CALLBACK = "https://app.example.com/callback"
PASSWORD = "Passw0rd-for-nodes"


def point_at(host: HostProcess, dsn: str, plugin_settings: dict | None = None) -> None:
    """Configure a node (before it starts) to keep everything in the PostgreSQL database `dsn` (and to set the
    plugin's `plugin_settings`, as every node of a cluster must agree on some)."""
    def change(config: dict) -> None:
        config["SqlSettings"] = {"DriverName": "postgres", "DataSource": dsn}
        plugins = config["PluginSettings"].setdefault("Plugins", {})
        plugins[PLUGIN_ID] = {**plugins.get(PLUGIN_ID, {}), **(plugin_settings or {}), "drivername": "postgres",
                              "datasource": dsn}

    host.configure(change)


@dataclasses.dataclass
class Node:
    name: str
    process: HostProcess
    api: Api


def start_nodes(base_dir, dsn: str, count: int = 2, shared_plugin_settings: dict | None = None) -> list[Node]:
    """`count` hosts on free ports, started together (they race to migrate the shared schema and to generate the
    signing keys)."""
    processes = []
    for index in range(count):
        name = "node-" + "abcdefgh"[index]
        process = HostProcess(base_dir / name, free_port())
        point_at(process, dsn, shared_plugin_settings)
        processes.append(process)
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        list(pool.map(lambda p: p.start(), processes))
    return [Node(p.data_dir.name, p, Api(p.url)) for p in processes]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def form(**fields) -> dict:
    return {"body": urllib.parse.urlencode(fields),
            "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


def sign_up(api: Api, username: str, admin_token: str | None = None) -> tuple[str, str]:
    """Create an account (the first one of the database becomes its system admin) and log in: (id, token)."""
    created = api.post("/api/v4/users", {"email": f"{username}@example.com", "username": username,
                                          "password": PASSWORD}, token=admin_token)
    assert created.status == 201, created.body
    return created.json["id"], api.login(username, PASSWORD).headers["Token"]


def create_app(api: Api, token: str, name: str = "Shared app") -> dict:
    reply = api.post("/api/v4/oauth/apps", {"name": name, "homepage": "https://app.example.com",
                                            "description": "on every node", "callback_urls": [CALLBACK]},
                     token=token)
    assert reply.status == 201, reply.body
    return reply.json


def code_for(api: Api, user_token: str, app: dict, challenge: str) -> str:
    """Consent (Mattermost's POST /oauth/authorize) and the code from the redirect it answers."""
    reply = api.post("/oauth/authorize", {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK,
                                          "state": "s", "code_challenge": challenge,
                                          "code_challenge_method": "S256"}, token=user_token)
    assert reply.status == 200, reply.body
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(reply.json["redirect"]).query)
    return query["code"][0]


def exchange(api: Api, app: dict, code: str, verifier: str) -> Reply:
    return api.post("/oauth/access_token", **form(
        grant_type="authorization_code", code=code, redirect_uri=CALLBACK, client_id=app["id"],
        client_secret=app["client_secret"], code_verifier=verifier))


def refresh(api: Api, app: dict, refresh_token: str) -> Reply:
    return api.post("/oauth/access_token", **form(
        grant_type="refresh_token", refresh_token=refresh_token, client_id=app["id"],
        client_secret=app["client_secret"]))


def tokens_for(api: Api, user_token: str, app: dict) -> dict:
    verifier, challenge = pkce()
    issued = exchange(api, app, code_for(api, user_token, app, challenge), verifier)
    assert issued.status == 200, issued.body
    return issued.json


def me(api: Api, token: str) -> Reply:
    return api.get("/api/v4/users/me", token=token)

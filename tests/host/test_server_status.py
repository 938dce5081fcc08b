"""GET /api/v4/system/ping?get_server_status=true as Mattermost answers it, plus each enabled plugin's state, and the
System Console's status page with the plugins' last errors: a real host, a real plugin and a plugin that cannot
start."""
from __future__ import annotations

import asyncio
import os

from server_stub.web import system_status
from tests.conftest import PLUGIN_ID, HostProcess, free_port, install_fake_plugin
from tests.faults.flow import Client, OAuthHttp
from tests.host.conftest import Api

BROKEN = "com.example.broken"


def test_ping_with_server_status_reports_database_files_and_plugins(tmp_path):
    host = HostProcess(tmp_path / "data", free_port())
    host.start()
    try:
        api = Api(host.url)
        plain = api.get("/api/v4/system/ping")
        assert plain.status == 200 and plain.json["status"] == "OK" and "database_status" not in plain.json

        full = api.get("/api/v4/system/ping?get_server_status=true")
        assert full.status == 200, full.body
        body = full.json
        assert (body["status"], body["database_status"], body["filestore_status"]) == ("OK", "OK", "OK")
        assert body["plugin_statuses"] == [{"plugin_id": PLUGIN_ID, "state": 2, "status": "OK"}]
        assert body["ActiveSearchBackend"] == "database" and "root_status" not in body  # not for anonymous callers
        assert (full.headers["status"], full.headers["database_status"], full.headers["filestore_status"]) == \
            ("OK", "OK", "OK")
        admin = OAuthHttp.__new__(OAuthHttp)
        admin.client = Client(host.url)
        token = admin.account("admin", first=True).token
        as_admin = api.get("/api/v4/system/ping?get_server_status=true", token=token)
        assert as_admin.json["root_status"] is (os.geteuid() == 0)
    finally:
        host.stop()


def test_a_plugin_that_cannot_start_makes_the_server_unhealthy_and_its_errors_are_shown(tmp_path):
    host = HostProcess(tmp_path / "data", free_port())
    (host.data_dir / "plugins").mkdir(parents=True)
    install_fake_plugin(host.data_dir / "plugins", BROKEN, "bad_handshake.py")
    host.configure(lambda c: c["PluginSettings"]["PluginStates"].update({BROKEN: {"Enable": True}}))
    host.start()
    try:
        host.wait_state(3, BROKEN)
        api = Api(host.url)
        reply = api.get("/api/v4/system/ping?get_server_status=true")
        assert reply.status == 500 and reply.json["status"] == "UNHEALTHY" and reply.headers["status"] == "UNHEALTHY"
        assert {"plugin_id": BROKEN, "state": 3, "status": "UNHEALTHY"} in reply.json["plugin_statuses"]
        assert reply.json["database_status"] == "OK"
        rest = api.get("/api/v4/system/ping?get_server_status=true&use_rest_semantics=true")
        assert rest.status == 200 and rest.json["status"] == "UNHEALTHY"
        assert api.get("/api/v4/system/ping").status == 200  # the balancer's check looks at the server alone

        admin = OAuthHttp.__new__(OAuthHttp)
        admin.client = Client(host.url)
        token = admin.account("admin", first=True).token
        page = api.get("/admin/status", token=token)
        assert page.status == 200
        text = page.body.decode()
        assert 'data-check="status">UNHEALTHY' in text and 'data-check="database_status">OK' in text
        section = text[text.index(f'id="status-{BROKEN}"'):]
        section = section[:section.index("</section>")]
        assert "Failed to start (3)" in section
        assert "Unrecognized remote plugin message" in section.split("Last errors")[1]  # go-plugin's words
        assert api.get("/admin/status").status == 302  # no session: to the log-in page
    finally:
        host.stop()


def test_database_that_refuses_the_write_is_unhealthy():
    class Refusing:
        def health_check(self):
            raise OSError("disk I/O error")

    class Host:
        accounts = Refusing()

    assert asyncio.run(system_status.database_status(Host())) == "UNHEALTHY"

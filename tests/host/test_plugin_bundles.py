"""Plugin bundles: the bundle `make bundle` builds, installed on a fresh host through the API and the command line,
enabled (the host launches the installed copy), serving the OAuth flow, upgraded with its data kept, and removed;
and bad bundles, each refused with Mattermost's error id."""
from __future__ import annotations

import io
import json
import os
import pathlib
import stat
import subprocess
import sys
import tarfile

import pytest

from server_stub.__main__ import multipart_form
from tests.conftest import PLUGIN_ID, ROOT, HostProcess, free_port, wait_for
from tests.faults.flow import Client, OAuthHttp
from tests.host.conftest import Api


def allow_uploads(config: dict, **file_settings) -> None:
    config["PluginSettings"]["AutomaticPrepackagedPlugins"] = False  # nothing from the checkout: bundles only
    config["PluginSettings"]["EnableUploads"] = True
    config["FileSettings"].update(file_settings)


def fresh_host(tmp_path: pathlib.Path, name: str, **file_settings) -> HostProcess:
    host = HostProcess(tmp_path / name, free_port())
    host.configure(lambda c: allow_uploads(c, **file_settings))
    return host.start(wait_running=False)


def upload(api: Api, token: str, data: bytes, force: bool = False, filename: str = "bundle.tar.gz"):
    content_type, body = multipart_form({"force": "true" if force else "false"}, {"plugin": (filename, data)})
    return api.request("POST", "/api/v4/plugins", body=body, token=token, headers={"Content-Type": content_type})


def cli(host: HostProcess, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server_stub", *args, "--data-dir", str(host.data_dir)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def with_version(bundle: pathlib.Path, version: str) -> bytes:
    """The same bundle with another version in its plugin.json (an upgrade)."""
    out = io.BytesIO()
    with tarfile.open(bundle, "r:gz") as source, tarfile.open(fileobj=out, mode="w:gz", compresslevel=1) as target:
        for member in source:
            data = source.extractfile(member).read() if member.isreg() else None
            if member.name == f"{PLUGIN_ID}/plugin.json":
                manifest = json.loads(data)
                manifest["version"] = version
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def tar_gz(entries: dict[str, bytes | None]) -> bytes:
    """A .tar.gz of name -> content (None: a folder)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def manifest_json(plugin_id: str = "com.example.demo") -> bytes:
    return json.dumps({"id": plugin_id, "name": "Demo", "version": "1.0.0",
                       "server": {"executable": "server"}}).encode()


@pytest.fixture
def admin_of():
    def login(host: HostProcess) -> tuple[Api, OAuthHttp]:
        flow = OAuthHttp.__new__(OAuthHttp)  # the admin only: the app needs the plugin, which is not there yet
        flow.client = Client(host.url)
        flow.admin = flow.account("admin", first=True)
        return Api(host.url), flow
    return login


def test_bundle_is_uploaded_enabled_serves_oauth_is_upgraded_and_removed(tmp_path, plugin_bundle, admin_of):
    host = fresh_host(tmp_path, "api")
    try:
        api, flow = admin_of(host)
        token = flow.admin.token
        installed = upload(api, token, plugin_bundle.read_bytes())
        assert installed.status == 201, installed.body
        assert installed.json["id"] == PLUGIN_ID and installed.json["version"] == "0.1.0"

        # Installed, disabled, not running; the installed copy is private to the host's user.
        status = host.status()
        assert status["state"] == 0
        plugin_dir = host.data_dir / "plugins" / PLUGIN_ID
        assert status["plugin_path"] == str(plugin_dir) and not plugin_dir.is_symlink()
        for path in [plugin_dir, *plugin_dir.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            assert mode in ((0o700,) if path.is_dir() else (0o600, 0o700)), (path, oct(mode))
        assert stat.S_IMODE((plugin_dir / "bin" / "oauth-provider").stat().st_mode) == 0o700
        assert api.get("/oauth/authorize").status == 501  # no provider while it is disabled

        # Enabled: the host launches the installed copy, which serves the whole flow.
        assert api.post(f"/api/v4/plugins/{PLUGIN_ID}/enable", token=token).status == 200
        host.wait_state(2)
        pid = host.plugin_pid()
        assert os.readlink(f"/proc/{pid}/cwd") == str(plugin_dir)
        assert f"PYTHONPATH={plugin_dir}/lib".encode() in pathlib.Path(f"/proc/{pid}/environ").read_bytes()
        flow.app = flow.create_app()
        user = flow.account()
        tokens = flow.tokens(user)
        assert flow.me(tokens["access_token"]).json["id"] == user.id

        # Installing it again is refused without force; with force it is an upgrade: running again, same data.
        again = upload(api, token, plugin_bundle.read_bytes())
        assert again.status == 400 and again.error_id == "app.plugin.install_id.app_error"
        upgraded = upload(api, token, with_version(plugin_bundle, "0.1.1"), force=True)
        assert upgraded.status == 201, upgraded.body
        assert upgraded.json["version"] == "0.1.1"
        status = host.wait_state(2)
        assert status["version"] == "0.1.1" and host.plugin_pid() != pid
        assert flow.me(tokens["access_token"]).json["id"] == user.id  # the token issued before the upgrade
        apps = api.get("/api/v4/oauth/apps", token=token)
        assert [a["id"] for a in apps.json] == [flow.app["id"]]

        # Removed: stopped, gone from the plugin list and the disk, disabled for a reinstall; its data stays.
        removed = api.request("DELETE", f"/api/v4/plugins/{PLUGIN_ID}", token=token)
        assert removed.status == 200 and removed.json == {"status": "OK"}
        assert not plugin_dir.exists()
        assert all(s["plugin_id"] != PLUGIN_ID for s in host.local("GET", "/api/v4/plugins/statuses")[1])
        assert api.get("/oauth/authorize").status == 501
        assert (host.data_dir / "files" / "plugins" / PLUGIN_ID / "oauth.db").exists()
        gone = api.request("DELETE", f"/api/v4/plugins/{PLUGIN_ID}", token=token)
        assert gone.status == 404 and gone.error_id == "app.plugin.not_installed.app_error"
        assert upload(api, token, plugin_bundle.read_bytes()).status == 201
        assert host.status()["state"] == 0  # removal disabled it: a reinstall stays disabled
    finally:
        host.stop()


def test_command_line_adds_and_removes_a_bundle_through_local_mode(tmp_path, plugin_bundle):
    host = fresh_host(tmp_path, "cli")
    try:
        added = cli(host, "plugin", "add", str(plugin_bundle))
        assert added.returncode == 0, added.stderr
        assert f"Plugin {PLUGIN_ID} 0.1.0 installed" in added.stdout
        taken = cli(host, "plugin", "add", str(plugin_bundle))
        assert taken.returncode == 1 and "already installed" in taken.stderr
        assert cli(host, "plugin", "enable", PLUGIN_ID).returncode == 0
        host.wait_state(2)
        assert cli(host, "plugin", "add", str(plugin_bundle), "--force").returncode == 0
        host.wait_state(2)
        removed = cli(host, "plugin", "remove", PLUGIN_ID)
        assert removed.returncode == 0, removed.stderr
        assert not (host.data_dir / "plugins" / PLUGIN_ID).exists()
        missing = cli(host, "plugin", "remove", PLUGIN_ID)
        assert missing.returncode == 1 and "not installed" in missing.stderr
        unreadable = cli(host, "plugin", "add", str(tmp_path / "no-such.tar.gz"))
        assert unreadable.returncode == 1 and "Cannot read" in unreadable.stderr
    finally:
        host.stop()


BAD_BUNDLES = {
    "not a gzip file": (b"plain text, not an archive", 400, "app.plugin.extract.app_error"),
    "no manifest": (tar_gz({"demo/": None, "demo/server": b"#!/bin/sh\n"}), 400, "app.plugin.manifest.app_error"),
    "manifest not JSON": (tar_gz({"demo/plugin.json": b"{not json"}), 400, "app.plugin.manifest.app_error"),
    "manifest invalid": (tar_gz({"demo/plugin.json": json.dumps({"id": "com.example.demo"}).encode()}), 400,
                         "app.plugin.manifest.app_error"),
    "invalid id": (tar_gz({"demo/plugin.json": manifest_json("a/b")}), 400, "app.plugin.invalid_id.app_error"),
    "path escaping the folder": (tar_gz({"demo/plugin.json": manifest_json(), "demo/../../escaped": b"x"}), 400,
                                 "app.plugin.extract.app_error"),
    "absolute path": (tar_gz({"demo/plugin.json": manifest_json(), "/tmp/absolute": b"x"}), 400,
                      "app.plugin.extract.app_error"),
    "too large": (b"\0" * 200_000, 413, "api.context.request_body_too_large.app_error"),
}


def test_bad_bundles_are_refused_each_with_its_error_id(tmp_path, admin_of):
    host = fresh_host(tmp_path, "bad", MaxFileSize=100_000)
    try:
        api, flow = admin_of(host)
        for case, (data, status, error_id) in BAD_BUNDLES.items():
            reply = upload(api, flow.admin.token, data)
            assert (reply.status, reply.error_id) == (status, error_id), (case, reply.body)
        assert not (tmp_path / "escaped").exists() and not pathlib.Path("/tmp/absolute").exists()
        leftovers = [p.name for p in (host.data_dir / "plugins").iterdir()]
        assert leftovers == [], leftovers  # nothing half-installed

        good = tar_gz({"demo/plugin.json": manifest_json(), "demo/server": b"#!/bin/sh\nexit 1\n"})
        assert upload(api, flow.admin.token, good).status == 201
        taken = upload(api, flow.admin.token, good)
        assert (taken.status, taken.error_id) == (400, "app.plugin.install_id.app_error")
        no_file = api.request("POST", "/api/v4/plugins", body=b"", token=flow.admin.token,
                              headers={"Content-Type": "multipart/form-data; boundary=x"})
        assert no_file.status == 400 and no_file.error_id.startswith("api.plugin.upload.")

        user = flow.account()
        refused = upload(api, user.token, good, force=True)
        assert refused.status == 403 and refused.error_id == "api.context.permissions.app_error"
        assert api.request("DELETE", "/api/v4/plugins/com.example.demo", token=user.token).status == 403

        host.configure(lambda c: c["PluginSettings"].update(EnableUploads=False))
        wait_for(lambda: upload(api, flow.admin.token, good, force=True).status == 501,
                 message="uploads turned off")
        off = upload(api, flow.admin.token, good, force=True)
        assert off.error_id == "app.plugin.upload_disabled.app_error"
        changed = api.put("/api/v4/config/patch", {"PluginSettings": {"EnableUploads": True}}, token=flow.admin.token)
        assert changed.status == 403, "only config.json or the command line may allow uploads"
    finally:
        host.stop()


def test_system_console_uploads_a_bundle_with_its_csrf_token(tmp_path, admin_of):
    from tests.forms import hidden_fields

    host = fresh_host(tmp_path, "console")
    try:
        api, flow = admin_of(host)
        page = api.get("/admin/plugins", token=flow.admin.token)
        assert page.status == 200 and b'enctype="multipart/form-data"' in page.body
        csrf = hidden_fields(page.body)["csrf"]
        bundle = tar_gz({"demo/plugin.json": manifest_json(), "demo/server": b"#!/bin/sh\nexit 1\n"})

        def post(fields: dict, data: bytes = bundle):
            content_type, body = multipart_form(fields, {"plugin": ("demo.tar.gz", data)})
            return api.request("POST", "/admin/plugins/upload", body=body, token=flow.admin.token,
                               headers={"Content-Type": content_type})

        forged = post({"csrf": "not-the-token"})
        assert forged.status == 403 and not (host.data_dir / "plugins" / "com.example.demo").exists()
        done = post({"csrf": csrf})
        assert done.status == 303 and done.headers["Location"] == "/admin/plugins?installed=com.example.demo"
        listed = api.get(done.headers["Location"], token=flow.admin.token)
        assert b"com.example.demo" in listed.body and b"starts disabled" in listed.body
        taken = post({"csrf": csrf})
        assert taken.status == 400 and b"already installed" in taken.body
        broken = post({"csrf": csrf}, b"not a bundle")
        assert broken.status == 400 and b"extracting the plugin" in broken.body
        assert post({"csrf": csrf, "force": "true"}).status == 303
    finally:
        host.stop()

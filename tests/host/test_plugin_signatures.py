"""PluginSettings.RequirePluginSignature: a bundle is installed only with a good detached OpenPGP signature by one of
the configured public keys (made here with GnuPG), through the API and the command line."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile

import pytest

from server_stub import plugin_signatures
from server_stub.__main__ import multipart_form
from tests.conftest import ROOT, HostProcess, free_port
from tests.faults.flow import Client, OAuthHttp
from tests.host.conftest import Api
from tests.host.test_plugin_bundles import manifest_json, tar_gz

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None or shutil.which("gpgv") is None,
                                reason="GnuPG (gpg, gpgv) is not installed")


class Signer:
    """A key pair in a GnuPG home of its own."""

    def __init__(self, name: str) -> None:
        self.home = tempfile.mkdtemp(prefix="gpg-", dir="/tmp")  # short: gpg-agent's socket lives there
        self.gpg("--quick-gen-key", f"{name} <{name}@example.com>", "ed25519", "sign", "never")

    def gpg(self, *args: str, data: bytes | None = None) -> bytes:
        return subprocess.run(["gpg", "--homedir", self.home, "--batch", "--pinentry-mode", "loopback",
                               "--passphrase", "", *args], input=data, capture_output=True, check=True,
                              timeout=60).stdout

    def public_key(self, armor: bool = True) -> bytes:
        return self.gpg("--export", *(["--armor"] if armor else []))

    def sign(self, data: bytes, armor: bool = False) -> bytes:
        return self.gpg("--detach-sign", *(["--armor"] if armor else []), "--output", "-", data=data)

    def close(self) -> None:
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "gpg-agent"], capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="module")
def signers():
    trusted, stranger = Signer("trusted"), Signer("stranger")
    yield trusted, stranger
    trusted.close()
    stranger.close()


def test_dearmored_key_is_gnupgs(signers):
    trusted, _ = signers
    assert plugin_signatures.dearmor(trusted.public_key(armor=True)) == trusted.public_key(armor=False)


def test_only_a_good_signature_by_a_configured_key_installs_the_bundle(tmp_path, signers):
    trusted, stranger = signers
    key_file = tmp_path / "trusted.asc"
    key_file.write_bytes(trusted.public_key())
    host = HostProcess(tmp_path / "data", free_port())
    host.configure(lambda c: c["PluginSettings"].update(
        AutomaticPrepackagedPlugins=False, EnableUploads=True, RequirePluginSignature=True,
        SignaturePublicKeyFiles=[str(key_file)]))
    host.start(wait_running=False)
    try:
        api = Api(host.url)
        flow = OAuthHttp.__new__(OAuthHttp)
        flow.client = Client(host.url)
        token = flow.account("admin", first=True).token
        bundle = tar_gz({"demo/plugin.json": manifest_json(), "demo/server": b"#!/bin/sh\nexit 1\n"})
        other = tar_gz({"demo/plugin.json": manifest_json(), "demo/server": b"#!/bin/sh\nexit 2\n"})

        def upload(signature: bytes | None, data: bytes = bundle, force: bool = False):
            files = {"plugin": ("demo.tar.gz", data)}
            if signature is not None:
                files["signature"] = ("demo.tar.gz.sig", signature)
            content_type, body = multipart_form({"force": "true" if force else "false"}, files)
            return api.request("POST", "/api/v4/plugins", body=body, token=token,
                               headers={"Content-Type": content_type})

        for case, signature, data in (("unsigned", None, bundle), ("signed by another key", stranger.sign(bundle),
                                      bundle), ("signature of another bundle", trusted.sign(other), bundle),
                                      ("not a signature", b"garbage", bundle)):
            reply = upload(signature, data)
            assert (reply.status, reply.error_id) == (400, "api.plugin.verify_plugin.app_error"), (case, reply.body)
        assert not (host.data_dir / "plugins" / "com.example.demo").exists()

        assert upload(trusted.sign(bundle)).status == 201
        assert upload(trusted.sign(other, armor=True), other, force=True).status == 201  # armored works too

        bundle_file, sig_file = tmp_path / "demo.tar.gz", tmp_path / "demo.tar.gz.sig"
        bundle_file.write_bytes(bundle)
        sig_file.write_bytes(trusted.sign(bundle))
        cli = [sys.executable, "-m", "server_stub", "plugin", "add", str(bundle_file), "--force",
               "--data-dir", str(host.data_dir)]
        unsigned = subprocess.run(cli, capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert unsigned.returncode == 1 and "verify plugin signature" in unsigned.stderr
        signed = subprocess.run(cli + ["--signature", str(sig_file)], capture_output=True, text=True, cwd=ROOT,
                                timeout=60)
        assert signed.returncode == 0, signed.stderr

        off = api.put("/api/v4/config/patch", {"PluginSettings": {"RequirePluginSignature": False}}, token=token)
        assert off.status == 403 and off.error_id == "api.config.update_config.not_allowed_security.app_error"
    finally:
        host.stop()

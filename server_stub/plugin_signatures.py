"""Plugin bundle signatures (`PluginSettings.RequirePluginSignature`): a detached OpenPGP signature of the bundle,
checked against the public keys the host is configured with (`PluginSettings.SignaturePublicKeyFiles`), as
Mattermost's verifyPlugin checks a bundle against its own key and the configured ones.

The check is GnuPG's `gpgv`, the OpenPGP verifier Debian's apt itself relies on: given only a keyring made of the
configured keys (armored keys are de-armored here), it succeeds only for a good signature by one of them. Keys are
files on the server, set in config.json or through local mode, never through the API: whoever chooses them chooses
which code the server runs.
"""
from __future__ import annotations

import base64
import binascii
import os
import shutil
import subprocess
import tempfile
from typing import BinaryIO

from .plugin_bundles import BundleError

GPGV_TIMEOUT_SECONDS = 30
_ARMOR_BEGIN = b"-----BEGIN PGP PUBLIC KEY BLOCK-----"


def _refused(detail: str) -> BundleError:
    # Mattermost's id; its status is 500, but a bundle that fails the check is the uploader's error.
    return BundleError(400, "api.plugin.verify_plugin.app_error", "Unable to verify plugin signature.", detail)


def dearmor(data: bytes) -> bytes:
    """The binary packets of an ASCII-armored public key block (RFC 4880 section 6.2); binary keys as they are."""
    if _ARMOR_BEGIN not in data:
        return data
    lines = data.split(_ARMOR_BEGIN, 1)[1].splitlines()
    body, in_headers = [], True
    for line in lines[1:]:
        line = line.strip()
        if in_headers:  # armor headers ("Comment: ...") end at the first blank line
            if not line:
                in_headers = False
            elif b":" not in line:
                in_headers = False
                body.append(line)
            continue
        if line.startswith(b"=") or line.startswith(b"-----END"):
            break  # the checksum line, or the end
        body.append(line)
    try:
        return base64.b64decode(b"".join(body), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not a valid armored public key") from None


def keyring(key_files: list[str]) -> bytes:
    packets = []
    for path in key_files:
        try:
            with open(path, "rb") as f:
                packets.append(dearmor(f.read()))
        except (OSError, ValueError) as exc:
            raise BundleError(500, "app.plugin.get_public_key.get_file.app_error",
                              "An error occurred while retrieving the public key from the file.",
                              f"{path}: {exc}") from None
    return b"".join(packets)


def verify(bundle: BinaryIO, signature: bytes | None, key_files: list[str]) -> None:
    """Raise BundleError unless `signature` is a good detached signature of the bundle by one of the keys."""
    if not signature:
        raise _refused("PluginSettings.RequirePluginSignature is on: the upload needs its signature")
    gpgv = shutil.which("gpgv")
    if gpgv is None:
        raise BundleError(500, "api.plugin.verify_plugin.app_error", "Unable to verify plugin signature.",
                          "gpgv (GnuPG) is not installed on the server")
    keys = keyring(key_files)
    if not keys:
        raise _refused("no public key is configured (PluginSettings.SignaturePublicKeyFiles)")
    with tempfile.TemporaryDirectory(prefix="plugin-signature-") as work:
        paths = {name: os.path.join(work, name) for name in ("keyring.gpg", "bundle.tar.gz", "bundle.sig")}
        with open(paths["keyring.gpg"], "wb") as f:
            f.write(keys)
        with open(paths["bundle.sig"], "wb") as f:
            f.write(signature)
        bundle.seek(0)
        with open(paths["bundle.tar.gz"], "wb") as f:
            shutil.copyfileobj(bundle, f)
        bundle.seek(0)
        try:
            done = subprocess.run(
                [gpgv, "--status-fd", "1", "--keyring", paths["keyring.gpg"], paths["bundle.sig"],
                 paths["bundle.tar.gz"]],
                capture_output=True, timeout=GPGV_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL,
                env={"GNUPGHOME": work, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"})
        except subprocess.TimeoutExpired:
            raise _refused("the signature check took too long") from None
    if done.returncode != 0 or b"[GNUPG:] VALIDSIG" not in done.stdout:
        reason = next((line.decode("utf-8", "replace") for line in done.stdout.splitlines()
                       if line.startswith((b"[GNUPG:] BADSIG", b"[GNUPG:] ERRSIG", b"[GNUPG:] NODATA"))), "")
        raise _refused(reason.replace("[GNUPG:] ", "") or "the signature does not match the bundle or any key")

"""Node packages pinned in a folder of tests/interop (package.json and package-lock.json), installed with `npm ci`
into a temporary directory with the folder's scripts. Node.js and npm come from the machine (scripts/install-node
installs Debian's when missing); without them the test skips, and in CI (CI=true) fails."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest

INTEROP = pathlib.Path(__file__).resolve().parent


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str):
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


def install(folder: str, target: pathlib.Path) -> pathlib.Path:
    """`target` with the folder's files and its pinned packages installed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("Node.js and npm are needed for this relying party (scripts/install-node)")
    for source in (INTEROP / folder).iterdir():
        if source.is_file():
            shutil.copy(source, target / source.name)
    installed = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=target,
                               capture_output=True, text=True, timeout=300)
    if installed.returncode != 0:
        unavailable(f"npm ci failed: {installed.stderr[-2000:]}")
    return target

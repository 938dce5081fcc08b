"""One plugin process per SQLite file (plugin/rpc/node_claim.py): the second is refused at activation, so the
first may let its host keep validated tokens (every revocation of the file passes through it)."""
from __future__ import annotations

import json

import pytest

from plugin.rpc.node_claim import DatabaseInUse
from plugin.rpc.runtime import PluginRuntime


def config(path) -> tuple[bytes, bytes]:
    return b"{}", json.dumps({"drivername": "sqlite", "datasource": str(path)}).encode()


def test_a_second_plugin_on_the_same_sqlite_file_is_refused_until_the_first_leaves(tmp_path):
    first, second = PluginRuntime(), PluginRuntime()
    first.activate(*config(tmp_path / "oauth.db"))
    try:
        assert first.cacheable
        with pytest.raises(DatabaseInUse, match="in use by another plugin process"):
            second.activate(*config(tmp_path / "oauth.db"))
        assert not second.active and not second.cacheable
    finally:
        first.deactivate()
    assert not first.cacheable
    second.activate(*config(tmp_path / "oauth.db"))
    try:
        assert second.cacheable
    finally:
        second.deactivate()


def test_activating_again_keeps_the_claim(tmp_path):
    runtime = PluginRuntime()
    runtime.activate(*config(tmp_path / "oauth.db"))
    try:
        runtime.activate(*config(tmp_path / "oauth.db"))
        assert runtime.cacheable
    finally:
        runtime.deactivate()

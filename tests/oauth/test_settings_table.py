"""plugin.json's settings_schema and the settings table (plugin/oauth/settings/table.py) say the same."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from plugin.oauth.settings import PLUGIN_SETTINGS, SERVICE_SETTINGS, Settings, manifest_schema
from server_stub import manifest
from tests.conftest import ROOT

REGENERATE = "regenerate it with `python -m plugin.oauth.settings` (docs/extending.md, Adding a setting)"


def _shipped_schema() -> dict:
    return json.loads((ROOT / "plugin.json").read_text())["settings_schema"]


def _as_json(value) -> str:
    """Equal only when the JSON is: `1 == True` and `30 == 30.0` in Python, not in plugin.json."""
    return json.dumps(value, sort_keys=True)


def test_plugin_json_lists_the_settings_of_the_table_in_its_order():
    shipped = [s.get("key") for s in _shipped_schema()["settings"]]
    assert shipped == [s.key for s in PLUGIN_SETTINGS], f"plugin.json's settings differ from the table: {REGENERATE}"


@pytest.mark.parametrize("row", PLUGIN_SETTINGS, ids=lambda row: row.key)
def test_each_setting_of_plugin_json_is_its_row_of_the_table(row):
    """Type, default, display name, help text, placeholder, options and secret flag, and nothing else."""
    shipped = next((s for s in _shipped_schema()["settings"] if s.get("key") == row.key), None)
    assert shipped == row.manifest(), f"plugin.json's {row.key} differs from the table: {REGENERATE}"
    assert _as_json(shipped) == _as_json(row.manifest()), f"plugin.json's {row.key} has other JSON types: {REGENERATE}"


def test_plugin_json_settings_schema_is_the_one_the_table_prints_header_and_footer_included():
    assert _as_json(_shipped_schema()) == _as_json(manifest_schema()), REGENERATE


def test_the_table_is_a_valid_settings_schema_for_the_host():
    raw = json.loads((ROOT / "plugin.json").read_text())
    manifest.validate({**raw, "settings_schema": manifest_schema()})


def test_rows_are_consistent():
    keys = [row.key.lower() for row in PLUGIN_SETTINGS]
    assert len(set(keys)) == len(keys), "Mattermost lower-cases plugin setting keys: they must differ in more than case"
    attrs = [row.attr for row in SERVICE_SETTINGS + PLUGIN_SETTINGS if row.attr]
    assert len(set(attrs)) == len(attrs)
    assert all(row.attr for row in SERVICE_SETTINGS)
    for row in PLUGIN_SETTINGS:
        assert row.kind.manifest_type, f"{row.key}: a {row.kind.name} cannot be a plugin setting"
        assert row.display_name and row.help_text, row.key
        assert bool(row.options) == (row.kind.manifest_type == "dropdown"), row.key
        if row.options:
            assert row.default in [o.value for o in row.options], row.key
        assert row.parse(row.default) == row.default, f"{row.key}: its default does not parse as itself"


def test_settings_fields_are_the_rows_with_an_attribute_and_their_defaults():
    rows = {row.attr: row.default for row in SERVICE_SETTINGS + PLUGIN_SETTINGS if row.attr}
    assert {f.name: f.default for f in dataclasses.fields(Settings)} == rows


def test_the_hosts_defaults_from_plugin_json_give_the_default_settings():
    """The host sends plugin.json's defaults, keys lower-cased (LoadPluginConfiguration), when the admin set none."""
    loaded = manifest.load(str(ROOT))
    assert Settings.from_config({}, loaded.plugin_config({})) == Settings()


def test_the_command_prints_the_schema_and_writes_it_into_a_manifest(tmp_path):
    printed = subprocess.run([sys.executable, "-m", "plugin.oauth.settings"], cwd=ROOT, capture_output=True,
                             text=True, check=True)
    assert json.loads(printed.stdout) == manifest_schema() and printed.stderr == ""
    raw = json.loads((ROOT / "plugin.json").read_text())
    stale = tmp_path / "plugin.json"
    stale.write_text(json.dumps({**raw, "settings_schema": {"settings": [{"key": "Old", "type": "bool"}]}}))
    subprocess.run([sys.executable, "-m", "plugin.oauth.settings", "--write", str(stale)], cwd=ROOT, check=True)
    assert json.loads(stale.read_text()) == {**raw, "settings_schema": manifest_schema()}

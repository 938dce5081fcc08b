"""Manifests are validated with Mattermost's rules and messages."""
from __future__ import annotations

import json

import pytest

from server_stub import manifest
from tests.conftest import ROOT


def valid() -> dict:
    return {"id": "com.example.plugin", "name": "Example", "version": "1.2.3", "server": {"executable": "run"}}


def test_project_manifest_is_valid_and_names_an_executable_inside_the_bundle():
    loaded = manifest.load(str(ROOT))
    exe = loaded.executable()
    assert exe is not None and exe.startswith(str(ROOT) + "/")
    assert manifest.parse_version(loaded.version)
    keys = {s["key"] for s in loaded.settings}
    assert {"DriverName", "DataSource", "EnableImplicitGrant"} <= keys


def test_the_data_source_is_a_secret_the_config_api_never_shows():
    """A PostgreSQL DataSource holds a password: the manifest marks it secret, so the host sanitizes it."""
    from server_stub.config_rules import FAKE_SETTING, sanitize, secret_plugin_settings

    loaded = manifest.load(str(ROOT))
    assert next(s for s in loaded.settings if s["key"] == "DataSource").get("secret") is True
    config = {"PluginSettings": {"Plugins": {loaded.id: {"drivername": "postgres",
                                                          "datasource": "postgres://u:pw@db/oauth"}}}}
    shown = sanitize(config, secret_plugin_settings([loaded]))["PluginSettings"]["Plugins"][loaded.id]
    assert shown == {"drivername": "postgres", "datasource": FAKE_SETTING}


@pytest.mark.parametrize("change, message", [
    ({"id": "ab"}, "invalid plugin ID"),
    ({"id": "x" * 191}, "invalid plugin ID"),
    ({"id": "has space"}, "invalid plugin ID"),
    ({"name": "  "}, "a plugin name is needed"),
    ({"homepage_url": "ftp://example.com"}, "invalid HomepageURL"),
    ({"support_url": "nope"}, "invalid SupportURL"),
    ({"version": "1.2"}, "failed to parse Version"),
    ({"min_server_version": "v5"}, "failed to parse MinServerVersion"),
    ({"settings_schema": {"settings": [{"key": "a", "type": "color"}]}}, "invalid settings schema: invalid setting type: color"),
    ({"settings_schema": {"settings": [{"key": "a", "type": "bool", "options": [{"display_name": "x", "value": "y"}]}]}},
     "should not set Options for setting type not in radio or dropdown"),
    ({"settings_schema": {"settings": [{"key": "a", "type": "bool", "placeholder": "x"}]}},
     "should not set Placeholder"),
    ({"settings_schema": {"settings": [{"key": "a", "type": "text", "regenerate_help_text": "x"}]}},
     "should not set RegenerateHelpText"),
    ({"settings_schema": {"settings": [{"key": "a", "type": "radio", "options": [{"display_name": "", "value": "y"}]}]}},
     "should not have empty Displayname or Value for any option"),
    ({"server": None}, "must at least have a web app or server component"),
])
def test_invalid_manifest_is_rejected_with_mattermost_message(change, message):
    raw = valid()
    raw.update(change)
    raw = {k: v for k, v in raw.items() if v is not None}
    with pytest.raises(manifest.ManifestError) as caught:
        manifest.validate(raw)
    assert message in str(caught.value)


def test_executable_may_not_escape_the_plugin_directory(tmp_path):
    raw = valid()
    raw["server"] = {"executable": "../../bin/sh"}
    (tmp_path / "plugin.json").write_text(json.dumps(raw))
    with pytest.raises(manifest.ManifestError, match="invalid backend executable"):
        manifest.load(str(tmp_path)).executable()


def test_platform_executable_is_preferred_over_the_fallback(tmp_path):
    raw = valid()
    raw["server"] = {"executables": {"linux-amd64": "bin/linux"}, "executable": "bin/other"}
    (tmp_path / "plugin.json").write_text(json.dumps(raw))
    loaded = manifest.load(str(tmp_path))
    assert loaded.executable("linux", "amd64").endswith("bin/linux")
    assert loaded.executable("darwin", "arm64").endswith("bin/other")


def test_id_is_lower_cased_on_load(tmp_path):
    raw = valid()
    raw["id"] = "Com.Example.Plugin"
    (tmp_path / "plugin.json").write_text(json.dumps(raw))
    assert manifest.load(str(tmp_path)).id == "com.example.plugin"


def test_plugin_configuration_applies_defaults_and_lower_cases_keys(tmp_path):
    loaded = manifest.load(str(ROOT))
    config = loaded.plugin_config({"EnableImplicitGrant": True})
    assert config["enableimplicitgrant"] is True
    assert config["drivername"] == "sqlite"


def test_min_server_version_is_checked():
    loaded = manifest.Manifest({**valid(), "min_server_version": "99.0.0"}, "/x")
    with pytest.raises(manifest.ManifestError, match="plugin requires Mattermost 99.0.0: com.example.plugin"):
        manifest.check_min_server_version(loaded, "11.6.0")

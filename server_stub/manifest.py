"""Plugin manifests (`plugin.json`), loaded and validated with Mattermost's rules and messages."""
from __future__ import annotations

import dataclasses
import json
import os
import platform
import re
import sys

MIN_ID_LENGTH, MAX_ID_LENGTH = 3, 190
_ID_PATTERN = re.compile(r"^[a-zA-Z0-9-_.]+$")
# Strict semantic versioning, as Masterminds/semver's StrictNewVersion parses it.
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
SETTING_TYPES = {"bool", "dropdown", "generated", "radio", "text", "longtext", "number", "username", "custom"}
_PLACEHOLDER_TYPES = {"generated", "text", "longtext", "number", "username", "custom"}


class ManifestError(Exception):
    pass


def is_valid_plugin_id(plugin_id: str) -> bool:
    return MIN_ID_LENGTH <= len(plugin_id) <= MAX_ID_LENGTH and bool(_ID_PATTERN.match(plugin_id))


def _is_valid_http_url(url: str) -> bool:
    return (url.startswith("http://") or url.startswith("https://")) and "://" in url and len(url.split("://", 1)[1]) > 0


def parse_version(text: str) -> tuple[int, int, int]:
    match = _SEMVER.match(text)
    if not match:
        raise ValueError(f"Invalid Semantic Version: {text!r}")
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


@dataclasses.dataclass
class Manifest:
    raw: dict
    directory: str

    @property
    def id(self) -> str:
        return self.raw["id"]

    @property
    def name(self) -> str:
        return self.raw.get("name", "")

    @property
    def version(self) -> str:
        return self.raw.get("version", "")

    @property
    def settings(self) -> list[dict]:
        return list((self.raw.get("settings_schema") or {}).get("settings") or [])

    def executable(self, goos: str | None = None, goarch: str | None = None) -> str | None:
        """The server executable for this platform, as an absolute path inside the plugin directory."""
        server = self.raw.get("server") or {}
        key = f"{goos or _goos()}-{goarch or _goarch()}"
        relative = (server.get("executables") or {}).get(key) or server.get("executable") or ""
        if not relative:
            return None
        cleaned = os.path.normpath(relative)
        if os.path.isabs(cleaned) or cleaned.startswith(".."):
            raise ManifestError("invalid backend executable")
        return os.path.join(self.directory, cleaned)

    def plugin_config(self, overrides: dict) -> dict:
        """LoadPluginConfiguration: setting defaults overlaid with the admin's values, keys lower-cased."""
        final = {str(s.get("key", "")).lower(): s.get("default") for s in self.settings if s.get("key")}
        for key, value in (overrides or {}).items():
            final[str(key).lower()] = value
        return final

    def to_json(self) -> dict:
        return self.raw


def validate(raw: dict) -> None:
    """Mattermost's Manifest.IsValid, in its order, with its messages."""
    if not isinstance(raw.get("id"), str) or not is_valid_plugin_id(raw["id"]):
        raise ManifestError("invalid plugin ID")
    if not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise ManifestError("a plugin name is needed")
    for key, label in (("homepage_url", "HomepageURL"), ("support_url", "SupportURL"),
                       ("release_notes_url", "ReleaseNotesURL")):
        if raw.get(key) and not (isinstance(raw[key], str) and _is_valid_http_url(raw[key])):
            raise ManifestError(f"invalid {label}")
    for key, label in (("version", "Version"), ("min_server_version", "MinServerVersion")):
        if raw.get(key):
            try:
                parse_version(str(raw[key]))
            except ValueError as exc:
                raise ManifestError(f"failed to parse {label}: {exc}") from None
    schema = raw.get("settings_schema")
    if schema:
        try:
            _validate_settings(schema)
        except ManifestError as exc:
            raise ManifestError(f"invalid settings schema: {exc}") from None
    server, webapp = raw.get("server"), raw.get("webapp")
    if webapp and str(webapp.get("bundle_path", "")).startswith("."):
        raise ManifestError("invalid webapp bundle path")
    if not server and not webapp:
        raise ManifestError("unable to start plugin: must at least have a web app or server component")


def _validate_settings(schema: dict) -> None:
    if not isinstance(schema, dict):
        raise ManifestError("settings_schema must be an object")
    for setting in schema.get("settings") or []:
        kind = setting.get("type")
        if kind not in SETTING_TYPES:
            raise ManifestError(f"invalid setting type: {kind}")
        if setting.get("regenerate_help_text") and kind != "generated":
            raise ManifestError("should not set RegenerateHelpText for setting type that is not generated")
        if setting.get("placeholder") and kind not in _PLACEHOLDER_TYPES:
            raise ManifestError(
                "should not set Placeholder for setting type not in text, generated, number, username, or custom"
            )
        options = setting.get("options")
        if options and kind not in ("radio", "dropdown"):
            raise ManifestError("should not set Options for setting type not in radio or dropdown")
        for option in options or []:
            if not option.get("display_name") or not option.get("value"):
                raise ManifestError("should not have empty Displayname or Value for any option")
    for section in schema.get("sections") or []:
        if not section.get("key"):
            raise ManifestError("invalid empty Key")


def load(directory: str) -> Manifest:
    """FindManifest for JSON manifests: read, validate, lower-case the id."""
    path = os.path.join(directory, "plugin.json")
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise ManifestError(f"no plugin.json in {directory}") from None
    except ValueError as exc:
        raise ManifestError(f"plugin.json is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ManifestError("plugin.json must hold a JSON object")
    validate(raw)
    raw["id"] = raw["id"].lower()
    return Manifest(raw, os.path.abspath(directory))


def scan(plugins_dir: str) -> tuple[dict[str, Manifest], dict[str, str]]:
    """Every plugin in the directory: subdirectories not starting with "." that hold a manifest.
    Returns the valid manifests by id and the errors by directory name."""
    found: dict[str, Manifest] = {}
    errors: dict[str, str] = {}
    if not os.path.isdir(plugins_dir):
        return found, errors
    for name in sorted(os.listdir(plugins_dir)):
        directory = os.path.join(plugins_dir, name)
        if name.startswith(".") or not os.path.isdir(directory):
            continue
        try:
            manifest = load(directory)
        except ManifestError as exc:
            errors[name] = str(exc)
            continue
        found[manifest.id] = manifest
    return found, errors


def check_min_server_version(manifest: Manifest, server_version: str) -> None:
    required = manifest.raw.get("min_server_version")
    if required and parse_version(server_version) < parse_version(required):
        raise ManifestError(f"plugin requires Mattermost {required}: {manifest.id}")


def _goos() -> str:
    return {"linux": "linux", "darwin": "darwin", "win32": "windows"}.get(sys.platform, sys.platform)


def _goarch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)

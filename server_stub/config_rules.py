"""What the configuration API may show and change: sanitizing secrets, merging a patch, type checks and
Mattermost's `model.config.is_valid.*` validation. Pure functions over config dicts (no I/O).

- Reading: secrets (SqlSettings.DataSource, plugin settings the manifest marks `secret`) are replaced by
  Mattermost's FakeSetting; a patch that sends the FakeSetting back leaves the secret as it is.
- Merging: like Mattermost decoding into its Config struct, keys the host does not know are ignored, except inside
  the free-form maps PluginSettings.Plugins and PluginSettings.PluginStates; `null` leaves a value unchanged.
- Types: a known key with a value of the wrong JSON type is 400 `api.context.invalid_body_param.app_error` naming
  the key ("ServiceSettings.SiteURL").
- Settings that would let an API caller run code or move data (the database, the plugin and file directories, the
  local-mode socket) cannot be changed through the API: 403 `api.config.update_config.not_allowed_security.app_error`
  (Mattermost does the same for PluginSettings.EnableUploads); the config file and the command line still can. Plugin
  uploads and their signatures (PluginSettings.EnableUploads, RequirePluginSignature, SignaturePublicKeyFiles) are
  the same, except that local mode may change them (LOCAL_ONLY_KEYS).
- A plugin's own database settings, the settings of its manifest named as SqlSettings' (`DriverName`,
  `DataSource`, any case), are the same: an API caller who could point a plugin at a database of their choosing could
  forge its data (an OAuth provider's tokens for any user). They are refused like SqlSettings, except in local mode
  (the command line on the local-mode socket, as mmctl --local), where the plugin itself vets the change
  (ConfigurationWillBeSaved) before it is saved.
"""
from __future__ import annotations

import copy
import re
import urllib.parse

FAKE_SETTING = "********************************"  # Mattermost's model.FakeSetting

SECRET_KEYS: tuple[tuple[str, ...], ...] = (("SqlSettings", "DataSource"),)
LOCKED_KEYS: tuple[tuple[str, ...], ...] = (
    ("SqlSettings", "DriverName"),
    ("SqlSettings", "DataSource"),
    ("PluginSettings", "Directory"),
    ("FileSettings", "Directory"),
    ("ServiceSettings", "EnableLocalMode"),
    ("ServiceSettings", "LocalModeSocketLocation"),
)
# Changed only in config.json or in local mode (the command line), like a plugin's database settings: whoever may
# upload a plugin bundle runs code on the server.
LOCAL_ONLY_KEYS: tuple[tuple[str, ...], ...] = (("PluginSettings", "EnableUploads"),
                                                 ("PluginSettings", "RequirePluginSignature"),
                                                 ("PluginSettings", "SignaturePublicKeyFiles"))
# A plugin's settings with these names (lower-cased) are its database settings: locked like SqlSettings.
PLUGIN_DATABASE_SETTINGS = ("drivername", "datasource")
FREE_FORM_MAPS = {("PluginSettings", "Plugins"), ("PluginSettings", "PluginStates")}
NUMBER_KEYS = {("PluginSettings", "HealthCheckIntervalSeconds"),  # ints or fractions of a second
               ("PluginSettings", "HookTimeoutSeconds")}
_HOST_PORT = re.compile(r"^(?P<host>\[[0-9a-fA-F:.]+\]|[^:\[\]]*):(?P<port>\d{1,5})$")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token (fullmatch)
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*$")


class ConfigError(Exception):
    def __init__(self, status: int, error_id: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_id, self.message = status, error_id, message


def _invalid_param(path: tuple[str, ...]) -> ConfigError:
    name = ".".join(path) or "config"
    return ConfigError(400, "api.context.invalid_body_param.app_error", f"Invalid or missing {name} in request body.")


def _get(config: dict, path: tuple[str, ...], default=None):
    value = config
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    return value


def _set(config: dict, path: tuple[str, ...], value) -> None:
    target = config
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


# --- reading ---------------------------------------------------------------------------------------------------

def secret_plugin_settings(manifests) -> dict[str, set[str]]:
    """plugin id -> lower-cased keys of the settings its manifest marks `secret` (Mattermost sanitizes these)."""
    out: dict[str, set[str]] = {}
    for manifest in manifests:
        keys = {str(s.get("key", "")).lower() for s in manifest.settings if s.get("secret") and s.get("key")}
        if keys:
            out[manifest.id] = keys
    return out


def plugin_database_settings(manifests) -> dict[str, dict[str, tuple[str, object]]]:
    """plugin id -> {lower-cased key: (key as the manifest spells it, default)} of its database settings."""
    out: dict[str, dict[str, tuple[str, object]]] = {}
    for manifest in manifests:
        for setting in manifest.settings:
            key = str(setting.get("key") or "")
            if key.lower() in PLUGIN_DATABASE_SETTINGS:
                out.setdefault(manifest.id, {})[key.lower()] = (key, setting.get("default"))
    return out


def plugin_setting(config: dict, plugin_id: str, key: str, default=None):
    """A plugin's setting as the plugin gets it: keys match in any case, the last one wins (as
    LoadPluginConfiguration lower-cases them), the manifest's default when it is not set."""
    settings = _get(config, ("PluginSettings", "Plugins", plugin_id))
    value = default
    if isinstance(settings, dict):
        for name, item in settings.items():
            if str(name).lower() == key.lower():
                value = item
    return value


def sanitize(config: dict, plugin_secrets: dict[str, set[str]] | None = None) -> dict:
    """Mattermost's Config.Sanitize: secrets replaced by FakeSetting."""
    out = copy.deepcopy(config)
    for path in SECRET_KEYS:
        if _get(out, path):
            _set(out, path, FAKE_SETTING)
    plugins = _get(out, ("PluginSettings", "Plugins")) or {}
    for plugin_id, keys in (plugin_secrets or {}).items():
        settings = plugins.get(plugin_id)
        if isinstance(settings, dict):
            for key in list(settings):
                if key.lower() in keys and settings[key]:
                    settings[key] = FAKE_SETTING
    return out


# --- changing --------------------------------------------------------------------------------------------------

def _check_and_merge(base: dict, patch: dict, reference: dict, path: tuple[str, ...]) -> None:
    """Merge `patch` into `base` in place, checking each known key's type against `reference`."""
    for key, value in patch.items():
        if not isinstance(key, str):
            continue
        here = path + (key,)
        if path in FREE_FORM_MAPS:
            _check_free_form(path, here, value)
            if value is None:
                base.pop(key, None)
            else:  # one plugin's settings: merged key by key
                old = base.get(key)
                base[key] = {**(old if isinstance(old, dict) else {}), **copy.deepcopy(value)}
            continue
        if key not in reference:
            continue  # unknown to the host: ignored, as Mattermost's decoder ignores unknown fields
        if value is None:
            continue  # null: unchanged
        known = reference[key]
        if isinstance(known, dict):
            if not isinstance(value, dict):
                raise _invalid_param(here)
            target = base.setdefault(key, {})
            if not isinstance(target, dict):
                target = base[key] = {}
            _check_and_merge(target, value, known, here)
            continue
        _check_type(here, known, value)
        base[key] = copy.deepcopy(value)


def _check_free_form(parent: tuple[str, ...], here: tuple[str, ...], value) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise _invalid_param(here)
    if parent == ("PluginSettings", "PluginStates"):
        enable = value.get("Enable")
        if not isinstance(enable, bool):
            raise _invalid_param(here + ("Enable",))


def _check_type(path: tuple[str, ...], known, value) -> None:
    if isinstance(known, bool):
        ok = isinstance(value, bool)
    elif isinstance(known, (int, float)):
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = is_number and (isinstance(value, int) or path in NUMBER_KEYS or isinstance(known, float))
    elif isinstance(known, str):
        ok = isinstance(value, str)
    elif isinstance(known, list):
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    else:
        ok = True
    if not ok:
        raise _invalid_param(path)


def _restore_fakes(incoming: dict, current: dict, plugin_secrets: dict[str, set[str]]) -> None:
    """A FakeSetting sent back means "keep the secret"."""
    for path in SECRET_KEYS:
        if _get(incoming, path) == FAKE_SETTING:
            _set(incoming, path, _get(current, path))
    plugins = _get(incoming, ("PluginSettings", "Plugins"))
    if isinstance(plugins, dict):
        for plugin_id, settings in plugins.items():
            if not isinstance(settings, dict):
                continue
            old = _get(current, ("PluginSettings", "Plugins", plugin_id)) or {}
            for key, value in list(settings.items()):
                if value == FAKE_SETTING and key.lower() in plugin_secrets.get(plugin_id, set()):
                    settings[key] = old.get(key, "")


def _keep_plugin_databases(merged: dict, incoming: dict, current: dict, plugin_databases: dict) -> None:
    """A full update that leaves out a plugin's database setting keeps it as it is."""
    for plugin_id, keys in plugin_databases.items():
        sent = _get(incoming, ("PluginSettings", "Plugins", plugin_id))
        sent_keys = {str(k).lower() for k in sent} if isinstance(sent, dict) else set()
        old = _get(current, ("PluginSettings", "Plugins", plugin_id))
        for lower in keys:
            if lower in sent_keys or not isinstance(old, dict):
                continue
            for name, value in old.items():
                if str(name).lower() == lower:
                    target = merged.setdefault("PluginSettings", {}).setdefault("Plugins", {})
                    settings = target.get(plugin_id)
                    if not isinstance(settings, dict):
                        settings = target[plugin_id] = {}
                    settings[name] = copy.deepcopy(value)


def _not_allowed(name: str) -> ConfigError:
    return ConfigError(403, "api.config.update_config.not_allowed_security.app_error",
                       f"Changing {name} is not allowed for security reasons.")


def apply_change(current: dict, incoming, *, defaults: dict | None = None,
                 plugin_secrets: dict[str, set[str]] | None = None,
                 plugin_databases: dict[str, dict[str, tuple[str, object]]] | None = None,
                 local: bool = False) -> dict:
    """The configuration after a PUT /config/patch (`defaults` None: merged over the current configuration) or a
    PUT /config (`defaults` given: merged over the defaults, as Mattermost's SetDefaults fills what is missing).
    `plugin_databases` (plugin_database_settings) names the plugins' database settings, which only a `local` caller
    may change. Raises ConfigError; answers a new dict and leaves `current` alone."""
    if not isinstance(incoming, dict):
        raise _invalid_param(())
    plugin_secrets = plugin_secrets or {}
    incoming = copy.deepcopy(incoming)
    _restore_fakes(incoming, current, plugin_secrets)
    reference = copy.deepcopy(defaults) if defaults is not None else {}
    _deep_fill(reference, current)
    merged = copy.deepcopy(defaults if defaults is not None else current)
    if defaults is not None:
        for path in LOCKED_KEYS + LOCAL_ONLY_KEYS:  # a full update that leaves out a locked key keeps it as it is
            if _get(incoming, path) is None and _get(current, path) is not None:
                _set(merged, path, copy.deepcopy(_get(current, path)))
    _check_and_merge(merged, incoming, reference, ())
    plugin_databases = plugin_databases or {}
    if defaults is not None:
        _keep_plugin_databases(merged, incoming, current, plugin_databases)

    for path in LOCKED_KEYS:
        if _get(merged, path) != _get(current, path):
            raise _not_allowed(".".join(path))
    if not local:
        for path in LOCAL_ONLY_KEYS:
            if _get(merged, path) != _get(current, path):
                raise _not_allowed(".".join(path))
        for plugin_id, keys in plugin_databases.items():
            for lower, (key, default) in keys.items():
                if plugin_setting(merged, plugin_id, lower, default) != plugin_setting(current, plugin_id, lower,
                                                                                      default):
                    raise _not_allowed(f"PluginSettings.Plugins.{plugin_id}.{key}")
    if _get(current, ("ServiceSettings", "SiteURL")) and not _get(merged, ("ServiceSettings", "SiteURL")):
        raise ConfigError(400, "api.config.update_config.clear_siteurl.app_error", "Site URL cannot be cleared.")
    validate(merged)
    return merged


def _deep_fill(target: dict, source: dict) -> None:
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_fill(target[key], value)
        elif key not in target:
            target[key] = copy.deepcopy(value)


# --- validation ------------------------------------------------------------------------------------------------

def _is_http_url(value: str) -> bool:
    try:
        parsed = urllib.parse.urlsplit(value)
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.hostname)


def _is_listen_address(value: str) -> bool:
    match = _HOST_PORT.match(value)
    if not match or int(match.group("port")) > 65535:
        return False
    host = match.group("host")
    return host == "" or host.startswith("[") or bool(_HOSTNAME.match(host))


def _positive(value, integer: bool = True) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return value > 0 and (isinstance(value, int) or not integer)


def validate(config: dict) -> None:
    """Mattermost's Config.IsValid for the settings the host uses: 400 model.config.is_valid.*."""
    service = config.get("ServiceSettings") or {}

    def fail(error_id: str, message: str):
        raise ConfigError(400, error_id, message)

    site = service.get("SiteURL", "")
    if site and not _is_http_url(site):
        fail("model.config.is_valid.site_url.app_error",
             "Site URL must be a valid URL and start with http:// or https://.")
    if not _is_listen_address(service.get("ListenAddress", "")):
        fail("model.config.is_valid.listen_address.app_error", "Invalid listen address. Must be set.")
    for key in ("SessionLengthWebInHours", "SessionLengthSSOInHours"):
        if key in service and not _positive(service[key]):
            fail("model.config.is_valid.session_length.app_error",
                 f"Invalid {key}. Must be a whole number of hours greater than 0.")
    if "MaximumPayloadSizeBytes" in service and not _positive(service["MaximumPayloadSizeBytes"]):
        fail("model.config.is_valid.max_payload_size.app_error",
             "Invalid max payload size for service settings. Must be a whole number greater than zero.")
    if "MaximumLoginAttempts" in service and not _positive(service["MaximumLoginAttempts"]):
        fail("model.config.is_valid.login_attempts.app_error",
             "Invalid maximum login attempts for service settings. Must be a positive number.")
    length = (config.get("PasswordSettings") or {}).get("MinimumLength", 8)
    if isinstance(length, bool) or not isinstance(length, int) or not 5 <= length <= 72:
        fail("model.config.is_valid.password_length.app_error",  # Mattermost's PasswordMinimum/MaximumLength
             "Minimum password length must be a whole number greater than or equal to 5 and less than or equal "
             "to 72.")
    headers = service.get("TrustedProxyIPHeader", [])
    if not isinstance(headers, list) or any(not isinstance(h, str) or not _HEADER_NAME.fullmatch(h)
                                            for h in headers):
        fail("model.config.is_valid.trusted_proxy_ip_header.app_error",
             "Trusted proxy IP header entries must be HTTP header names, such as X-Forwarded-For.")
    allowlist = service.get("DCRRedirectURIAllowlist", [])
    if not isinstance(allowlist, list) or any(not isinstance(p, str) or not p.strip() for p in allowlist):
        fail("model.config.is_valid.dcr_redirect_uri_allowlist.app_error",
             "DCR redirect URI allowlist entries must be non-empty patterns.")
    plugins = config.get("PluginSettings") or {}
    interval = plugins.get("HealthCheckIntervalSeconds", 30)
    if not _positive(interval, integer=False):
        fail("model.config.is_valid.health_check_interval.app_error",
             "The plugin health check interval must be a number of seconds greater than 0.")
    if not _positive(plugins.get("HookTimeoutSeconds", 10), integer=False):
        fail("model.config.is_valid.hook_timeout.app_error",
             "The plugin hook timeout must be a number of seconds greater than 0.")

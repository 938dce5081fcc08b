"""System Console pages (manage_system only): Integrations > Integration Management, and Plugins.

Saving goes through system_api.change_config, the API's own path to the config store: the same type checks and
`model.config.is_valid.*` validation, and the store's listeners (plugins get OnConfigurationChange, the
system_user role follows "Restrict managing integrations to Admins").

| Route | What |
|---|---|
| GET, POST `/admin/integrations` | the OAuth service provider switch, integration settings, dynamic client registration |
| GET `/admin/plugins` | each plugin's state, enable/disable, and its settings form (from `settings_schema`) |
| POST `/admin/plugins/{plugin_id}/enable`, `/disable` | enable or disable the plugin |
| POST `/admin/plugins/{plugin_id}/settings` | save PluginSettings.Plugins[<plugin_id>] (not its database settings) |
| POST `/admin/plugins/upload` | install a plugin bundle (multipart: `plugin`, `force`), as POST /api/v4/plugins |
| GET `/admin/status` | the server's status (what the ping with get_server_status answers), each plugin's last errors |
"""
from __future__ import annotations

import datetime
import logging
import os
import re
import secrets

import markupsafe
from aiohttp import web

from .. import config_rules
from .. import permissions as perms
from ..supervisor import PluginState
from ..plugin_bundles import BundleError
from . import forms, pages, system_api, system_status
from .body import file_upload
from .forms import PageError, page

log = logging.getLogger("server_stub.pages")

INTEGRATIONS_PATH = "/admin/integrations"
STATUS_PATH = "/admin/status"
PLUGINS_PATH = "/admin/plugins"
_PLUGIN_ID = "{plugin_id:[A-Za-z0-9_.-]{3,190}}"

# System Console > Integrations > Integration Management: (key, label, help text), Mattermost's wording.
SERVICE_TOGGLES = (
    ("EnableOAuthServiceProvider", "Enable OAuth 2.0 Service Provider",
     "When true, Mattermost can act as an OAuth 2.0 service provider, allowing Mattermost to authorize API "
     "requests from external applications."),
    ("EnableOnlyAdminIntegrations", "Restrict managing integrations to Admins",
     "When true, integrations (among them OAuth 2.0 applications) can only be created and managed by admins. "
     "When false, every user may register OAuth 2.0 applications."),
    ("EnablePostUsernameOverride", "Enable integrations to override usernames",
     "When true, posts made by OAuth 2.0 applications (and other integrations) show the username they ask for "
     "(props.override_username) instead of the user's."),
    ("EnablePostIconOverride", "Enable integrations to override profile picture icons",
     "When true, posts made by OAuth 2.0 applications (and other integrations) show the profile picture they ask "
     "for (props.override_icon_url) instead of the user's."),
    ("EnableDynamicClientRegistration", "Enable Dynamic Client Registration",
     "When true, OAuth 2.0 clients can register themselves without an account at /api/v4/oauth/apps/register "
     "(RFC 7591), as MCP clients do. Such clients are never trusted: users always see the consent page."),
)
ALLOWLIST_KEY = "DCRRedirectURIAllowlist"


async def _admin(request: web.Request):
    return await forms.require_page_session(request, perms.MANAGE_SYSTEM)


# --- Integration Management ------------------------------------------------------------------------------------

def _integrations_page(request, session, *, values: dict, error: str = "", saved: bool = False,
                       status: int = 200) -> web.Response:
    return pages.render("admin_integrations.html", status=status, title="Integration Management",
                        toggles=SERVICE_TOGGLES, values=values, error=error, saved=saved,
                        csrf=session.csrf_token, **forms.nav_context(request, session))


def _current_integration_values(host) -> dict:
    service = host.config.config.get("ServiceSettings") or {}
    values = {key: bool(service.get(key, False)) for key, _, _ in SERVICE_TOGGLES}
    values[ALLOWLIST_KEY] = "\n".join(str(p) for p in service.get(ALLOWLIST_KEY) or [])
    return values


@page
async def integrations_page(request: web.Request) -> web.Response:
    session = await _admin(request)
    return _integrations_page(request, session, values=_current_integration_values(forms.host_of(request)),
                              saved=request.query.get("saved") == "1")


def _bool_field(form, name: str) -> bool | None:
    value = forms.field(form, name, 8)
    if value == "":
        return None
    if value not in ("true", "false"):
        raise PageError(400, f"Invalid value for {name}.")
    return value == "true"


@page
async def integrations_submit(request: web.Request) -> web.Response:
    session = await _admin(request)
    form = await forms.check_csrf(request, session)
    host = forms.host_of(request)
    service: dict = {}
    values = _current_integration_values(host)
    for key, _, _ in SERVICE_TOGGLES:
        value = _bool_field(form, key)
        if value is not None:
            service[key] = values[key] = value
    if ALLOWLIST_KEY in form:
        text = forms.field(form, ALLOWLIST_KEY, 64 * 1024)
        values[ALLOWLIST_KEY] = text
        service[ALLOWLIST_KEY] = [line.strip() for line in text.splitlines() if line.strip()]
    try:
        await system_api.change_config(host, {"ServiceSettings": service}, by=session.user_id)
    except config_rules.ConfigError as exc:
        return _integrations_page(request, session, values=values, error=exc.message, status=exc.status)
    raise forms.see_other(INTEGRATIONS_PATH + "?saved=1")


# --- Plugins ---------------------------------------------------------------------------------------------------

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def help_markup(text) -> markupsafe.Markup:
    """A plugin's help text: escaped, then Markdown's **bold** and `code` (all Mattermost renders there that a
    manifest here uses)."""
    escaped = str(markupsafe.escape(str(text or "")))
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    return markupsafe.Markup(_BOLD.sub(r"<b>\1</b>", escaped))


def _state_name(state: int) -> str:
    try:
        return PluginState(state).name.replace("_", " ").capitalize()
    except ValueError:
        return "Unknown"


def _stored_settings(host, plugin_id: str) -> dict:
    """The plugin's saved settings, keys lower-cased, secrets shown as Mattermost's FakeSetting."""
    sanitized = config_rules.sanitize(host.config.get(), config_rules.secret_plugin_settings(host.plugins.manifests()))
    stored = ((sanitized.get("PluginSettings") or {}).get("Plugins") or {}).get(plugin_id) or {}
    return {str(k).lower(): v for k, v in stored.items()} if isinstance(stored, dict) else {}


def _setting_rows(host, manifest, posted: dict | None = None) -> list[dict]:
    stored = _stored_settings(host, manifest.id)
    rows = []
    for setting in manifest.settings:
        key = str(setting.get("key") or "")
        if not key:
            continue
        lower = key.lower()
        if posted is not None and lower in posted:
            value = posted[lower]
        else:
            value = stored.get(lower, setting.get("default"))
        kind = setting.get("type")
        if kind == "bool":
            value = value is True or str(value).lower() == "true"
        elif value is None:
            value = ""
        shown = next((o.get("display_name") for o in setting.get("options") or []
                      if str(o.get("value")) == str(value)), value)
        rows.append({"key": key, "field": "setting." + lower, "type": kind, "value": value, "shown": shown,
                     "locked": lower in config_rules.PLUGIN_DATABASE_SETTINGS,
                     "display_name": setting.get("display_name") or key,
                     "help": help_markup(setting.get("help_text")),
                     "placeholder": setting.get("placeholder") or "",
                     "options": setting.get("options") or [],
                     "regenerate_help": setting.get("regenerate_help_text") or ""})
    return rows


def _plugins_page(request, session, *, errors: dict | None = None, posted: dict | None = None,
                  upload_error: str = "", status: int = 200) -> web.Response:
    host = forms.host_of(request)
    env = host.plugins
    plugins = []
    for plugin_id, supervisor in sorted(env.supervisors.items()):
        status_json = supervisor.status()
        manifest = supervisor.manifest
        schema = manifest.raw.get("settings_schema") or {}
        plugins.append({
            "id": plugin_id, "name": manifest.name or plugin_id, "version": manifest.version,
            "description": manifest.raw.get("description", ""),
            "state": status_json["state"], "state_name": _state_name(status_json["state"]),
            "error": status_json.get("error", ""), "enabled": env.is_enabled(plugin_id),
            "header": help_markup(schema.get("header")), "footer": help_markup(schema.get("footer")),
            "settings": _setting_rows(host, manifest, (posted or {}).get(plugin_id)),
            "form_error": (errors or {}).get(plugin_id, ""),
        })
    return pages.render("admin_plugins.html", status=status, title="Plugins", plugins=plugins,
                        load_errors=dict(getattr(env, "load_errors", {}) or {}),
                        saved=request.query.get("saved", ""), csrf=session.csrf_token,
                        uploads_enabled=_uploads_enabled(host), upload_error=upload_error,
                        signature_required=bool(host.config.config["PluginSettings"].get("RequirePluginSignature")),
                        installed=request.query.get("installed", "")[:190],
                        **forms.nav_context(request, session))


@page
async def plugins_page(request: web.Request) -> web.Response:
    session = await _admin(request)
    return _plugins_page(request, session)


def _supervisor(request: web.Request):
    plugin_id = request.match_info["plugin_id"].lower()
    supervisor = forms.host_of(request).plugins.supervisors.get(plugin_id)
    if supervisor is None:
        raise PageError(404, "Plugin is not installed.")
    return plugin_id, supervisor


def _set_enabled(enabled: bool):
    @page
    async def handler(request: web.Request) -> web.Response:
        session = await _admin(request)
        await forms.check_csrf(request, session)
        plugin_id, _ = _supervisor(request)
        await forms.host_of(request).plugins.set_enabled(plugin_id, enabled)
        log.info("plugin %s from the System Console", "enabled" if enabled else "disabled",
                 extra={"plugin_id": plugin_id, "by": session.user_id})
        raise forms.see_other(PLUGINS_PATH)

    handler.__name__ = "enable_plugin" if enabled else "disable_plugin"
    return handler


class SettingError(Exception):
    pass


def _setting_value(setting: dict, form, stored: dict):
    """The value a settings form posted for one setting, typed as the schema says; SettingError when invalid."""
    key = str(setting["key"]).lower()
    name = "setting." + key
    label = setting.get("display_name") or setting["key"]
    kind = setting.get("type")
    raw = forms.field(form, name, 64 * 1024)
    if kind == "bool":
        if raw not in ("true", "false"):
            raise SettingError(f"Choose true or false for {label}.")
        return raw == "true"
    if kind in ("dropdown", "radio"):
        allowed = [str(o.get("value")) for o in setting.get("options") or []]
        if raw not in allowed:
            raise SettingError(f"Choose one of the options for {label}.")
        return raw
    if kind == "number":
        text = raw.strip()
        if text == "":
            return 0
        try:
            return int(text)
        except ValueError:
            raise SettingError(f"{label} must be a whole number.") from None
    if kind == "generated":
        if forms.field(form, "regenerate." + key, 8) == "true" or not (raw or stored.get(key)):
            return secrets.token_urlsafe(24)
        return raw or stored.get(key, "")
    return raw  # text, longtext, username


@page
async def plugin_settings_submit(request: web.Request) -> web.Response:
    session = await _admin(request)
    form = await forms.check_csrf(request, session)
    plugin_id, supervisor = _supervisor(request)
    host = forms.host_of(request)
    stored = _stored_settings(host, plugin_id)
    values: dict = {}
    try:
        for setting in supervisor.manifest.settings:
            if not setting.get("key") or setting.get("type") == "custom":
                continue  # a custom setting has its own UI in the plugin's webapp
            if str(setting["key"]).lower() in config_rules.PLUGIN_DATABASE_SETTINGS:
                continue  # the database: config.json or the command line only (shown, never taken from the form)
            values[str(setting["key"]).lower()] = _setting_value(setting, form, stored)
        await system_api.change_config(host, {"PluginSettings": {"Plugins": {plugin_id: values}}},
                                       by=session.user_id)
    except SettingError as exc:
        return _plugins_page(request, session, errors={plugin_id: str(exc)}, posted={plugin_id: values}, status=400)
    except config_rules.ConfigError as exc:
        return _plugins_page(request, session, errors={plugin_id: exc.message}, posted={plugin_id: values},
                             status=exc.status)
    log.info("plugin settings saved from the System Console", extra={"plugin_id": plugin_id, "by": session.user_id})
    raise forms.see_other(f"{PLUGINS_PATH}?saved={plugin_id}")


def _uploads_enabled(host) -> bool:
    settings = host.config.config.get("PluginSettings") or {}
    return bool(settings.get("Enable", True) and settings.get("EnableUploads", False))


@file_upload
@page
async def plugin_upload_submit(request: web.Request) -> web.Response:
    session = await _admin(request)
    form = await forms.check_csrf(request, session)
    host = forms.host_of(request)
    if not _uploads_enabled(host):
        return _plugins_page(request, session, upload_error="Plugin uploads are off.", status=501)
    bundle = form.get("plugin")
    if not isinstance(bundle, web.FileField):
        return _plugins_page(request, session, upload_error="Choose a plugin bundle to upload.", status=400)
    signature = form.get("signature")
    try:
        manifest = await host.plugins.install(bundle.file, force=forms.field(form, "force", 8) == "true",
                                              signature=signature.file.read() if isinstance(signature, web.FileField)
                                              else None)
    except BundleError as exc:
        log.warning("plugin bundle refused", extra={"error_id": exc.error_id, "error": exc.detailed or exc.message,
                                                   "by": session.user_id})
        detail = f" ({exc.detailed})" if exc.detailed else ""
        return _plugins_page(request, session, upload_error=exc.message + detail, status=exc.status)
    finally:
        bundle.file.close()
    log.info("plugin uploaded from the System Console", extra={"plugin_id": manifest.id, "by": session.user_id})
    raise forms.see_other(f"{PLUGINS_PATH}?installed={manifest.id}")


# --- Server Status ---------------------------------------------------------------------------------------------

def _when(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@page
async def status_page(request: web.Request) -> web.Response:
    session = await _admin(request)
    host = forms.host_of(request)
    status = await system_status.server_status(host)
    health = {p["plugin_id"]: p["status"] for p in status["plugin_statuses"]}
    plugins = []
    for plugin_id, supervisor in sorted(host.plugins.supervisors.items()):
        manifest = supervisor.manifest
        plugins.append({
            "id": plugin_id, "name": manifest.name or plugin_id, "version": manifest.version,
            "state": int(supervisor.state), "state_name": _state_name(int(supervisor.state)),
            "enabled": host.plugins.is_enabled(plugin_id), "health": health.get(plugin_id, ""),
            "error": supervisor.error, "restarts": supervisor.restarts,
            "recent_errors": [(_when(ms), message) for ms, message in reversed(supervisor.recent_errors)],
        })
    return pages.render("admin_status.html", title="Server Status", server=status, root=os.geteuid() == 0,
                        plugins=plugins, **forms.nav_context(request, session))


def add_routes(app: web.Application) -> None:
    app.router.add_get(STATUS_PATH, status_page)
    app.router.add_get(INTEGRATIONS_PATH, integrations_page)
    app.router.add_post(INTEGRATIONS_PATH, integrations_submit)
    app.router.add_get(PLUGINS_PATH, plugins_page)
    app.router.add_post(f"{PLUGINS_PATH}/upload", plugin_upload_submit)
    app.router.add_post(f"{PLUGINS_PATH}/{_PLUGIN_ID}/enable", _set_enabled(True))
    app.router.add_post(f"{PLUGINS_PATH}/{_PLUGIN_ID}/disable", _set_enabled(False))
    app.router.add_post(f"{PLUGINS_PATH}/{_PLUGIN_ID}/settings", plugin_settings_submit)

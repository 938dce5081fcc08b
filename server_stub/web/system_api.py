"""API v4 configuration and plugins (server/channels/api4/config.go, plugin.go): system-admin only.

Over TCP these need a session with manage_system; local mode (the unix socket the command line uses) acts as a
system admin."""
from __future__ import annotations

import logging

from aiohttp import web

from .. import config_rules
from .. import permissions as perms
from ..config import default_config
from . import auth
from .body import invalid_body_param, max_payload_bytes, read_json
from .keys import HOST_KEY
from .responses import AppErrorResponse, json_response, status_ok

log = logging.getLogger("server_stub.system")

NO_CACHE = {"Cache-Control": "no-cache, no-store, must-revalidate"}


def _host(request: web.Request):
    return request.app[HOST_KEY]


async def _require_admin(request: web.Request) -> auth.Session:
    session = await auth.require_session(request)
    auth.require_permission(session, perms.MANAGE_SYSTEM)
    return session


# --- configuration ---------------------------------------------------------------------------------------------

def _plugin_secrets(host) -> dict[str, set[str]]:
    return config_rules.secret_plugin_settings(host.plugins.manifests())


async def get_config(request: web.Request) -> web.Response:
    await _require_admin(request)
    host = _host(request)
    return json_response(request, config_rules.sanitize(host.config.get(), _plugin_secrets(host)), headers=NO_CACHE)


async def change_config(host, incoming, *, full: bool = False, by: str = "", local: bool = False) -> dict:
    """Apply a configuration change (PUT /config/patch, or PUT /config when `full`) through the config store, so
    listeners run (plugins get OnConfigurationChange, roles follow the settings). Returns once the change is in
    force in every running plugin, or the hook timeout has passed (PluginEnvironment.settle), as Mattermost calls
    OnConfigurationChange before it answers. Only a `local` caller (local mode) may change a plugin's database
    settings. Answers the configuration in force; raises config_rules.ConfigError. The System Console pages use this
    too."""
    current = host.config.get()
    defaults = None
    if full:
        defaults = default_config(host.config.data_dir, current["ServiceSettings"].get("ListenAddress", ""))
    new = config_rules.apply_change(current, incoming, defaults=defaults, plugin_secrets=_plugin_secrets(host),
                                    plugin_databases=config_rules.plugin_database_settings(host.plugins.manifests()),
                                    local=local)
    if new != current:
        await host.plugins.configuration_will_be_saved(new)  # a plugin may refuse it: ConfigError, nothing saved
        host.config.save(new)
        log.info("configuration changed", extra={"by": by or "local"})
        await host.plugins.settle()
    return host.config.get()


async def _change_config(request: web.Request, full: bool) -> web.Response:
    host = _host(request)
    incoming = await read_json(request, "config", max_payload_bytes(host.config.config))
    if not isinstance(incoming, dict):
        raise invalid_body_param("config")
    session = await _require_admin(request)
    try:
        config = await change_config(host, incoming, full=full, by=session.user_id, local=session.local)
    except config_rules.ConfigError as exc:
        raise config_error(exc) from None
    return json_response(request, config_rules.sanitize(config, _plugin_secrets(host)), headers=NO_CACHE)


def config_error(exc: config_rules.ConfigError) -> AppErrorResponse:
    return AppErrorResponse(exc.status, exc.error_id, exc.message)


async def patch_config(request: web.Request) -> web.Response:
    return await _change_config(request, full=False)


async def update_config(request: web.Request) -> web.Response:
    return await _change_config(request, full=True)


# --- plugins ---------------------------------------------------------------------------------------------------

async def plugin_statuses(request: web.Request) -> web.Response:
    await _require_admin(request)
    return json_response(request, _host(request).plugins.statuses())


async def list_plugins(request: web.Request) -> web.Response:
    await _require_admin(request)
    env = _host(request).plugins
    active, inactive = [], []
    for supervisor in env.supervisors.values():
        (active if env.is_enabled(supervisor.manifest.id) else inactive).append(supervisor.manifest.to_json())
    return json_response(request, {"active": active, "inactive": inactive})


async def _set_plugin_enabled(request: web.Request, enabled: bool) -> web.Response:
    session = await _require_admin(request)
    plugin_id = request.match_info["plugin_id"]
    try:
        await _host(request).plugins.set_enabled(plugin_id, enabled)
    except KeyError:
        raise AppErrorResponse(404, "app.plugin.not_installed.app_error", "Plugin is not installed.") from None
    log.info("plugin %s", "enabled" if enabled else "disabled",
             extra={"plugin_id": plugin_id, "by": session.user_id or "local"})
    return status_ok(request)


async def enable_plugin(request: web.Request) -> web.Response:
    return await _set_plugin_enabled(request, True)


async def disable_plugin(request: web.Request) -> web.Response:
    return await _set_plugin_enabled(request, False)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v4/config", get_config)
    app.router.add_put("/api/v4/config", update_config)
    app.router.add_put("/api/v4/config/patch", patch_config)
    app.router.add_get("/api/v4/plugins", list_plugins)
    app.router.add_get("/api/v4/plugins/statuses", plugin_statuses)
    app.router.add_post("/api/v4/plugins/{plugin_id}/enable", enable_plugin)
    app.router.add_post("/api/v4/plugins/{plugin_id}/disable", disable_plugin)


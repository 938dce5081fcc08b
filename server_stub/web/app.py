"""The host's HTTP server (aiohttp): Mattermost API v4 routes, the OAuth endpoints and the pages."""
from __future__ import annotations

import logging

from aiohttp import web

from .responses import AppErrorResponse, app_error, json_response, request_id, status_ok

log = logging.getLogger("server_stub.web")

HOST_KEY = web.AppKey("host", object)
LOCAL_MODE_KEY = web.AppKey("local_mode", bool)


@web.middleware
async def error_middleware(request: web.Request, handler):
    request_id(request)
    try:
        return await handler(request)
    except AppErrorResponse as exc:
        return app_error(request, exc.status_code, exc.error_id, exc.error_message, exc.detailed,
                         headers=dict(exc.headers))
    except web.HTTPException as exc:
        if exc.status_code == 404 and not exc.text.startswith("{"):
            return app_error(request, 404, "api.context.404.app_error", "Sorry, we could not find the page.")
        if exc.status_code == 405:
            return app_error(request, 405, "api.context.405.app_error", "Method not allowed.")
        raise
    except Exception:
        log.exception("unhandled error", extra={"request_id": request_id(request), "path": request.path})
        return app_error(request, 500, "api.context.unknown.app_error",
                         "An unexpected error occurred. Please try again.")


def require_system_admin(request: web.Request) -> None:
    if request.app[LOCAL_MODE_KEY]:
        return  # local mode (the unix socket only the host's user can open) acts as the system
    raise AppErrorResponse(401, "api.context.session_expired.app_error",
                           "Invalid or expired session, please login again.")


async def ping(request: web.Request) -> web.Response:
    return json_response(request, {"status": "OK", "ActiveSearchBackend": "database"})


async def plugin_statuses(request: web.Request) -> web.Response:
    require_system_admin(request)
    return json_response(request, request.app[HOST_KEY].plugins.statuses())


async def list_plugins(request: web.Request) -> web.Response:
    require_system_admin(request)
    env = request.app[HOST_KEY].plugins
    active, inactive = [], []
    for supervisor in env.supervisors.values():
        (active if env.is_enabled(supervisor.manifest.id) else inactive).append(supervisor.manifest.to_json())
    return json_response(request, {"active": active, "inactive": inactive})


async def _set_plugin_enabled(request: web.Request, enabled: bool) -> web.Response:
    require_system_admin(request)
    plugin_id = request.match_info["plugin_id"]
    try:
        await request.app[HOST_KEY].plugins.set_enabled(plugin_id, enabled)
    except KeyError:
        raise AppErrorResponse(404, "app.plugin.not_installed.app_error", "Plugin is not installed.") from None
    return status_ok(request)


async def enable_plugin(request: web.Request) -> web.Response:
    return await _set_plugin_enabled(request, True)


async def disable_plugin(request: web.Request) -> web.Response:
    return await _set_plugin_enabled(request, False)


def create_app(host, local_mode: bool = False) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=1024 * 1024)
    app[HOST_KEY] = host
    app[LOCAL_MODE_KEY] = local_mode
    app.router.add_get("/api/v4/system/ping", ping)
    app.router.add_get("/api/v4/plugins", list_plugins)
    app.router.add_get("/api/v4/plugins/statuses", plugin_statuses)
    app.router.add_post("/api/v4/plugins/{plugin_id}/enable", enable_plugin)
    app.router.add_post("/api/v4/plugins/{plugin_id}/disable", disable_plugin)
    return app

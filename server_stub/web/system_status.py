"""How the server is: `GET /api/v4/system/ping` (api4/system.go getSystemPing) and the System Console's status page.

The ping answers `{"status": "OK", ...}` as Mattermost's does (a load balancer's health check). With
`get_server_status=true` it also checks, as Mattermost does, that the database takes a write (`database_status`)
and the file directory is usable (`filestore_status`), tells a system admin whether the server runs as root
(`root_status`), and adds what Mattermost's has no need of: each enabled plugin's state (`plugin_statuses`: its id,
Mattermost's state number, and `status` OK when it runs and answers its health check). Anything unhealthy makes
`status` UNHEALTHY and the answer 500, unless `use_rest_semantics=true` (then 200), as in Mattermost; the three
statuses are also response headers.
"""
from __future__ import annotations

import asyncio
import logging
import os

from aiohttp import web

from .. import permissions as perms
from ..supervisor import PluginState
from . import auth
from .keys import HOST_KEY
from .responses import AppErrorResponse, json_response

log = logging.getLogger("server_stub.system")

STATUS_OK, STATUS_UNHEALTHY = "OK", "UNHEALTHY"  # Mattermost's model.StatusOk / StatusUnhealthy
HEALTH_PING_SECONDS = 2.0


async def database_status(host) -> str:
    try:
        await asyncio.to_thread(host.accounts.health_check)
    except Exception as exc:  # whatever the database said: unhealthy, and why in the log
        log.warning("Unable to write to database.", extra={"error": str(exc)})
        return STATUS_UNHEALTHY
    return STATUS_OK


def filestore_status(host) -> str:
    directory = (host.config.config.get("FileSettings") or {}).get("Directory") or ""
    if directory and os.path.isdir(directory) and os.access(directory, os.W_OK | os.X_OK):
        return STATUS_OK
    log.warning("Unable to test filestore connection.", extra={"directory": directory})
    return STATUS_UNHEALTHY


async def plugin_statuses(host) -> list[dict]:
    """Each enabled plugin: id, state, and OK when it runs and answers its health check."""
    env = host.plugins
    enabled = [(plugin_id, s) for plugin_id, s in sorted(env.supervisors.items()) if env.is_enabled(plugin_id)]

    async def status_of(supervisor) -> str:
        process = supervisor.process
        if supervisor.state != PluginState.RUNNING or process is None:
            return STATUS_UNHEALTHY
        return STATUS_OK if await process.ping(HEALTH_PING_SECONDS) else STATUS_UNHEALTHY

    statuses = await asyncio.gather(*(status_of(s) for _, s in enabled))
    return [{"plugin_id": plugin_id, "state": int(s.state), "status": status}
            for (plugin_id, s), status in zip(enabled, statuses)]


async def server_status(host) -> dict:
    """What get_server_status=true adds, and the overall status."""
    database, plugins = await asyncio.gather(database_status(host), plugin_statuses(host))
    status = {"database_status": database, "filestore_status": filestore_status(host), "plugin_statuses": plugins}
    healthy = database == STATUS_OK and status["filestore_status"] == STATUS_OK and \
        all(p["status"] == STATUS_OK for p in plugins)
    status["status"] = STATUS_OK if healthy else STATUS_UNHEALTHY
    return status


async def ping(request: web.Request) -> web.Response:
    body = {"status": STATUS_OK, "AndroidLatestVersion": "", "AndroidMinVersion": "", "IosLatestVersion": "",
            "IosMinVersion": ""}
    headers = {}
    if request.query.get("get_server_status") == "true":
        body.update(await server_status(request.app[HOST_KEY]))
        headers = {key: body[key] for key in ("status", "database_status", "filestore_status")}
        try:
            session = await auth.optional_session(request)
        except AppErrorResponse:  # a token that is no good: the answer is the anonymous one
            session = None
        if session is not None and session.has_permission(perms.MANAGE_SYSTEM):
            body["root_status"] = os.geteuid() == 0
    body["ActiveSearchBackend"] = "database"
    status = 500 if body["status"] != STATUS_OK and request.query.get("use_rest_semantics") != "true" else 200
    return json_response(request, body, status=status, headers=headers)

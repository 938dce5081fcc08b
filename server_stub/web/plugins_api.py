"""API v4 plugin installation (server/channels/api4/plugin.go uploadPlugin, removePlugin): system admins, or local
mode (the command line's `plugin add|remove`).

| Route | What |
|---|---|
| POST `/api/v4/plugins` | multipart form: the bundle in `plugin`, `force=true` to replace an installed plugin; 201 and its manifest |
| DELETE `/api/v4/plugins/{plugin_id}` | disable, stop and remove the plugin (its data stays); 200 status OK |

Uploads need `PluginSettings.Enable` and `PluginSettings.EnableUploads` (off by default, as in Mattermost: 501
`app.plugin.upload_disabled.app_error`). The body may be as large as `FileSettings.MaxFileSize` (413 past it). With
`PluginSettings.RequirePluginSignature` the form also carries the bundle's detached signature in `signature`
(Mattermost refuses uploads then; here they are taken when signed by a configured key).
"""
from __future__ import annotations

import logging
import tempfile

from aiohttp import web

from .. import permissions as perms
from ..plugin_bundles import BundleError
from . import auth
from .body import file_upload, max_file_bytes
from .keys import HOST_KEY
from .responses import AppErrorResponse, json_response, status_ok

log = logging.getLogger("server_stub.system")

_SPOOL_IN_MEMORY = 1024 * 1024  # larger uploads go to a temporary file (0600 under the umask) while read


def _settings(request: web.Request) -> dict:
    return request.app[HOST_KEY].config.config.get("PluginSettings") or {}


def _plugins_disabled(where: str) -> AppErrorResponse:
    return AppErrorResponse(501, "app.plugin.disabled.app_error", "Plugins have been disabled. Please check your "
                            "logs for details.", where)


def _require_admin(session: auth.Session) -> None:
    auth.require_permission(session, perms.MANAGE_SYSTEM)


async def read_upload(request: web.Request, limit: int):
    """The multipart form of an upload: (the `plugin` file spooled, force, the `signature` or None). 400 with
    uploadPlugin's ids when the form or its file is missing, 413 past `limit`."""
    if request.content_type != "multipart/form-data":
        raise AppErrorResponse(400, "api.plugin.upload.no_file.app_error", "Missing file in multipart/form request.")
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError, KeyError):
        raise AppErrorResponse(400, "api.plugin.upload.no_file.app_error",
                               "Missing file in multipart/form request.") from None
    bundle, force, signature, total = None, False, None, 0
    try:
        async for part in reader:
            if part.name == "plugin" and bundle is None:
                bundle = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)
                while chunk := await part.read_chunk(256 * 1024):
                    total += len(chunk)
                    if total > limit:
                        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=total)
                    bundle.write(chunk)
            elif part.name == "force":
                force = (await part.text()).strip() == "true"
            elif part.name == "signature" and signature is None:
                signature = await part.read()
                total += len(signature)
                if total > limit:
                    raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=total)
            else:
                await part.release()
    except (ValueError, AssertionError, UnicodeError):
        if bundle is not None:
            bundle.close()
        raise AppErrorResponse(400, "api.plugin.upload.file.app_error", "Unable to open file in multipart/form "
                               "request.") from None
    except BaseException:
        if bundle is not None:
            bundle.close()
        raise
    if bundle is None:
        raise AppErrorResponse(400, "api.plugin.upload.no_file.app_error", "Missing file in multipart/form request.")
    bundle.seek(0)
    return bundle, force, signature


@file_upload
async def upload_plugin(request: web.Request) -> web.Response:
    host = request.app[HOST_KEY]
    # Mattermost's order: the session (and here a token's scope), then whether uploads are on, then the permission.
    session = await auth.require_session(request)
    settings = _settings(request)
    if not settings.get("Enable", True) or not settings.get("EnableUploads", False):
        raise AppErrorResponse(501, "app.plugin.upload_disabled.app_error", "Plugins and/or plugin uploads have been "
                               "disabled.", "PluginSettings.EnableUploads is false")
    _require_admin(session)
    bundle, force, signature = await read_upload(request, max_file_bytes(host.config.config))
    try:
        manifest = await host.plugins.install(bundle, force=force, signature=signature)
    except BundleError as exc:
        log.warning("plugin bundle refused", extra={"error_id": exc.error_id, "error": exc.detailed or exc.message,
                                                   "by": session.user_id or "local"})
        raise AppErrorResponse(exc.status, exc.error_id, exc.message, exc.detailed) from None
    finally:
        bundle.close()
    log.info("plugin uploaded", extra={"plugin_id": manifest.id, "version": manifest.version, "force": force,
                                       "by": session.user_id or "local"})
    return json_response(request, manifest.to_json(), status=201)


async def remove_plugin(request: web.Request) -> web.Response:
    host = request.app[HOST_KEY]
    session = await auth.require_session(request)
    if not _settings(request).get("Enable", True):
        raise _plugins_disabled("removePlugin")
    _require_admin(session)
    plugin_id = request.match_info["plugin_id"]
    try:
        await host.plugins.remove(plugin_id)
    except KeyError:
        raise AppErrorResponse(404, "app.plugin.not_installed.app_error", "Plugin is not installed.") from None
    log.info("plugin removed", extra={"plugin_id": plugin_id, "by": session.user_id or "local"})
    return status_ok(request)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v4/plugins", upload_plugin)
    app.router.add_delete("/api/v4/plugins/{plugin_id}", remove_plugin)

"""The host's HTTP server (aiohttp): Mattermost API v4 routes, the OAuth endpoints and the pages."""
from __future__ import annotations

import logging
import os

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from multidict import CIMultiDict

from ..accounts import DatabaseUnavailable
from .body import payload_limit_middleware
from .client_address import client_address_middleware
from .keys import HOST_KEY, LOCAL_MODE_KEY  # noqa: F401 - re-exported
from . import system_status
from .responses import AppErrorResponse, app_error, request_id

log = logging.getLogger("server_stub.web")


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
        if exc.status_code == 413:
            return app_error(request, 413, "api.context.request_body_too_large.app_error",
                             "The request body is too large.")
        raise
    except RequestPayloadError:  # a body that cannot be read (a broken chunked encoding)
        return app_error(request, 400, "api.context.invalid_body_param.app_error",
                         "The request body could not be read.")
    except ConnectionError:
        raise  # the client left: aiohttp drops the request quietly
    except DatabaseUnavailable as exc:
        log.error("database unavailable", extra={"request_id": request_id(request), "path": request.path,
                                                  "remote_addr": request.remote, "error": str(exc)})
        return app_error(request, 503, "app.store.unavailable.app_error",
                         "The database is unavailable. Please try again in a moment.",
                         headers={"Retry-After": "1"})
    except Exception:
        log.exception("unhandled error", extra={"request_id": request_id(request), "path": request.path,
                                                "remote_addr": request.remote})
        return app_error(request, 500, "api.context.unknown.app_error",
                         "An unexpected error occurred. Please try again.")


@web.middleware
async def header_text_middleware(request: web.Request, handler):
    """aiohttp hands header bytes that are not UTF-8 to handlers as lone surrogates (surrogateescape), which no
    protobuf string, hash or comparison of encoded text accepts. They become U+FFFD here, before anything reads a
    header, so that a stray byte in a User-Agent, a cookie or a token is a wrong value, never a 500."""
    if all(value.isascii() for value in request.headers.values()):
        return await handler(request)
    return await handler(request.clone(headers=CIMultiDict(
        (key, value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        for key, value in request.headers.items())))


STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")


def create_app(host, local_mode: bool = False) -> web.Application:
    from .api4 import add_core_routes
    from .oauth_routes import GATEWAY_KEY, add_oauth_routes

    # Request bodies are taken as sent, as Go's net/http (Mattermost) takes them: a Content-Encoding is not undone
    # (aiohttp's decoder could wait forever on a truncated deflate body), so an encoded body is just not JSON.
    metrics = None if local_mode else getattr(host, "metrics", None)  # the command line's calls are no traffic
    counted = [metrics.middleware()] if metrics is not None else []
    app = web.Application(middlewares=[*counted, header_text_middleware, client_address_middleware,
                                       payload_limit_middleware, error_middleware],
                          client_max_size=1024 * 1024, handler_args={"auto_decompress": False})
    app[HOST_KEY] = host
    app[LOCAL_MODE_KEY] = local_mode
    app[GATEWAY_KEY] = host.gateway
    add_oauth_routes(app)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/api/v4/system/ping", system_status.ping)
    add_core_routes(app)
    if not local_mode:  # the local-mode socket serves the command line's API, not people
        from .pages_routes import add_page_routes

        add_page_routes(app)
    return app

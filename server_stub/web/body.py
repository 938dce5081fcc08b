"""Reading request bodies and parameters the way Mattermost's handlers do, without its 500s.

Bodies are read leniently: unknown fields are ignored and `null` for an optional string means "". What cannot be
understood (malformed JSON, a wrong type, a missing required field) answers 400
`api.context.invalid_body_param.app_error` naming the parameter; a body over
`ServiceSettings.MaximumPayloadSizeBytes` answers 413, on every route (`payload_limit_middleware`).
"""
from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from .keys import HOST_KEY
from .responses import AppErrorResponse, app_error

DEFAULT_MAX_PAYLOAD_BYTES = 300_000  # Mattermost's default ServiceSettings.MaximumPayloadSizeBytes
MAX_JSON_DEPTH = 64  # deeper nesting is no request body of this API, and would exhaust Python's recursion limit
_MISSING = object()
_ATOI = re.compile(r"[+-]?[0-9]+")
INT64_MIN, INT64_MAX = -2 ** 63, 2 ** 63 - 1
INT32_MIN, INT32_MAX = -2 ** 31, 2 ** 31 - 1


def invalid_body_param(name: str) -> AppErrorResponse:
    return AppErrorResponse(400, "api.context.invalid_body_param.app_error",
                            f"Invalid or missing {name} in request body.")


def invalid_url_param(name: str) -> AppErrorResponse:
    return AppErrorResponse(400, "api.context.invalid_url_param.app_error",
                            f"Invalid or missing {name} parameter in request URL.")


def body_too_large() -> AppErrorResponse:
    return AppErrorResponse(413, "api.context.request_body_too_large.app_error",
                            "The request body is too large.")


def max_payload_bytes(config: dict) -> int:
    value = (config.get("ServiceSettings") or {}).get("MaximumPayloadSizeBytes", DEFAULT_MAX_PAYLOAD_BYTES)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else DEFAULT_MAX_PAYLOAD_BYTES


DEFAULT_MAX_FILE_BYTES = 104_857_600  # Mattermost's default FileSettings.MaxFileSize


def max_file_bytes(config: dict) -> int:
    value = (config.get("FileSettings") or {}).get("MaxFileSize", DEFAULT_MAX_FILE_BYTES)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else DEFAULT_MAX_FILE_BYTES


def file_upload(handler):
    """Mark a route as a file upload (Mattermost's handlerParamFileAPI): its body may be as large as
    FileSettings.MaxFileSize instead of ServiceSettings.MaximumPayloadSizeBytes."""
    handler.body_limit = max_file_bytes
    return handler


def _body_limit(request: web.Request) -> int:
    config = request.app[HOST_KEY].config.config
    match_info = getattr(request, "match_info", None)
    limit_of = getattr(getattr(match_info, "handler", None), "body_limit", None)
    return limit_of(config) if limit_of is not None else max_payload_bytes(config)


@web.middleware
async def payload_limit_middleware(request: web.Request, handler):
    """ServiceSettings.MaximumPayloadSizeBytes on every route (API, OAuth forms, pages), before anything else
    (authentication included): a declared length over it answers 413 at once, and a body of undeclared length
    (chunked) is read here, up to the limit, so that it answers 413 too instead of reaching a handler that would
    act without reading it. Multipart forms are left to aiohttp, which stops reading them at the same limit. File
    uploads (`file_upload`) have FileSettings.MaxFileSize instead."""
    if not request.body_exists:
        return await handler(request)
    limit, length = _body_limit(request), request.content_length
    if length is not None and length > limit:
        return _too_large(request)
    if length is None or limit > request.client_max_size:  # else reading stops at the declared length
        request = request.clone(client_max_size=limit)
    if length is None and request.content_type != "multipart/form-data":
        try:
            await request.read()  # kept by the request for the handler
        except web.HTTPRequestEntityTooLarge:
            return _too_large(request)
    return await handler(request)


def _too_large(request: web.Request) -> web.Response:
    error = body_too_large()
    return app_error(request, error.status_code, error.error_id, error.error_message)


async def read_body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise body_too_large()
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise body_too_large() from None
    if len(raw) > limit:
        raise body_too_large()
    return raw


async def read_json(request: web.Request, name: str, limit: int = DEFAULT_MAX_PAYLOAD_BYTES) -> Any:
    """The JSON value of the body; 400 naming `name` when it is not JSON, 413 when it is over `limit`."""
    raw = await read_body(request, limit)
    try:
        value = json.loads(raw.decode("utf-8"))
        # JSON may spell lone surrogates ("\\ud800"): valid JSON, but not text that can be stored or sent back.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):
        raise invalid_body_param(name) from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise invalid_body_param(name)
    return value


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


async def read_json_object(request: web.Request, name: str, limit: int = DEFAULT_MAX_PAYLOAD_BYTES) -> dict:
    value = await read_json(request, name, limit)
    if not isinstance(value, dict):
        raise invalid_body_param(name)
    return value


def get_str(body: dict, key: str, required: bool = False, default: str = "") -> str:
    """A string field; absent or null is `default` (or 400 when required), another type is 400."""
    value = body.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise invalid_body_param(key)
        return default
    if not isinstance(value, str):
        raise invalid_body_param(key)
    return value


def get_bool(body: dict, key: str, required: bool = False, default: bool = False) -> bool:
    value = body.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise invalid_body_param(key)
        return default
    if not isinstance(value, bool):
        raise invalid_body_param(key)
    return value


def get_str_list(body: dict, key: str, required: bool = False) -> list[str] | None:
    """A list of strings; absent or null is None (or 400 when required)."""
    value = body.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise invalid_body_param(key)
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid_body_param(key)
    return value


# --- numbers in the query string --------------------------------------------------------------------------------

def atoi(text: str | None) -> int | None:
    """Go's strconv.Atoi, which Mattermost reads numeric query parameters with (server/channels/web/params.go):
    an optional sign and ASCII digits, within int64; None for anything else (a space, a fraction, an exponent,
    other digits, a value past int64), as Go answers an error."""
    if text is None or not _ATOI.fullmatch(text):
        return None
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else None


def query_int32(request: web.Request, key: str, default: int = -1) -> int:
    """A numeric query parameter for an int32 field of the plugin's contract: `default` when it is missing or
    not Atoi-able (for paging, -1 is the plugin's default), else the number, clamped into int32 (a page past
    2**31 is past the end either way). The plugin applies Mattermost's rules to what it gets (negative: the
    default; per_page over 200: 200)."""
    value = atoi(request.query.get(key))
    if value is None:
        return default
    return max(INT32_MIN, min(value, INT32_MAX))

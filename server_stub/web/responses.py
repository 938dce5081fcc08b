"""Mattermost-shaped HTTP responses: JSON with `Content-Type: application/json` exactly (Mattermost's
clients compare the string), AppError bodies, and the request id header."""
from __future__ import annotations

import json
import secrets

from aiohttp import web

_ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"
_REQUEST_ID = web.RequestKey("server_stub.request_id", str) if hasattr(web, "RequestKey") else "server_stub.request_id"


def new_request_id() -> str:
    """A 26-character Mattermost id."""
    value = int.from_bytes(secrets.token_bytes(16), "big")
    out = []
    for _ in range(26):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(out)


def request_id(request: web.Request) -> str:
    rid = request.get(_REQUEST_ID)
    if not rid:
        rid = request[_REQUEST_ID] = new_request_id()
    return rid


def json_bytes(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(request: web.Request, data, status: int = 200, headers: dict | None = None) -> web.Response:
    return json_bytes_response(request, json_bytes(data), status, headers)


def json_bytes_response(request: web.Request, body: bytes, status: int = 200, headers=None) -> web.Response:
    """A JSON body already encoded (b"": no body and no Content-Type), with `headers` (a dict or (name, value)
    pairs), then Content-Type and X-Request-Id."""
    response = web.Response(body=body or None, status=status, headers=headers)
    if body:
        response.headers["Content-Type"] = "application/json"
    response.headers["X-Request-Id"] = request_id(request)
    return response


def app_error(request: web.Request, status: int, error_id: str, message: str, detailed: str = "",
              headers: dict | None = None) -> web.Response:
    body = {"id": error_id, "message": message, "detailed_error": detailed,
            "request_id": request_id(request), "status_code": status}
    return json_response(request, body, status=status, headers=headers)


class AppErrorResponse(web.HTTPException):
    """Raise from a handler to answer with an AppError body."""

    def __init__(self, status: int, error_id: str, message: str, detailed: str = "", headers: dict | None = None):
        self.status_code = status
        super().__init__(headers=headers)
        self.error_id, self.error_message, self.detailed = error_id, message, detailed


def status_ok(request: web.Request) -> web.Response:
    return json_response(request, {"status": "OK"})

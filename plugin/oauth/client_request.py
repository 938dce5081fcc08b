"""The HTTP request of a client that authenticates itself (the token endpoint, RFC 7009 revocation, RFC 7662
introspection; device authorization and pushed authorization requests next), and the answers it gets.

The host hands over the request as it came: the Content-Type header, the body and the Authorization header. This
module reads the form and the client's credentials (RFC 6749 sections 2.3 and 3.2) and shapes every answer: the
error body of RFC 6749 section 5.2 beside Mattermost's AppError fields, `Cache-Control: no-store`, the Basic
challenge, Retry-After. Pure Python: no gRPC, no HTTP server.

    request = read(content_type, body, authorization)      # ClientRequest, or Refused
    token_request = TokenRequest(**request.values(["grant_type", "code", "client_id", "client_secret", ...]))
    answer = json_answer(issued.to_json())                  # or error_answer(exc, request_id, request.method)
"""
from __future__ import annotations

import base64
import dataclasses
import json
import urllib.parse
from typing import Iterable

from .client_auth import CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, NONE, invalid_client
from .errors import AppError, OAuthErrorCode, app_error

FORM = "application/x-www-form-urlencoded"

NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
BASIC_CHALLENGE = ("WWW-Authenticate", 'Basic realm="oauth"')

_BAD_REQUEST = "api.oauth.get_access_token.bad_request.app_error"


@dataclasses.dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, headers in order, and a JSON body (b"": none)."""
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


@dataclasses.dataclass(frozen=True)
class ClientRequest:
    """The form's parameters (one value each) and the client's credentials, from the Authorization header
    (client_secret_basic) or the form (client_secret_post, or none for a public client)."""
    fields: dict[str, str]
    client_id: str
    client_secret: str
    method: str

    def values(self, names: Iterable[str]) -> dict[str, str]:
        """Each named parameter ("" when absent); `client_id` and `client_secret` are the client's credentials,
        however it sent them."""
        credentials = {"client_id": self.client_id, "client_secret": self.client_secret}
        return {name: credentials[name] if name in credentials else self.fields.get(name, "") for name in names}


class Refused(Exception):
    """The request cannot be read: `error` says why, `method` how the client tried to authenticate."""

    def __init__(self, error: AppError, method: str) -> None:
        super().__init__(error.message)
        self.error, self.method = error, method


def media_type(content_type: str) -> str:
    """The media type of a Content-Type value, in lower case and without its parameters (RFC 9110 section 8.3.1)."""
    return content_type.partition(";")[0].strip(" \t").lower()


def basic_scheme(authorization: str) -> bool:
    return authorization.partition(" ")[0].lower() == "basic"


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """client_secret_basic (RFC 6749 section 2.3.1): id and secret form-urlencoded, then base64; None without the
    Basic scheme, ValueError when it cannot be decoded."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    # Not base64 (binascii.Error), not ASCII, or not UTF-8 once decoded: all ValueError.
    decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise ValueError("no colon in the Basic credentials")
    return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)


def _bad_request(message: str) -> AppError:
    return app_error(_BAD_REQUEST, 400, oauth_error="invalid_request", message=f"invalid_request: {message}")


def read(content_type: str, body: bytes, authorization: str) -> ClientRequest:
    """The client's request. Repeated parameters (RFC 6749 section 3.2) and two authentication methods at once
    (section 2.3) are invalid_request; Basic credentials that cannot be decoded are invalid_client."""
    basic = basic_scheme(authorization)
    method = CLIENT_SECRET_BASIC if basic else NONE
    form: dict[str, str] = {}
    if media_type(content_type) == FORM:
        try:
            pairs = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise Refused(_bad_request("Bad request."), method) from None
        for key, value in pairs:
            if key in form:
                raise Refused(_bad_request(f"Repeated parameter {key}."), method)
            form[key] = value
    try:
        credentials = basic_credentials(authorization)
    except ValueError:
        raise Refused(invalid_client(), method) from None
    if credentials is None:
        secret = form.get("client_secret", "")
        return ClientRequest(form, form.get("client_id", ""), secret, CLIENT_SECRET_POST if secret else NONE)
    if form.get("client_secret"):
        raise Refused(_bad_request("More than one client authentication method."), method)
    if form.get("client_id") and form["client_id"] != credentials[0]:
        raise Refused(_bad_request("client_id does not match the authenticated client."), method)
    return ClientRequest(form, credentials[0], credentials[1], CLIENT_SECRET_BASIC)


def _json(body) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def json_answer(body, status: int = 200) -> Answer:
    return Answer(status, NO_STORE, _json(body))


def empty_answer() -> Answer:
    """200 with no body (RFC 7009 section 2.2)."""
    return Answer(200, NO_STORE)


def error_answer(error: AppError, request_id: str, method: str) -> Answer:
    """Mattermost's AppError JSON with RFC 6749's `error` and `error_description` beside it (section 5.2), and
    no-store. A client that authenticated with Basic gets 401 and the challenge for invalid_client (section 5.2);
    a rate limit or an unreachable database, Retry-After."""
    status, headers = error.status or 500, list(NO_STORE)
    if method == CLIENT_SECRET_BASIC and error.oauth_error == OAuthErrorCode.INVALID_CLIENT:
        status = 401
        headers.append(BASIC_CHALLENGE)
    if error.retry_after:
        headers.append(("Retry-After", str(error.retry_after)))
    headers.extend(error.headers)
    message, oauth_error = error.message, error.oauth_error
    description = message.split(": ", 1)[1] if message.startswith(oauth_error + ": ") else message
    # error_description holds only %x20-21 / %x23-5B / %x5D-7E (a message may quote input).
    description = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in description)
    body = {"id": error.id, "message": message, "detailed_error": "", "request_id": request_id,
            "status_code": status, "error": oauth_error or "invalid_request", "error_description": description}
    return Answer(status, tuple(headers), _json(body))


def registration_answer(registered: dict) -> Answer:
    """RFC 7591 section 3.2.1: 201 with the client's registered metadata."""
    return json_answer(registered, status=201)


def registration_error_answer(error: AppError) -> Answer:
    """RFC 7591 section 3.2.2: `error` and `error_description` only (a rate limit or an unreachable database
    answers the same way, with Retry-After)."""
    headers = list(NO_STORE)
    if error.retry_after:
        headers.append(("Retry-After", str(error.retry_after)))
    body = {"error": error.oauth_error or "invalid_client_metadata", "error_description": error.message}
    return Answer(error.status or 400, tuple(headers), _json(body))


# RFC 7662 section 2.2, in the order the host has always written it; `aud` only when the token has one.
_INTROSPECTION_ORDER = ("active", "scope", "client_id", "token_type", "exp", "iat", "sub", "iss")


def introspection_answer(info: dict) -> Answer:
    """The introspection response: exactly {"active": false} for anything not active."""
    if not info.get("active"):
        return json_answer({"active": False})
    body = {key: info[key] for key in _INTROSPECTION_ORDER if key in info}
    if info.get("aud"):
        body["aud"] = info["aud"]
    body.update((key, value) for key, value in info.items() if key not in body and key != "aud")
    return json_answer(body)

"""Helpers for the RPC acceptance tests: callers, apps, the authorization-code flow and error checks, all through
the launched plugin's OAuth services (never the domain in-process)."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
import urllib.parse
from contextlib import closing

from oauthplugin.v1 import apps_pb2, authorize_pb2, common_pb2, token_pb2
from tests.rpc.conftest import ADMIN_PERMISSIONS, LaunchedPlugin, context

# Mattermost's NewId alphabet: ids made with it pass IsValidId (26 letters or digits).
ID_ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"

# RFC 7636 appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

CALLBACK = "https://client.example.com/callback"
OTHER_CALLBACK = "https://client.example.com/other"
HOMEPAGE = "https://client.example.com"

# Ids of errors several modules check.
PERMISSIONS = "api.context.permissions.app_error"
SESSION_EXPIRED = "api.context.session_expired.app_error"
INVALID_URL_PARAM = "api.context.invalid_url_param.app_error"
INVALID_BODY_PARAM = "api.context.invalid_body_param.app_error"
APP_NOT_FOUND = "app.oauth.get_app.find.app_error"
SP_OFF = "api.oauth.allow_oauth.turn_off.app_error"
EXPIRED_CODE = "api.oauth.get_access_token.expired_code.app_error"
INVALID_REFRESH = "api.oauth.get_access_token.refresh_token.app_error"
BAD_CREDENTIALS = "model.oauth.validate_grant.credentials.app_error"
CLIENT_ID_MISMATCH = "api.oauth.get_access_token.client_id_mismatch.app_error"
REDIRECT_MISMATCH = "api.oauth.get_access_token.redirect_uri.app_error"
REDIRECT_CALLBACK = "api.oauth.allow_oauth.redirect_callback.app_error"

Outcome = authorize_pb2.BeginAuthorizationResponse


def new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(26))


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


# --- callers (the RequestContext the host would send) ----------------------------------------------------------

def admin():
    """A system admin: manage_oauth, manage_system_wide_oauth, manage_system, edit_other_users."""
    return context(new_id(), ADMIN_PERMISSIONS)


def member():
    """A system_user with manage_oauth, as Mattermost's API tests set it up for the non-admin paths."""
    return context(new_id(), ["manage_oauth"])


def plain_user():
    """A system_user without manage_oauth (Mattermost's default role)."""
    return context(new_id())


def anonymous():
    """No session (a logged-out request)."""
    return context()


def oauth_session(caller):
    """The same user, authenticated with an OAuth access token instead of a login session."""
    return context(caller.user_id, caller.permissions, is_oauth=True)


# --- responses -------------------------------------------------------------------------------------------------

def ok(response):
    assert not response.HasField("error"), response.error
    return response


def expect_error(response, error_id: str, status: int, oauth_error: str | None = None):
    """The response carries Mattermost's AppError `error_id` with HTTP `status` (and the RFC code if given)."""
    assert response.HasField("error"), f"expected {error_id}, got success: {response}"
    assert (response.error.id, response.error.status_code) == (error_id, status), response.error
    if oauth_error is not None:
        assert response.error.oauth_error == oauth_error, response.error
    return response.error


# --- the token endpoint, revocation and introspection: a client's form in, a whole HTTP answer out --------------

FORM = "application/x-www-form-urlencoded"


def client_form(context=None, authorization: str = "", content_type: str = FORM,
                **form: str) -> common_pb2.ClientHttpRequest:
    """A client's request as the host forwards it: the form urlencoded as the body, its content type, and the
    Authorization header (client_secret_basic) when given."""
    return common_pb2.ClientHttpRequest(context=context, content_type=content_type,
                                        body=urllib.parse.urlencode(form).encode(), authorization=authorization)


class ClientAnswer:
    """The plugin's HTTP answer to a client's request, read back the way the tests read the other RPCs' responses:
    `HasField("error")` and `error` (an AppError from the body's Mattermost fields, its RFC 6749 `error` code and the
    Retry-After header) for an error, the JSON body's fields as attributes otherwise (`audience` and `aud`, which the
    body leaves out when empty, as "")."""

    OPTIONAL = ("audience", "aud", "client_secret", "client_name", "client_uri")  # left out when empty

    def __init__(self, answer: common_pb2.HttpAnswer) -> None:
        self.answer = answer
        self.status = answer.status
        self.headers = {header.name: header.value for header in answer.headers}
        self.json = json.loads(answer.body_json) if answer.body_json else None
        self.error = None
        if self.status >= 400 and "status_code" not in self.json:  # RFC 7591's error body: error, description
            self.error = common_pb2.AppError(
                message=self.json["error_description"], status_code=self.status, oauth_error=self.json["error"],
                retry_after_seconds=int(self.headers.get("Retry-After", "0")))
        elif self.status >= 400:
            body = self.json
            assert body["status_code"] == self.status, body
            self.error = common_pb2.AppError(
                id=body["id"], message=body["message"], detailed_error=body["detailed_error"],
                status_code=body["status_code"], oauth_error=body["error"],
                retry_after_seconds=int(self.headers.get("Retry-After", "0")))

    def HasField(self, name: str) -> bool:
        assert name == "error", name
        return self.error is not None

    def __getattr__(self, name: str):
        body = self.__dict__.get("json") or {}
        if name in body:
            return body[name]
        if name in self.OPTIONAL:
            return ""
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"ClientAnswer({self.status}, {self.headers}, {self.json})"


def client_call(rpc, context=None, authorization: str = "", **form: str) -> ClientAnswer:
    """Call Token, Revoke or Introspect with a client's form; its answer, read back."""
    return ClientAnswer(rpc(client_form(context, authorization, **form)))


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))


def fragment_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).fragment, keep_blank_values=True))


# --- the flow ---------------------------------------------------------------------------------------------------

class OAuthClient:
    """The OAuth services of one launched plugin, with the steps the tests repeat."""

    def __init__(self, plugin: LaunchedPlugin, stub=None) -> None:
        self.plugin = plugin
        self.rpc = stub or plugin.oauth

    # apps
    def create_app(self, caller=None, **fields) -> apps_pb2.OAuthApp:
        """Create an app (by a fresh admin unless `caller` is given); the result holds the clear secret."""
        values = dict(name="Test app", description="a test app", icon_url=HOMEPAGE + "/icon.png",
                      callback_urls=[CALLBACK, OTHER_CALLBACK], homepage=HOMEPAGE)
        values.update(fields)
        created = ok(self.rpc.CreateApp(apps_pb2.CreateAppRequest(context=caller or admin(), **values)))
        return created.app

    def get_app(self, caller, app_id: str):
        return self.rpc.GetApp(apps_pb2.AppIdRequest(context=caller, app_id=app_id))

    def register(self, metadata: bytes):
        return ClientAnswer(self.rpc.RegisterClient(common_pb2.ClientHttpRequest(
            context=anonymous(), content_type="application/json", body=metadata)))

    # authorization
    @staticmethod
    def request(app, **fields) -> authorize_pb2.AuthorizeRequest:
        values = dict(response_type="code", client_id=app.id, redirect_uri=CALLBACK, state="state-123")
        values.update(fields)
        return authorize_pb2.AuthorizeRequest(**values)

    def begin(self, caller, app=None, request=None, **fields):
        request = request if request is not None else self.request(app, **fields)
        return self.rpc.BeginAuthorization(authorize_pb2.BeginAuthorizationRequest(context=caller, request=request))

    def decide(self, caller, app=None, allow: bool = True, request=None, **fields):
        request = request if request is not None else self.request(app, **fields)
        return self.rpc.DecideConsent(authorize_pb2.ConsentDecisionRequest(context=caller, request=request,
                                                                           allow=allow))

    def code_for(self, caller, app, **fields) -> str:
        """The user allows the app on the consent page; the code from the redirect."""
        redirect = ok(self.decide(caller, app, **fields)).redirect_url
        return query_of(redirect)["code"]

    # tokens
    def exchange(self, app, code: str = "", **fields):
        values = dict(grant_type="authorization_code", code=code, redirect_uri=CALLBACK, client_id=app.id,
                      client_secret=app.client_secret)
        values.update(fields)
        return client_call(self.rpc.Token, **values)

    def tokens(self, caller, app, authorize: dict | None = None, **fields):
        """A whole successful code flow for `caller` and `app`: the token response."""
        return ok(self.exchange(app, self.code_for(caller, app, **(authorize or {})), **fields))

    def refresh(self, app, refresh_token: str, **fields):
        values = dict(grant_type="refresh_token", refresh_token=refresh_token, client_id=app.id,
                      client_secret=app.client_secret)
        values.update(fields)
        return client_call(self.rpc.Token, **values)

    def validate(self, token: str):
        return self.rpc.ValidateToken(token_pb2.ValidateTokenRequest(token=token))

    def works(self, token: str) -> bool:
        """Does the host accept this bearer token (ValidateToken succeeds)?"""
        answer = self.validate(token)
        if answer.HasField("error"):
            assert (answer.error.id, answer.error.status_code) == (SESSION_EXPIRED, 401), answer.error
            return False
        return True


# --- the plugin's database (read, or aged the way Mattermost's tests save an expired AuthData) -------------------

def db_rows(plugin: LaunchedPlugin, sql: str, params=()) -> list[tuple]:
    with closing(sqlite3.connect(plugin.db_path, timeout=10)) as db:
        return db.execute(sql, params).fetchall()


def db_execute(plugin: LaunchedPlugin, sql: str, params=()) -> int:
    with closing(sqlite3.connect(plugin.db_path, timeout=10)) as db:
        with db:
            return db.execute(sql, params).rowcount


def db_dump(plugin: LaunchedPlugin) -> tuple[str, bytes]:
    """Every row as SQL text, and the raw bytes of the database files (with the WAL)."""
    with closing(sqlite3.connect(plugin.db_path, timeout=10)) as db:
        dump = "\n".join(db.iterdump())
    raw = b"".join(p.read_bytes() for p in plugin.db_path.parent.iterdir() if p.is_file())
    return dump, raw

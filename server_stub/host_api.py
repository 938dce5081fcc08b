"""The HostAPI (proto/oauthplugin/v1/host_api.proto): what the host answers its own plugin about users, sessions,
permissions and the configuration, like Mattermost's plugin API (server/channels/app/plugin_api.go).

Each launch gets its own server (`HostAPIServer`), started once the handshake line is read and stopped with the
process, on the host's event loop (free while the host awaits the plugin's RPC, which may be what is asking):
- AutoMTLS: TCP on 127.0.0.1, TLS with the launch's key pair (the certificate sent in PLUGIN_CLIENT_CERT, which the
  plugin already trusts alone), requiring as client certificate the one the plugin gave in its handshake line;
- otherwise: a unix socket in a fresh directory only the host's user can open (mode 0700), like the plugin's own.
Nothing else can call it: a relaunch has a new key pair, a new certificate from the plugin and a new server.

Every answer is the response message, its AppError set on failure: bad input, missing users, the database down.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from typing import Callable

import grpc

from goplugin import protocol
from oauthplugin.v1 import common_pb2, host_api_pb2, host_api_pb2_grpc

from .accounts import DatabaseUnavailable, SessionRecord, User, is_valid_id

log = logging.getLogger("server_stub.host_api")

# email_verified and picture are answered by the host's rules, not read from the account (user_message).
_USER_FIELDS = [f.name for f in host_api_pb2.User.DESCRIPTOR.fields if f.name not in ("email_verified", "picture")]


def _error(status: int, error_id: str, message: str) -> common_pb2.AppError:
    return common_pb2.AppError(id=error_id, message=message, status_code=status)


def _invalid_param(name: str) -> common_pb2.AppError:
    return _error(400, "api.context.invalid_url_param.app_error",
                  f"Invalid or missing {name} parameter in request URL.")


MISSING_USER = ("app.user.missing_account.const", "Unable to find the user.")
MISSING_USERNAME = ("app.user.get_by_username.app_error",
                    "Unable to find an existing account matching your username for this team. This team may require "
                    "an invite from the team owner to join.")
MISSING_SESSION = ("app.session.get.app_error", "We encountered an error finding the session.")


def user_message(user: User) -> host_api_pb2.User:
    # The host confirms no emails; its own API v4 answers email_verified true too (accounts.User.to_json). It keeps
    # no profile pictures: `picture` stays "" (OpenID Connect then leaves the claim out).
    return host_api_pb2.User(email_verified=True, **{name: getattr(user, name) for name in _USER_FIELDS})


def session_message(session: SessionRecord, roles: str) -> host_api_pb2.Session:
    return host_api_pb2.Session(id=session.id, user_id=session.user_id, create_at=session.create_at,
                                expires_at=session.expires_at, last_activity_at=session.last_activity_at, roles=roles)


class HostAPIServicer(host_api_pb2_grpc.HostAPIServicer):
    """The answers, from the host's accounts and configuration (`config()`: the sanitized configuration)."""

    def __init__(self, accounts, config: Callable[[], dict]) -> None:
        self.accounts = accounts
        self.config = config

    @staticmethod
    def _answer(response_type, rpc: str, work):
        try:
            return work()
        except DatabaseUnavailable as exc:
            log.error("HostAPI: database unavailable", extra={"rpc": rpc, "error": str(exc)})
            return response_type(error=common_pb2.AppError(
                id="app.store.unavailable.app_error", message="The database is unavailable. Please try again in a "
                "moment.", status_code=503, retry_after_seconds=1))
        except Exception:
            log.exception("HostAPI call failed", extra={"rpc": rpc})
            return response_type(error=_error(500, "app.plugin_api.internal.app_error",
                                              "The server failed to answer the plugin."))

    async def GetUser(self, request, context):
        def work():
            if not is_valid_id(request.user_id):
                return host_api_pb2.UserResponse(error=_invalid_param("user_id"))
            user = self.accounts.get_user(request.user_id)
            if user is None:
                return host_api_pb2.UserResponse(error=_error(404, *MISSING_USER))
            return host_api_pb2.UserResponse(user=user_message(user))
        return self._answer(host_api_pb2.UserResponse, "GetUser", work)

    async def GetUserByUsername(self, request, context):
        def work():
            if not request.username:
                return host_api_pb2.UserResponse(error=_invalid_param("username"))
            user = self.accounts.find_user(request.username)  # by username or email: keep the username match only
            if user is None or user.username != request.username.lower():
                return host_api_pb2.UserResponse(error=_error(404, *MISSING_USERNAME))
            return host_api_pb2.UserResponse(user=user_message(user))
        return self._answer(host_api_pb2.UserResponse, "GetUserByUsername", work)

    async def HasPermissionTo(self, request, context):
        def work():
            if not is_valid_id(request.user_id):
                return host_api_pb2.HasPermissionToResponse(error=_invalid_param("user_id"))
            caller = self.accounts.caller_by_user_id(request.user_id)  # active users only
            return host_api_pb2.HasPermissionToResponse(
                has_permission=caller is not None and request.permission in caller.permissions)
        return self._answer(host_api_pb2.HasPermissionToResponse, "HasPermissionTo", work)

    async def GetSession(self, request, context):
        def work():
            if not is_valid_id(request.session_id):
                return host_api_pb2.SessionResponse(error=_invalid_param("session_id"))
            session = self.accounts.get_session(request.session_id)
            user = self.accounts.get_user(session.user_id) if session is not None else None
            if session is None or user is None:
                return host_api_pb2.SessionResponse(error=_error(400, *MISSING_SESSION))
            return host_api_pb2.SessionResponse(session=session_message(session, user.roles))
        return self._answer(host_api_pb2.SessionResponse, "GetSession", work)

    async def GetConfig(self, request, context):
        return self._answer(host_api_pb2.GetConfigResponse, "GetConfig", lambda: host_api_pb2.GetConfigResponse(
            config_json=json.dumps(self.config()).encode()))


class HostAPIServer:
    """One launch's HostAPI server."""

    def __init__(self, servicer: HostAPIServicer) -> None:
        self._servicer = servicer
        self._server: grpc.aio.Server | None = None
        self._directory = ""
        self.endpoint: host_api_pb2.HostAPIEndpoint | None = None

    async def start(self, own: protocol.Certificate, plugin_cert_der: bytes | None) -> host_api_pb2.HostAPIEndpoint:
        """Serve with `own` (the launch's key pair) to the holder of the plugin's certificate; without one (the plugin
        serves a unix socket), on a unix socket in a private directory."""
        server = grpc.aio.server()
        host_api_pb2_grpc.add_HostAPIServicer_to_server(self._servicer, server)
        if plugin_cert_der:
            credentials = grpc.ssl_server_credentials(
                [(own.key_pem, own.cert_pem)], root_certificates=protocol.der_to_pem(plugin_cert_der),
                require_client_auth=True)
            port = server.add_secure_port("127.0.0.1:0", credentials)
            endpoint = host_api_pb2.HostAPIEndpoint(network="tcp", address=f"127.0.0.1:{port}")
        else:
            self._directory = tempfile.mkdtemp(prefix="hostapi")  # mode 0700
            path = os.path.join(self._directory, "host_api.sock")
            server.add_insecure_port(f"unix:{path}")
            endpoint = host_api_pb2.HostAPIEndpoint(network="unix", address=path)
        await server.start()
        self._server, self.endpoint = server, endpoint
        return endpoint

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.stop(grace=0.2)
        if self._directory:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = ""

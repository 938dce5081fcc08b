"""The HostAPI client: plugin.oauth.host.Host over the gRPC connection the host named at activation.

Synchronous on purpose: the OAuth domain is synchronous and, on SQLite, runs on the plugin's event loop
(plugin/rpc/servicers/calls.py), so it cannot await. A plain `grpc` channel blocks only the calling thread while gRPC's own
threads carry the call, and the host serves HostAPI on its event loop, which is free while it awaits the plugin's
RPC: no deadlock. Every call gives up after TIMEOUT_SECONDS (HostUnavailable).

Positive answers of get_user (an active user) are kept USER_CACHE_SECONDS: the code exchange, refresh and
introspection ask for their user every time. A deactivated or missing user is never kept, and `forget_user` (the
host's RevokeUser) drops one at once; an answer that was in flight while it was forgotten is not kept either.
docs/plugin-api.md has the measured cost of a call.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Callable

import grpc

from oauthplugin.v1 import common_pb2, host_api_pb2, host_api_pb2_grpc
from plugin.oauth.host import HostSession, HostUnavailable, HostUser

log = logging.getLogger("plugin.host_client")

TIMEOUT_SECONDS = 2.0
USER_CACHE_SECONDS = 5.0
USER_CACHE_SIZE = 10_000  # past this many kept users the cache starts afresh
_USER_FIELDS = [f.name for f in host_api_pb2.User.DESCRIPTOR.fields]
_SESSION_FIELDS = [f.name for f in host_api_pb2.Session.DESCRIPTOR.fields]
# AppError statuses that mean "no such thing" rather than "the host failed".
_NOT_FOUND = (400, 404)


def open_channel(endpoint: host_api_pb2.HostAPIEndpoint, tls: tuple[bytes, bytes, bytes] | None) -> grpc.Channel:
    """A channel to the launch's HostAPI. Over TCP only with mutual TLS: `tls` is (the host's certificate, which
    the host sent in PLUGIN_CLIENT_CERT and is the only one trusted; the plugin's key; the plugin's certificate,
    the one its handshake line gave the host). Over a unix socket the directory's permissions keep others out."""
    if endpoint.network == "unix":
        return grpc.insecure_channel(f"unix:{endpoint.address}")
    if endpoint.network != "tcp":
        raise ValueError(f"unknown HostAPI network {endpoint.network!r}")
    if tls is None:
        raise ValueError("a HostAPI over TCP needs AutoMTLS (PLUGIN_CLIENT_CERT): refusing an unauthenticated host")
    host_cert, key, cert = tls
    credentials = grpc.ssl_channel_credentials(root_certificates=host_cert, private_key=key, certificate_chain=cert)
    return grpc.secure_channel(endpoint.address, credentials, options=[("grpc.ssl_target_name_override", "localhost")])


class HostClient:
    def __init__(self, channel: grpc.Channel, timeout: float = TIMEOUT_SECONDS,
                 cache_seconds: float = USER_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._channel = channel
        self._stub = host_api_pb2_grpc.HostAPIStub(channel)
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._users: dict[str, tuple[float, HostUser]] = {}
        self._generation = 0  # bumped by forget_user: answers started before it are not kept
        self._lock = threading.Lock()

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "HostClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, rpc: str, request):
        try:
            response = getattr(self._stub, rpc)(request, timeout=self._timeout)
        except grpc.RpcError as exc:
            log.warning("HostAPI call failed", extra={"rpc": rpc, "code": exc.code().name})
            raise HostUnavailable(f"{rpc}: {exc.code().name}") from None
        if response.HasField("error"):
            if response.error.status_code in _NOT_FOUND:
                return None
            raise HostUnavailable(f"{rpc}: {response.error.id} ({response.error.status_code})")
        return response

    # --- plugin.oauth.host.Host ---

    def get_user(self, user_id: str) -> HostUser | None:
        now = self._clock()
        with self._lock:
            kept = self._users.get(user_id)
            if kept is not None and kept[0] > now:
                return kept[1]
            generation = self._generation
        response = self._call("GetUser", host_api_pb2.GetUserRequest(context=_context(), user_id=user_id))
        user = _user(response)
        if user is not None and user.is_active:
            with self._lock:
                if generation == self._generation:
                    if len(self._users) >= USER_CACHE_SIZE:
                        self._users.clear()
                    self._users[user_id] = (now + self._cache_seconds, user)
        return user

    def get_user_by_username(self, username: str) -> HostUser | None:
        return _user(self._call("GetUserByUsername",
                                host_api_pb2.GetUserByUsernameRequest(context=_context(), username=username)))

    def has_permission_to(self, user_id: str, permission: str) -> bool:
        response = self._call("HasPermissionTo", host_api_pb2.HasPermissionToRequest(
            context=_context(), user_id=user_id, permission=permission))
        return response is not None and response.has_permission

    def get_session(self, session_id: str) -> HostSession | None:
        response = self._call("GetSession", host_api_pb2.GetSessionRequest(context=_context(), session_id=session_id))
        if response is None or not response.HasField("session"):
            return None
        return HostSession(**{name: getattr(response.session, name) for name in _SESSION_FIELDS})

    def get_config(self) -> dict:
        response = self._call("GetConfig", host_api_pb2.GetConfigRequest(context=_context()))
        if response is None:
            raise HostUnavailable("GetConfig: no configuration")
        return json.loads(response.config_json or b"{}")

    # --- the host's RevokeUser ---

    def forget_user(self, user_id: str) -> None:
        with self._lock:
            self._generation += 1
            self._users.pop(user_id, None)


def _context() -> common_pb2.RequestContext:
    return common_pb2.RequestContext()


def _user(response) -> HostUser | None:
    if response is None or not response.HasField("user"):
        return None
    return HostUser(**{name: getattr(response.user, name) for name in _USER_FIELDS})

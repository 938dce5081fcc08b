"""oauthplugin.v1.DiscoveryService: RFC 7591 registration and RFC 8414 metadata."""
from __future__ import annotations

import json

from oauthplugin.v1 import discovery_pb2, discovery_pb2_grpc
from plugin.oauth import client_request
from plugin.oauth.errors import AppError
from plugin.oauth.scopes import SCOPES

from ..runtime import AwaitingDatabase, NotActive
from .apps import scope_descriptions
from .calls import AreaServicer, answer_message, caller_of, failure


def json_value(raw: bytes):
    """The JSON value of `raw`, or None when it is none the provider can keep: malformed, not UTF-8, nested too
    deep to parse, or spelling lone UTF-16 surrogates (valid JSON, but text no database or protobuf can carry)."""
    try:
        value = json.loads(raw or b"null")
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return None
    return value


class DiscoveryServicer(AreaServicer, discovery_pb2_grpc.DiscoveryServiceServicer):
    async def RegisterClient(self, request, context):
        """The client's metadata document is the body, whatever its Content-Type (Mattermost reads it so)."""
        def work(p):
            return client_request.registration_answer(
                p.register_client(caller_of(request.context), json_value(request.body)))
        try:
            answer = await self.calls.run(work, "RegisterClient", request.context.request_id)
        except (AppError, AwaitingDatabase, NotActive) as exc:
            answer = client_request.registration_error_answer(failure(exc))
        return answer_message(answer)

    async def GetMetadata(self, request, context):
        return await self.calls(discovery_pb2.MetadataResponse, lambda p: discovery_pb2.MetadataResponse(
            metadata_json=json.dumps(p.metadata()).encode()), request.context.request_id)

    async def ListScopes(self, request, context):
        return await self.calls(discovery_pb2.ListScopesResponse, lambda p: discovery_pb2.ListScopesResponse(
            scopes=scope_descriptions(SCOPES.names())), request.context.request_id)

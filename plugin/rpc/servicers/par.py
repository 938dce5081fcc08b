"""oauthplugin.v1.PushedAuthorizationService: RFC 9126's pushed authorization request endpoint. The client's request
comes as it came (with its DPoP proof) and is answered whole (plugin/oauth/client_request.py), as at the token
endpoint."""
from __future__ import annotations

from oauthplugin.v1 import par_pb2_grpc
from plugin.oauth import client_request

from .calls import AreaServicer, caller_of, target_of


class PushedAuthorizationServicer(AreaServicer, par_pb2_grpc.PushedAuthorizationServiceServicer):
    async def PushAuthorizationRequest(self, request, context):
        def work(p, form: client_request.ClientRequest):
            pushed = p.push_authorization_request(form.fields, form.client_id, form.client_secret,
                                                  caller_of(request.context), target_of(request))
            return client_request.json_answer(pushed, status=201), ""
        return await self.calls.client_answer(request, work, "PushAuthorizationRequest")

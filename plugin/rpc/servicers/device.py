"""oauthplugin.v1.DeviceService: RFC 8628's device authorization endpoint (the client's request answered whole, as
at the token endpoint) and the verification page's lookup and decision."""
from __future__ import annotations

from oauthplugin.v1 import device_pb2, device_pb2_grpc
from plugin.oauth import client_request
from plugin.oauth.endpoints.device_authorization import DeviceAuthorizationRequest

from .apps import app_message, scope_descriptions
from .calls import AreaServicer, caller_of

DEVICE_PARAMETERS = ("client_id", "client_secret", "scope", "resource")


class DeviceServicer(AreaServicer, device_pb2_grpc.DeviceServiceServicer):
    async def DeviceAuthorization(self, request, context):
        def work(p, form: client_request.ClientRequest):
            body = DeviceAuthorizationRequest(**form.values(DEVICE_PARAMETERS))
            return client_request.json_answer(p.device_authorization(body, caller_of(request.context)).to_json()), ""
        return await self.calls.client_answer(request, work, "DeviceAuthorization")

    async def LookupUserCode(self, request, context):
        def work(p):
            prompt = p.lookup_user_code(caller_of(request.context), request.user_code)
            return device_pb2.DevicePromptResponse(
                app=app_message(prompt.app), user_code=prompt.user_code, scopes=scope_descriptions(prompt.scopes),
                refused_scopes=scope_descriptions(prompt.refused_scopes))
        return await self.calls(device_pb2.DevicePromptResponse, work, request.context.request_id)

    async def DecideDevice(self, request, context):
        def work(p):
            decision = p.decide_device(caller_of(request.context), request.user_code, request.allow)
            return device_pb2.DeviceDecisionResponse(app=app_message(decision.app), approved=decision.approved)
        return await self.calls(device_pb2.DeviceDecisionResponse, work, request.context.request_id)

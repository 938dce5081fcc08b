"""oauthplugin.v1.AuditService: the audit trail."""
from __future__ import annotations

from oauthplugin.v1 import audit_pb2, audit_pb2_grpc

from .calls import AreaServicer, caller_of


class AuditServicer(AreaServicer, audit_pb2_grpc.AuditServiceServicer):
    async def ListAuditEvents(self, request, context):
        return await self.calls(audit_pb2.ListAuditEventsResponse, lambda p: audit_pb2.ListAuditEventsResponse(
            events=[audit_pb2.AuditEvent(
                id=e.id, create_at=e.create_at, type=e.type, user_id=e.user_id, client_id=e.client_id,
                grant_id=e.grant_id, remote_addr=e.remote_addr, detail_json=e.detail.encode())
                for e in p.list_audit_events(caller_of(request.context), request.page, request.per_page)]),
            request.context.request_id)

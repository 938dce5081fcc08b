"""The audit trail for system admins (GET /api/v4/oauth/audits), newest first."""
from __future__ import annotations

from plugin.store.records import AuditRecord

from ..guards import DEFAULT_PER_PAGE, MANAGE_SYSTEM, Caller, normalize_paging, require_permission, require_session
from ..store_errors import store_errors
from .base import Endpoint


class AuditEndpoint(Endpoint):
    name = "audit"

    def handle(self, caller: Caller | None, page: int | None = 0,
               per_page: int | None = DEFAULT_PER_PAGE) -> list[AuditRecord]:
        caller = require_session(caller)
        require_permission(caller, MANAGE_SYSTEM)
        page, per_page = normalize_paging(page, per_page)
        self.services.audit.flush()
        with store_errors("app.oauth.audit.list.app_error"):
            return self.services.store.list_audit_events(page * per_page, per_page)

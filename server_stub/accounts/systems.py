"""System values (Mattermost's Systems table), and the "Restrict managing integrations to Admins" policy
recorded there."""
from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from .. import permissions as perms
from .database import Store

if TYPE_CHECKING:
    from .service import Accounts


class Systems(Store):
    def get_system(self, name: str) -> str | None:
        row = self._conn().execute("SELECT value FROM systems WHERE name = ?", (name,)).fetchone()
        return row["value"] if row else None

    def set_system(self, name: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO systems (name, value) VALUES (?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value))


    def health_check(self) -> None:
        """Mattermost's DBHealthCheckWrite and DBHealthCheckDelete: write a value to the systems table, then remove
        it. Raises whatever the database raised."""
        name = f"health_check_{secrets.token_hex(8)}"
        self.set_system(name, str(self._now()))
        with self._transaction() as db:
            db.execute("DELETE FROM systems WHERE name = ?", (name,))


# --- "Restrict managing integrations to Admins" ---------------------------------------------------------------

INTEGRATION_POLICY_SYSTEM_KEY = "EnableOnlyAdminIntegrationsApplied"


def only_admin_integrations(config: dict) -> bool:
    return bool((config.get("ServiceSettings") or {}).get("EnableOnlyAdminIntegrations", True))


def apply_integration_policy(accounts: Accounts, only_admins: bool) -> bool:
    """Mattermost's permissions-policy mapping of the legacy EnableOnlyAdminIntegrations setting: when on,
    `system_user` lacks manage_oauth; when off, it has it. Applied when the setting's value differs from the one
    last applied (recorded in the systems table), so a role patched through the API is not undone at every start.
    Answers whether the role changed."""
    wanted = "true" if only_admins else "false"
    if accounts.get_system(INTEGRATION_POLICY_SYSTEM_KEY) == wanted:
        return False
    changed = accounts.set_role_permission(perms.SYSTEM_USER_ROLE, perms.MANAGE_OAUTH, not only_admins)
    accounts.set_system(INTEGRATION_POLICY_SYSTEM_KEY, wanted)
    return changed


def follow_integration_setting(config_store, accounts: Accounts) -> None:
    """Apply the setting now (an edit made while the server was down) and on every configuration change."""
    apply_integration_policy(accounts, only_admin_integrations(config_store.config))
    config_store.add_listener(lambda old, new: apply_integration_policy(accounts, only_admin_integrations(new)))

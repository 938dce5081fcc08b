"""Roles and permissions: Mattermost's Role model; a user's permissions are the union of the permissions of
their roles. The built-in roles are seeded at start (permissions.BUILT_IN_ROLES)."""
from __future__ import annotations

from .. import permissions as perms
from ..web.responses import new_request_id as new_id
from .database import Store
from .model import AccountError, Role, User


def _role(row) -> Role:
    return Role(row["id"], row["name"], row["display_name"], row["description"], row["create_at"],
                row["update_at"], row["delete_at"], (row["permissions"] or "").split(),
                bool(row["scheme_managed"]), bool(row["built_in"]))


class Roles(Store):
    def _seed_roles(self) -> None:
        stamp = self._now()
        with self._transaction() as db:
            for name, (display_name, description, permissions) in perms.BUILT_IN_ROLES.items():
                db.execute(
                    "INSERT INTO roles (id, name, display_name, description, create_at, update_at, delete_at, "
                    "permissions, scheme_managed, built_in) VALUES (?,?,?,?,?,?,0,?,?,?) "
                    "ON CONFLICT (name) DO NOTHING",
                    (new_id(), name, display_name, description, stamp, stamp, " ".join(permissions), 1, 1))

    def get_role(self, role_id: str) -> Role | None:
        row = self._conn().execute("SELECT * FROM roles WHERE id = ?", (role_id,)).fetchone()
        return _role(row) if row else None

    def get_role_by_name(self, name: str) -> Role | None:
        row = self._conn().execute("SELECT * FROM roles WHERE name = ?", (name,)).fetchone()
        return _role(row) if row else None

    def get_roles_by_names(self, names: list[str]) -> list[Role]:
        names = list(dict.fromkeys(names))
        roles: list[Role] = []
        for start in range(0, len(names), 500):  # stay under SQLite's limit on bound parameters
            chunk = names[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn().execute(f"SELECT * FROM roles WHERE name IN ({marks})", chunk).fetchall()
            roles.extend(_role(row) for row in rows)
        return sorted(roles, key=lambda role: role.name)

    def all_roles(self) -> list[Role]:
        return [_role(row) for row in self._conn().execute("SELECT * FROM roles ORDER BY name").fetchall()]

    def patch_role(self, role_id: str, permissions: list[str]) -> Role | None:
        """Replace a role's permissions (duplicates dropped, order kept)."""
        unique = list(dict.fromkeys(permissions))
        for name in unique:
            if not perms.PERMISSION_NAME_PATTERN.match(name):
                raise AccountError("app.role.save.invalid_role.app_error", "The role was not valid.")
        stamp = self._now()
        with self._transaction() as db:
            updated = db.execute("UPDATE roles SET permissions = ?, update_at = ? WHERE id = ?",
                                 (" ".join(unique), stamp, role_id)).rowcount
        return self.get_role(role_id) if updated else None

    def set_role_permission(self, role_name: str, permission: str, granted: bool) -> bool:
        """Grant or remove one permission of a role; answers whether anything changed."""
        with self._transaction() as db:
            row = db.execute("SELECT permissions FROM roles WHERE name = ?" + self.db.for_update,
                             (role_name,)).fetchone()
            if row is None:
                return False
            current = (row["permissions"] or "").split()
            if (permission in current) == granted:
                return False
            new = current + [permission] if granted else [p for p in current if p != permission]
            db.execute("UPDATE roles SET permissions = ?, update_at = ? WHERE name = ?",
                       (" ".join(new), self._now(), role_name))
        return True

    def permissions_for_roles(self, roles: str) -> frozenset[str]:
        """The union of the permissions of these roles (a user's or session's role string); deleted and unknown
        roles grant nothing."""
        names = perms.split_roles(roles)
        granted: set[str] = set()
        for role in self.get_roles_by_names(names):
            if role.delete_at == 0:
                granted.update(role.permissions)
        return frozenset(granted)

    def user_has_permission(self, user: User, permission: str) -> bool:
        return permission in self.permissions_for_roles(user.roles)

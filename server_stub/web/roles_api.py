"""API v4 roles: get by id or name, get several by name, list, patch permissions (server/channels/api4/role.go).

Patching the `system_user` role's manage_oauth also moves ServiceSettings.EnableOnlyAdminIntegrations, the
setting Mattermost's System Console shows for it, so the configuration and the role never disagree."""
from __future__ import annotations

import logging

from aiohttp import web

from .. import permissions as perms
from ..accounts import INTEGRATION_POLICY_SYSTEM_KEY, AccountError, Role, is_valid_id
from . import auth
from .body import get_str_list, invalid_body_param, invalid_url_param, max_payload_bytes, read_json, read_json_object
from .keys import HOST_KEY
from .responses import AppErrorResponse, json_response

log = logging.getLogger("server_stub.roles")

# Mattermost refuses to add or remove these through a role patch (api4/role.go notAllowedPermissions).
NOT_ALLOWED_PERMISSIONS = frozenset({
    "sysconsole_write_user_management_system_roles",
    "sysconsole_read_user_management_system_roles",
    perms.MANAGE_ROLES,
})


def _host(request: web.Request):
    return request.app[HOST_KEY]


def _role_id_param(request: web.Request) -> str:
    role_id = request.match_info["role_id"]
    if not is_valid_id(role_id):
        raise invalid_url_param("role_id")
    return role_id


async def get_role(request: web.Request) -> web.Response:
    await auth.require_session(request, trust_requester=True)
    role_id = _role_id_param(request)
    role = _host(request).accounts.get_role(role_id)
    if role is None:
        raise AppErrorResponse(404, "app.role.get.app_error", "Unable to get role.")
    return json_response(request, role.to_json())


async def get_role_by_name(request: web.Request) -> web.Response:
    await auth.require_session(request, trust_requester=True)
    name = request.match_info["role_name"]
    if not perms.ROLE_NAME_PATTERN.match(name):
        raise invalid_url_param("role_name")
    role = _host(request).accounts.get_role_by_name(name)
    if role is None:
        raise AppErrorResponse(404, "app.role.get_by_name.app_error", "Unable to get role.")
    return json_response(request, role.to_json())


async def get_roles_by_names(request: web.Request) -> web.Response:
    await auth.require_session(request, trust_requester=True)
    names = await read_json(request, "rolenames", max_payload_bytes(_host(request).config.config))
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise invalid_body_param("rolenames")
    cleaned = [n.strip() for n in names if n.strip()]
    if not cleaned or not all(perms.ROLE_NAME_PATTERN.match(n) for n in cleaned):
        raise invalid_body_param("rolename")
    roles = _host(request).accounts.get_roles_by_names(list(dict.fromkeys(cleaned)))
    return json_response(request, [role.to_json() for role in roles])


async def get_all_roles(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    auth.require_permission(session, perms.MANAGE_SYSTEM)
    return json_response(request, [role.to_json() for role in _host(request).accounts.all_roles()])


async def patch_role(request: web.Request) -> web.Response:
    host = _host(request)
    session = await auth.require_session(request)
    role_id = _role_id_param(request)
    body = await read_json_object(request, "role", max_payload_bytes(host.config.config))
    permissions = get_str_list(body, "permissions")
    old = host.accounts.get_role(role_id)
    if old is None:
        raise AppErrorResponse(404, "app.role.get.app_error", "Unable to get role.")
    auth.require_permission(session, perms.MANAGE_SYSTEM)
    if permissions is None:
        return json_response(request, old.to_json())
    blocked = sorted((set(permissions) ^ set(old.permissions)) & NOT_ALLOWED_PERMISSIONS)
    if blocked:
        raise AppErrorResponse(501, "api.roles.patch_roles.not_allowed_permission.error",
                               "These permissions cannot be added or removed: " + ", ".join(blocked))
    try:
        role = host.accounts.patch_role(role_id, permissions)
    except AccountError as exc:
        raise AppErrorResponse(exc.status, exc.error_id, exc.message) from None
    if role is None:
        raise AppErrorResponse(404, "app.role.get.app_error", "Unable to get role.")
    log.info("role patched", extra={"role": role.name, "by": session.user_id})
    _sync_integration_setting(host, old, role)
    return json_response(request, role.to_json())


def _sync_integration_setting(host, old: Role, new: Role) -> None:
    if new.name != perms.SYSTEM_USER_ROLE:
        return
    had, has = perms.MANAGE_OAUTH in old.permissions, perms.MANAGE_OAUTH in new.permissions
    if had == has:
        return
    only_admins = not has
    host.accounts.set_system(INTEGRATION_POLICY_SYSTEM_KEY, "true" if only_admins else "false")
    config = host.config.get()
    if config["ServiceSettings"].get("EnableOnlyAdminIntegrations", True) != only_admins:
        config["ServiceSettings"]["EnableOnlyAdminIntegrations"] = only_admins
        host.config.save(config)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v4/roles", get_all_roles)
    app.router.add_post("/api/v4/roles/names", get_roles_by_names)
    app.router.add_get("/api/v4/roles/name/{role_name}", get_role_by_name)
    app.router.add_get("/api/v4/roles/{role_id}", get_role)
    app.router.add_put("/api/v4/roles/{role_id}/patch", patch_role)

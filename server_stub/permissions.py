"""Mattermost's permission names and the host's built-in roles.

Pure data, no storage: `accounts/roles.py` seeds these roles into the `roles` table on a fresh database and works
out a user's permissions from whatever the table says afterwards (an admin may patch roles through the API).

Names are Mattermost's (`model/permission.go`). The host checks the system ones it needs (manage_system,
manage_oauth, manage_system_wide_oauth, edit_other_users, manage_roles, ...) and the team and channel ones of teams,
channels and posts (create_team, view_team, create_post, ...; see accounts/access.py for how a user gets them); the
others exist so that role JSON looks like Mattermost's and so that clients which patch roles with Mattermost's
names keep working.
"""
from __future__ import annotations

import re

# --- the permissions the host and the OAuth plugin check -----------------------------------------------------
MANAGE_SYSTEM = "manage_system"
MANAGE_ROLES = "manage_roles"
MANAGE_OAUTH = "manage_oauth"
MANAGE_SYSTEM_WIDE_OAUTH = "manage_system_wide_oauth"
EDIT_OTHER_USERS = "edit_other_users"
VIEW_MEMBERS = "view_members"
SYSCONSOLE_WRITE_USER_MANAGEMENT_USERS = "sysconsole_write_user_management_users"

# --- teams, channels and posts (checked against the system, team and channel roles: accounts/access.py) -------
CREATE_TEAM = "create_team"
VIEW_TEAM = "view_team"
LIST_TEAM_CHANNELS = "list_team_channels"
JOIN_PUBLIC_TEAMS = "join_public_teams"
ADD_USER_TO_TEAM = "add_user_to_team"
REMOVE_USER_FROM_TEAM = "remove_user_from_team"
MANAGE_TEAM_ROLES = "manage_team_roles"
READ_OTHER_USERS_TEAMS = "read_other_users_teams"
CREATE_PUBLIC_CHANNEL = "create_public_channel"
CREATE_PRIVATE_CHANNEL = "create_private_channel"
CREATE_DIRECT_CHANNEL = "create_direct_channel"
JOIN_PUBLIC_CHANNELS = "join_public_channels"
READ_PUBLIC_CHANNEL = "read_public_channel"
READ_CHANNEL = "read_channel"
READ_CHANNEL_CONTENT = "read_channel_content"
MANAGE_PUBLIC_CHANNEL_MEMBERS = "manage_public_channel_members"
MANAGE_PRIVATE_CHANNEL_MEMBERS = "manage_private_channel_members"
DELETE_PUBLIC_CHANNEL = "delete_public_channel"
DELETE_PRIVATE_CHANNEL = "delete_private_channel"
CREATE_POST = "create_post"
EDIT_POST = "edit_post"
EDIT_OTHERS_POSTS = "edit_others_posts"
DELETE_POST = "delete_post"
DELETE_OTHERS_POSTS = "delete_others_posts"

# Permissions every signed-in member has in Mattermost's default system scheme (role `system_user`).
# None of the OAuth ones: "Restrict managing integrations to Admins" is on by default.
SYSTEM_USER_PERMISSIONS = (
    "create_direct_channel",
    "create_group_channel",
    "create_team",
    "list_public_teams",
    "join_public_teams",
    "create_emojis",
    "delete_emojis",
    "view_members",
    "create_custom_group",
    "edit_custom_group",
    "delete_custom_group",
    "manage_custom_group_members",
    "restore_custom_group",
)

SYSTEM_GUEST_PERMISSIONS = (
    "create_direct_channel",
    "create_group_channel",
)

# Mattermost's default team and channel roles (model/role.go MakeDefaultRoles): what a member of a team or a
# channel may do there. A user's rights in a channel are those of their channel roles, then their team roles, then
# their system roles (Mattermost's HasPermissionToChannel).
TEAM_USER_PERMISSIONS = (LIST_TEAM_CHANNELS, JOIN_PUBLIC_CHANNELS, READ_PUBLIC_CHANNEL, VIEW_TEAM,
                         CREATE_PUBLIC_CHANNEL, CREATE_PRIVATE_CHANNEL, "invite_user", ADD_USER_TO_TEAM)
TEAM_ADMIN_PERMISSIONS = (REMOVE_USER_FROM_TEAM, "manage_team", "import_team", MANAGE_TEAM_ROLES,
                          "manage_channel_roles", "manage_others_incoming_webhooks", "manage_others_outgoing_webhooks",
                          "manage_slash_commands", "manage_others_slash_commands", "manage_incoming_webhooks",
                          "manage_outgoing_webhooks", "convert_public_channel_to_private",
                          "convert_private_channel_to_public", DELETE_POST, "delete_others_posts")
CHANNEL_USER_PERMISSIONS = (READ_CHANNEL, READ_CHANNEL_CONTENT, "add_reaction", "remove_reaction",
                            MANAGE_PUBLIC_CHANNEL_MEMBERS, "upload_file", "get_public_link", CREATE_POST,
                            "use_channel_mentions", "use_slash_commands", "manage_public_channel_properties",
                            DELETE_PUBLIC_CHANNEL, "manage_private_channel_properties", DELETE_PRIVATE_CHANNEL,
                            MANAGE_PRIVATE_CHANNEL_MEMBERS, DELETE_POST, EDIT_POST)
CHANNEL_ADMIN_PERMISSIONS = ("manage_channel_roles", "use_group_mentions")

# Everything a system admin may do (Mattermost grants system_admin every permission).
SYSTEM_ADMIN_PERMISSIONS = tuple(sorted(set(SYSTEM_USER_PERMISSIONS) | set(TEAM_USER_PERMISSIONS)
                                        | set(TEAM_ADMIN_PERMISSIONS) | set(CHANNEL_USER_PERMISSIONS)
                                        | set(CHANNEL_ADMIN_PERMISSIONS) | {
    EDIT_OTHERS_POSTS,
    MANAGE_SYSTEM,
    MANAGE_ROLES,
    MANAGE_OAUTH,
    MANAGE_SYSTEM_WIDE_OAUTH,
    EDIT_OTHER_USERS,
    "assign_system_admin_role",
    "manage_team_roles",
    "manage_channel_roles",
    "manage_team",
    "import_team",
    "view_team",
    "list_private_teams",
    "join_private_teams",
    "list_users_without_team",
    "read_other_users_teams",
    "permanent_delete_user",
    "create_user_access_token",
    "read_user_access_token",
    "revoke_user_access_token",
    "create_bot",
    "assign_bot",
    "read_bots",
    "read_others_bots",
    "manage_bots",
    "manage_others_bots",
    "manage_incoming_webhooks",
    "manage_outgoing_webhooks",
    "manage_others_incoming_webhooks",
    "manage_others_outgoing_webhooks",
    "manage_slash_commands",
    "manage_others_slash_commands",
    "manage_outgoing_oauth_connections",
    "manage_jobs",
    "manage_license_information",
    "manage_shared_channels",
    "manage_secure_connections",
    "edit_brand",
    "get_analytics",
    "get_logs",
    "read_audits",
    "invalidate_caches",
    "reload_config",
    "recycle_database_connections",
    "test_site_url",
    "test_email",
    "invite_user",
    "invite_guest",
    "promote_guest",
    "demote_to_guest",
    "sysconsole_read_plugins",
    "sysconsole_write_plugins",
    "sysconsole_read_integrations_integration_management",
    "sysconsole_write_integrations_integration_management",
    "sysconsole_read_user_management_users",
    SYSCONSOLE_WRITE_USER_MANAGEMENT_USERS,
    "sysconsole_read_user_management_permissions",
    "sysconsole_write_user_management_permissions",
    "sysconsole_read_user_management_system_roles",
    "sysconsole_write_user_management_system_roles",
    "sysconsole_read_environment_web_server",
    "sysconsole_write_environment_web_server",
    "sysconsole_read_environment_database",
    "sysconsole_write_environment_database",
    "sysconsole_read_site_customization",
    "sysconsole_write_site_customization",
    "sysconsole_read_authentication_signup",
    "sysconsole_write_authentication_signup",
}))

SYSTEM_ADMIN_ROLE = "system_admin"
SYSTEM_USER_ROLE = "system_user"
SYSTEM_GUEST_ROLE = "system_guest"
TEAM_USER_ROLE = "team_user"
TEAM_ADMIN_ROLE = "team_admin"
CHANNEL_USER_ROLE = "channel_user"
CHANNEL_ADMIN_ROLE = "channel_admin"


# name -> (display_name, description, permissions); display names are Mattermost's i18n ids, as it stores them.
BUILT_IN_ROLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    SYSTEM_ADMIN_ROLE: ("authentication.roles.global_admin.name", "authentication.roles.global_admin.description",
                        SYSTEM_ADMIN_PERMISSIONS),
    SYSTEM_USER_ROLE: ("authentication.roles.global_user.name", "authentication.roles.global_user.description",
                       SYSTEM_USER_PERMISSIONS),
    SYSTEM_GUEST_ROLE: ("authentication.roles.global_guest.name", "authentication.roles.global_guest.description",
                        SYSTEM_GUEST_PERMISSIONS),
    TEAM_USER_ROLE: ("authentication.roles.team_user.name", "authentication.roles.team_user.description",
                     TEAM_USER_PERMISSIONS),
    TEAM_ADMIN_ROLE: ("authentication.roles.team_admin.name", "authentication.roles.team_admin.description",
                      TEAM_ADMIN_PERMISSIONS),
    CHANNEL_USER_ROLE: ("authentication.roles.channel_user.name", "authentication.roles.channel_user.description",
                        CHANNEL_USER_PERMISSIONS),
    CHANNEL_ADMIN_ROLE: ("authentication.roles.channel_admin.name",
                         "authentication.roles.channel_admin.description", CHANNEL_ADMIN_PERMISSIONS),
}

ALL_PERMISSIONS = frozenset(SYSTEM_ADMIN_PERMISSIONS)

# Mattermost's IsValidRoleName: 1 to 64 characters of [a-z0-9_].
ROLE_NAME_PATTERN = re.compile(r"^[a-z0-9_]{1,64}$")
# A permission name as Mattermost spells them. Names the host does not know are accepted in role patches (a client
# may send Mattermost's full list); they grant nothing here.
PERMISSION_NAME_PATTERN = re.compile(r"^[a-z0-9_]{1,128}$")


def split_roles(roles: str) -> list[str]:
    """A user's or session's role string ("system_admin system_user") as a list of names."""
    return [name for name in (roles or "").split() if name]

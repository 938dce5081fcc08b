"""What a user may do in a team or a channel: Mattermost's HasPermissionToTeam, HasPermissionToChannel and
HasPermissionToReadChannel (app/authorization.go).

In a team, a user has the permissions of their system roles and, while a member, of their team roles
(`team_user`, `team_admin`). In a channel, those of their channel roles (`channel_user`, `channel_admin`) while a
member, then those they have in the channel's team (a direct channel has none: the system roles). A public
channel can be read by whoever may `read_public_channel` in its team. `system` is the caller's system permissions
(a web session's or OAuth token's; local mode has all of them)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import permissions as perms

if TYPE_CHECKING:
    from .channels import Channel
    from .service import Accounts


def has_team_permission(accounts: Accounts, user_id: str, system: frozenset[str], team_id: str,
                        permission: str) -> bool:
    if permission in system:
        return True
    member = accounts.get_team_member(team_id, user_id) if user_id else None
    return member is not None and member.delete_at == 0 and \
        permission in accounts.permissions_for_roles(member.roles)


def has_channel_permission(accounts: Accounts, user_id: str, system: frozenset[str], channel: Channel,
                           permission: str) -> bool:
    member = accounts.get_channel_member(channel.id, user_id) if user_id else None
    if member is not None and permission in accounts.permissions_for_roles(member.roles):
        return True
    if channel.team_id:
        return has_team_permission(accounts, user_id, system, channel.team_id, permission)
    return permission in system


def can_read_channel(accounts: Accounts, user_id: str, system: frozenset[str], channel: Channel) -> bool:
    if has_channel_permission(accounts, user_id, system, channel, perms.READ_CHANNEL_CONTENT):
        return True
    return channel.type == "O" and has_team_permission(accounts, user_id, system, channel.team_id,
                                                       perms.READ_PUBLIC_CHANNEL)

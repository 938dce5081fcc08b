"""Channels and their members (Mattermost's model/channel.go, model/channel_member.go, app/channel.go).

Public (`O`) and private (`P`) channels belong to a team; a direct channel (`D`) belongs to none (team_id "") and
is named after its two users' ids, sorted and joined by "__", so that there is one per pair (the unique index on
team_id and name). Archiving a channel sets delete_at: it keeps its members and posts, and takes no new posts."""
from __future__ import annotations

import dataclasses
import re

from .. import permissions as perms
from ..web.responses import new_request_id as new_id
from .database import Store
from .errors import AccountError

OPEN, PRIVATE, DIRECT = "O", "P", "D"
NAME_MAX, DISPLAY_NAME_MAX, HEADER_MAX, PURPOSE_MAX = 64, 64, 1024, 250
DEFAULT_CHANNEL = "town-square"
# Mattermost's IsValidChannelIdentifier: lowercase letters, digits, '-' and '_', at least 2 of them (here: to 64).
_CHANNEL_NAME = re.compile(r"^[a-z0-9]+([a-z\-_0-9]+|(__)?)[a-z0-9]*$")


@dataclasses.dataclass
class Channel:
    id: str
    team_id: str
    type: str
    name: str
    display_name: str
    header: str
    purpose: str
    creator_id: str
    create_at: int
    update_at: int
    delete_at: int
    last_post_at: int
    last_root_post_at: int
    total_msg_count: int
    total_msg_count_root: int

    def to_json(self) -> dict:
        return {"id": self.id, "create_at": self.create_at, "update_at": self.update_at,
                "delete_at": self.delete_at, "team_id": self.team_id, "type": self.type,
                "display_name": self.display_name, "name": self.name, "header": self.header,
                "purpose": self.purpose, "last_post_at": self.last_post_at, "total_msg_count": self.total_msg_count,
                "extra_update_at": 0, "creator_id": self.creator_id, "scheme_id": None, "props": None,
                "group_constrained": None, "shared": None, "total_msg_count_root": self.total_msg_count_root,
                "policy_id": None, "last_root_post_at": self.last_root_post_at}


@dataclasses.dataclass
class ChannelMember:
    channel_id: str
    user_id: str
    roles: str
    last_viewed_at: int
    msg_count: int
    mention_count: int
    last_update_at: int

    def to_json(self) -> dict:
        return {"channel_id": self.channel_id, "user_id": self.user_id, "roles": self.roles,
                "last_viewed_at": self.last_viewed_at, "msg_count": self.msg_count,
                "mention_count": self.mention_count, "mention_count_root": 0, "urgent_mention_count": 0,
                "msg_count_root": 0,
                "notify_props": {"desktop": "default", "email": "default", "ignore_channel_mentions": "default",
                                 "mark_unread": "all", "push": "default"},
                "last_update_at": self.last_update_at, "scheme_guest": False, "scheme_user": True,
                "scheme_admin": perms.CHANNEL_ADMIN_ROLE in perms.split_roles(self.roles), "explicit_roles": ""}


def direct_channel_name(user_a: str, user_b: str) -> str:
    return "__".join(sorted((user_a, user_b)))


def validate_new_channel(name: str, display_name: str, type_: str, header: str = "", purpose: str = "") -> None:
    """Mattermost's Channel.IsValid for a new team channel."""
    if type_ not in (OPEN, PRIVATE):
        raise AccountError("model.channel.is_valid.type.app_error", "Invalid type.")
    if not display_name or len(display_name) > DISPLAY_NAME_MAX:
        raise AccountError("model.channel.is_valid.display_name.app_error", "Invalid display name.")
    if len(name) < 2 or len(name) > NAME_MAX or not _CHANNEL_NAME.match(name):
        raise AccountError("model.channel.is_valid.2_or_more.app_error",
                           "Name must be 2 or more lowercase alphanumeric characters.")
    if len(header) > HEADER_MAX:
        raise AccountError("model.channel.is_valid.header.app_error", "Invalid header.")
    if len(purpose) > PURPOSE_MAX:
        raise AccountError("model.channel.is_valid.purpose.app_error", "Invalid purpose.")


def missing_channel() -> AccountError:
    return AccountError("app.channel.get.existing.app_error", "Unable to find the existing channel.", 404)


_MEMBER_COLUMNS = "(channel_id, user_id, roles, last_viewed_at, msg_count, mention_count, last_update_at)"


class Channels(Store):
    def create_channel(self, creator_id: str, team_id: str, name: str, display_name: str, type_: str,
                       header: str = "", purpose: str = "") -> Channel:
        """A public or private channel of a team; its creator is its first member, channel admin."""
        validate_new_channel(name, display_name, type_, header, purpose)
        stamp = self._now()
        channel = Channel(new_id(), team_id, type_, name, display_name, header, purpose, creator_id, stamp, stamp,
                          0, 0, 0, 0, 0)
        with self._transaction() as db:
            db.execute("SAVEPOINT insert_channel")
            try:
                self._insert_channel(db, channel)
            except self.db.integrity_errors:
                db.execute("ROLLBACK TO SAVEPOINT insert_channel")
                raise AccountError("store.sql_channel.save_channel.exists.app_error",
                                   "A channel with that name already exists on the same team.") from None
            db.execute("RELEASE SAVEPOINT insert_channel")
            self._join_channel(db, channel.id, creator_id, f"{perms.CHANNEL_USER_ROLE} {perms.CHANNEL_ADMIN_ROLE}")
        return channel

    def _insert_channel(self, db, channel: Channel) -> None:
        db.execute("INSERT INTO channels (id, team_id, type, name, display_name, header, purpose, creator_id, "
                   "create_at, update_at, delete_at, last_post_at, last_root_post_at, total_msg_count, "
                   "total_msg_count_root) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", dataclasses.astuple(channel))

    def direct_channel(self, user_a: str, user_b: str) -> Channel:
        """The direct channel between two users (one user: their channel with themselves), created when missing,
        both users its members. Concurrent calls for one pair get the same channel."""
        name = direct_channel_name(user_a, user_b)
        stamp = self._now()
        with self._transaction() as db:
            db.execute("INSERT INTO channels (id, team_id, type, name, display_name, creator_id, create_at, "
                       "update_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (team_id, name) DO NOTHING",
                       (new_id(), "", DIRECT, name, "", user_a, stamp, stamp))
            row = db.execute("SELECT id FROM channels WHERE team_id = '' AND name = ?", (name,)).fetchone()
            for user_id in {user_a, user_b}:
                self._join_channel(db, row["id"], user_id, perms.CHANNEL_USER_ROLE)
        return self.get_channel(row["id"])

    def get_channel(self, channel_id: str) -> Channel | None:
        row = self._conn().execute("SELECT * FROM channels WHERE id = ?", (channel_id,)).fetchone()
        return Channel(**dict(row)) if row else None

    def get_channel_by_name(self, team_id: str, name: str) -> Channel | None:
        row = self._conn().execute("SELECT * FROM channels WHERE team_id = ? AND name = ?",
                                   (team_id, name)).fetchone()
        return Channel(**dict(row)) if row else None

    def channels_for_user(self, user_id: str, team_id: str | None, include_deleted: bool = False) -> list[Channel]:
        """The channels of a team (None: of every team) the user is a member of, and their direct channels
        (Mattermost lists both)."""
        rows = self._conn().execute(
            "SELECT c.* FROM channels c JOIN channel_members m ON m.channel_id = c.id "
            "WHERE m.user_id = ? AND (? = 1 OR c.team_id = ? OR c.team_id = '') AND (? = 1 OR c.delete_at = 0) "
            "ORDER BY c.team_id = '', c.team_id, c.display_name, c.name",
            (user_id, int(team_id is None), team_id or "", int(include_deleted))).fetchall()
        return [Channel(**dict(row)) for row in rows]

    def archive_channel(self, channel_id: str) -> bool:
        stamp = self._now()
        with self._transaction() as db:
            return db.execute("UPDATE channels SET delete_at = ?, update_at = ? WHERE id = ? AND delete_at = 0",
                              (stamp, stamp, channel_id)).rowcount > 0

    # --- members ------------------------------------------------------------------------------------------------

    def get_channel_member(self, channel_id: str, user_id: str) -> ChannelMember | None:
        row = self._conn().execute("SELECT * FROM channel_members WHERE channel_id = ? AND user_id = ?",
                                   (channel_id, user_id)).fetchone()
        return ChannelMember(**dict(row)) if row else None

    def channel_members(self, channel_id: str, offset: int, limit: int) -> list[ChannelMember]:
        rows = self._conn().execute("SELECT * FROM channel_members WHERE channel_id = ? ORDER BY user_id "
                                    "LIMIT ? OFFSET ?", (channel_id, limit, offset)).fetchall()
        return [ChannelMember(**dict(row)) for row in rows]

    def add_channel_member(self, channel_id: str, user_id: str) -> ChannelMember:
        with self._transaction() as db:
            self._join_channel(db, channel_id, user_id, perms.CHANNEL_USER_ROLE)
        return self.get_channel_member(channel_id, user_id)

    def _join_channel(self, db, channel_id: str, user_id: str, roles: str) -> None:
        stamp = self._now()
        db.execute(f"INSERT INTO channel_members {_MEMBER_COLUMNS} VALUES (?,?,?,?,0,0,?) "
                   "ON CONFLICT (channel_id, user_id) DO NOTHING", (channel_id, user_id, roles, stamp, stamp))

    def remove_channel_member(self, channel_id: str, user_id: str) -> bool:
        with self._transaction() as db:
            return db.execute("DELETE FROM channel_members WHERE channel_id = ? AND user_id = ?",
                              (channel_id, user_id)).rowcount > 0

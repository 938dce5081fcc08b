"""Teams and their members (Mattermost's model/team.go, model/team_member.go, app/team.go, store's TeamStore).

A new team gets Mattermost's two default channels, `town-square` and `off-topic`; its creator is its first member
with the roles `team_user team_admin`. Joining a team joins its default channels; leaving it leaves every channel
of the team (Mattermost's JoinDefaultChannels and RemoveUserFromTeam)."""
from __future__ import annotations

import dataclasses
import re

from .. import permissions as perms
from ..web.responses import new_request_id as new_id
from .database import Store
from .errors import AccountError
from .model import EMAIL_PATTERN

TEAM_OPEN, TEAM_INVITE = "O", "I"
NAME_MAX, DISPLAY_NAME_MAX, DESCRIPTION_MAX, EMAIL_MAX, COMPANY_MAX = 64, 64, 255, 128, 64
# Mattermost's IsValidTeamName: lowercase letters, digits and '-' (a "__" in the middle), 2 to 64 characters.
_TEAM_NAME = re.compile(r"^[a-z0-9]+([a-z\-0-9]+|(__)?)[a-z0-9]+$")
RESERVED_TEAM_NAMES = frozenset({"admin", "api", "channel", "claim", "error", "files", "help", "landing", "login",
                                 "mfa", "oauth", "plug", "plugins", "post", "signup", "boards", "playbooks"})
DEFAULT_CHANNELS = (("town-square", "Town Square"), ("off-topic", "Off-Topic"))


@dataclasses.dataclass
class Team:
    id: str
    name: str
    display_name: str
    description: str
    email: str
    type: str
    company_name: str
    allowed_domains: str
    invite_id: str
    allow_open_invite: bool
    create_at: int
    update_at: int
    delete_at: int

    def to_json(self, sanitize: bool = True) -> dict:
        """Mattermost's Team JSON; `sanitize` (a caller who may not manage the team) blanks email and invite id."""
        return {"id": self.id, "create_at": self.create_at, "update_at": self.update_at,
                "delete_at": self.delete_at, "display_name": self.display_name, "name": self.name,
                "description": self.description, "email": "" if sanitize else self.email, "type": self.type,
                "company_name": self.company_name, "allowed_domains": self.allowed_domains,
                "invite_id": "" if sanitize else self.invite_id, "allow_open_invite": self.allow_open_invite,
                "last_team_icon_update": 0, "scheme_id": None, "group_constrained": None, "policy_id": None}


@dataclasses.dataclass
class TeamMember:
    team_id: str
    user_id: str
    roles: str
    create_at: int
    delete_at: int

    @property
    def is_admin(self) -> bool:
        return perms.TEAM_ADMIN_ROLE in perms.split_roles(self.roles)

    def to_json(self) -> dict:
        return {"team_id": self.team_id, "user_id": self.user_id, "roles": self.roles, "delete_at": self.delete_at,
                "scheme_guest": False, "scheme_user": True, "scheme_admin": self.is_admin, "explicit_roles": "",
                "create_at": self.create_at}


def _team(row) -> Team:
    values = dict(row)
    values["allow_open_invite"] = bool(values["allow_open_invite"])
    return Team(**values)


def validate_new_team(name: str, display_name: str, type_: str, description: str = "", email: str = "",
                      company_name: str = "") -> str:
    """Mattermost's Team.IsValid for a new team; answers the name lower-cased."""
    name = name.lower()
    if len(name) > NAME_MAX:
        raise AccountError("model.team.is_valid.url.app_error", "Invalid URL Identifier")
    if name in RESERVED_TEAM_NAMES:
        raise AccountError("model.team.is_valid.reserved.app_error", "This URL is unavailable. Please try another.")
    if len(name) < 2 or not _TEAM_NAME.match(name):
        raise AccountError("model.team.is_valid.characters.app_error",
                           "Name must be 2 or more lowercase alphanumeric characters")
    if not display_name or len(display_name) > DISPLAY_NAME_MAX:
        raise AccountError("model.team.is_valid.name.app_error", "Invalid name.")
    if type_ not in (TEAM_OPEN, TEAM_INVITE):
        raise AccountError("model.team.is_valid.type.app_error", "Invalid type.")
    if len(description) > DESCRIPTION_MAX:
        raise AccountError("model.team.is_valid.description.app_error", "Invalid description.")
    if len(email) > EMAIL_MAX or (email and not EMAIL_PATTERN.match(email)):
        raise AccountError("model.team.is_valid.email.app_error", "Invalid email.")
    if len(company_name) > COMPANY_MAX:
        raise AccountError("model.team.is_valid.company.app_error", "Invalid company name.")
    return name


def missing_team() -> AccountError:
    return AccountError("app.team.get.find.app_error", "Unable to find the existing team.", 404)


class Teams(Store):
    def create_team(self, creator_id: str, name: str, display_name: str, type_: str = TEAM_OPEN,
                    description: str = "", email: str = "", company_name: str = "",
                    allow_open_invite: bool = False) -> Team:
        """A new team with its default channels, its creator (when there is one) their first member, team admin."""
        name = validate_new_team(name, display_name, type_, description, email, company_name)
        stamp = self._now()
        team = Team(new_id(), name, display_name, description, email, type_, company_name, "", new_id(),
                    allow_open_invite, stamp, stamp, 0)
        with self._transaction() as db:
            db.execute("SAVEPOINT insert_team")
            try:
                db.execute("INSERT INTO teams (id, name, display_name, description, email, type, company_name, "
                           "allowed_domains, invite_id, allow_open_invite, create_at, update_at, delete_at) "
                           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           (*dataclasses.astuple(team)[:9], int(team.allow_open_invite), stamp, stamp, 0))
            except self.db.integrity_errors:
                db.execute("ROLLBACK TO SAVEPOINT insert_team")
                raise AccountError("app.team.save.existing.app_error",
                                   "A team with that name already exists.") from None
            db.execute("RELEASE SAVEPOINT insert_team")
            for channel_name, channel_display_name in DEFAULT_CHANNELS:
                db.execute("INSERT INTO channels (id, team_id, type, name, display_name, creator_id, create_at, "
                           "update_at) VALUES (?,?,?,?,?,?,?,?)",
                           (new_id(), team.id, "O", channel_name, channel_display_name, "", stamp, stamp))
            if creator_id:
                self._join_team(db, team.id, creator_id, f"{perms.TEAM_USER_ROLE} {perms.TEAM_ADMIN_ROLE}")
        return team

    def get_team(self, team_id: str) -> Team | None:
        row = self._conn().execute("SELECT * FROM teams WHERE id = ?", (team_id,)).fetchone()
        return _team(row) if row else None

    def get_team_by_name(self, name: str) -> Team | None:
        row = self._conn().execute("SELECT * FROM teams WHERE name = ?", (name.lower(),)).fetchone()
        return _team(row) if row else None

    def teams_for_user(self, user_id: str) -> list[Team]:
        rows = self._conn().execute(
            "SELECT t.* FROM teams t JOIN team_members m ON m.team_id = t.id "
            "WHERE m.user_id = ? AND m.delete_at = 0 AND t.delete_at = 0 ORDER BY t.display_name, t.id",
            (user_id,)).fetchall()
        return [_team(row) for row in rows]

    # --- members ------------------------------------------------------------------------------------------------

    def get_team_member(self, team_id: str, user_id: str) -> TeamMember | None:
        """The user's membership (also one that ended: delete_at set), or None."""
        row = self._conn().execute("SELECT * FROM team_members WHERE team_id = ? AND user_id = ?",
                                   (team_id, user_id)).fetchone()
        return TeamMember(**dict(row)) if row else None

    def team_members(self, team_id: str, offset: int, limit: int) -> list[TeamMember]:
        rows = self._conn().execute(
            "SELECT * FROM team_members WHERE team_id = ? AND delete_at = 0 ORDER BY user_id LIMIT ? OFFSET ?",
            (team_id, limit, offset)).fetchall()
        return [TeamMember(**dict(row)) for row in rows]

    def team_members_for_user(self, user_id: str) -> list[TeamMember]:
        rows = self._conn().execute("SELECT * FROM team_members WHERE user_id = ? AND delete_at = 0 "
                                    "ORDER BY team_id", (user_id,)).fetchall()
        return [TeamMember(**dict(row)) for row in rows]

    def add_team_member(self, team_id: str, user_id: str) -> TeamMember:
        """Join (or re-join) a team as `team_user`, and its default channels; a current member stays as they are."""
        with self._transaction() as db:
            self._join_team(db, team_id, user_id, perms.TEAM_USER_ROLE)
        return self.get_team_member(team_id, user_id)

    def _join_team(self, db, team_id: str, user_id: str, roles: str) -> None:
        stamp = self._now()
        db.execute("INSERT INTO team_members (team_id, user_id, roles, create_at, delete_at) VALUES (?,?,?,?,0) "
                   "ON CONFLICT (team_id, user_id) DO UPDATE SET delete_at = 0, roles = CASE "
                   "WHEN team_members.delete_at = 0 THEN team_members.roles ELSE excluded.roles END",
                   (team_id, user_id, roles, stamp))
        defaults = [name for name, _ in DEFAULT_CHANNELS]
        for row in db.execute("SELECT id FROM channels WHERE team_id = ? AND name IN (?, ?) AND delete_at = 0",
                              (team_id, *defaults)).fetchall():
            self._join_channel(db, row["id"], user_id, perms.CHANNEL_USER_ROLE)

    def remove_team_member(self, team_id: str, user_id: str) -> bool:
        """Leave the team and every channel of it; answers whether the user was a member."""
        stamp = self._now()
        with self._transaction() as db:
            left = db.execute("UPDATE team_members SET delete_at = ? WHERE team_id = ? AND user_id = ? "
                              "AND delete_at = 0", (stamp, team_id, user_id)).rowcount
            db.execute("DELETE FROM channel_members WHERE user_id = ? AND channel_id IN "
                       "(SELECT id FROM channels WHERE team_id = ?)", (user_id, team_id))
        return left > 0

    def set_team_member_roles(self, team_id: str, user_id: str, roles: str) -> TeamMember | None:
        with self._transaction() as db:
            updated = db.execute("UPDATE team_members SET roles = ? WHERE team_id = ? AND user_id = ? "
                                 "AND delete_at = 0", (roles, team_id, user_id)).rowcount
        return self.get_team_member(team_id, user_id) if updated else None

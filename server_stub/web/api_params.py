"""What the teams, channels and posts handlers share: the host, request bodies, ids in the path, Mattermost's
paging parameters, and the caller's rights in a team or a channel (accounts/access.py)."""
from __future__ import annotations

from aiohttp import web

from ..accounts import AccountError, access, is_valid_id
from . import auth
from .body import atoi, invalid_url_param, max_payload_bytes, read_json
from .keys import HOST_KEY
from .responses import AppErrorResponse

PER_PAGE_DEFAULT, PER_PAGE_MAX = 60, 200  # Mattermost's PerPageDefault and PerPageMaximum
# The numeric query parameters of these routes (the fault tests fuzz each with out-of-range numbers).
NUMERIC_QUERY_PARAMETERS = ("page", "per_page", "since")
# Past this an offset is past the end of any table (and still a BIGINT in SQL): 2**62.
MAX_OFFSET = 1 << 62


def host_of(request: web.Request):
    return request.app[HOST_KEY]


def accounts_of(request: web.Request):
    return request.app[HOST_KEY].accounts


def account_error(exc: AccountError) -> AppErrorResponse:
    return AppErrorResponse(exc.status, exc.error_id, exc.message)


async def body(request: web.Request, name: str):
    """The JSON body (any JSON value); 400 naming `name` when it is not JSON, 413 when too large."""
    return await read_json(request, name, max_payload_bytes(host_of(request).config.config))


def id_param(request: web.Request, name: str, session: auth.Session | None = None) -> str:
    """A 26-character id of the path (400 invalid_url_param otherwise); for `user_id`, `me` is the caller."""
    value = request.match_info[name]
    if name == "user_id" and value == "me" and session is not None:
        value = session.user_id
    if not is_valid_id(value):
        raise invalid_url_param(name)
    return value


def paging(request: web.Request) -> tuple[int, int, bool]:
    """Mattermost's `page` and `per_page` (web/params.go: not a whole number or negative is the default, per_page
    at most 200) as (offset, limit, first page)."""
    page = atoi(request.query.get("page"))
    page = page if page is not None and page >= 0 else 0
    per_page = atoi(request.query.get("per_page"))
    per_page = PER_PAGE_DEFAULT if per_page is None or per_page < 0 else min(per_page, PER_PAGE_MAX)
    return min(page * per_page, MAX_OFFSET), per_page, page == 0


def may_in_team(request: web.Request, session: auth.Session, team_id: str, permission: str) -> bool:
    return access.has_team_permission(accounts_of(request), session.user_id, session.permissions, team_id,
                                      permission)


def may_in_channel(request: web.Request, session: auth.Session, channel, permission: str) -> bool:
    return access.has_channel_permission(accounts_of(request), session.user_id, session.permissions, channel,
                                         permission)


def may_read_channel(request: web.Request, session: auth.Session, channel) -> bool:
    return access.can_read_channel(accounts_of(request), session.user_id, session.permissions, channel)

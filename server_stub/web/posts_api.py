"""API v4 posts: create, get, patch, delete, a post's thread, and a channel's posts in Mattermost's PostList (paging by page,
before, after or since). Mattermost's bodies, statuses, error ids and permissions (server/channels/api4/post.go,
app/post.go).

A post made with an OAuth access token carries `props.from_oauth_app: "true"`, as Mattermost's CreatePost adds it.
Unlike Mattermost, the host decides that prop alone: one sent by a client is dropped (on create and on patch a
post keeps what the host decided), so that the "APP" mark cannot be forged. `props.override_username` and
`props.override_icon_url` are kept as sent, as Mattermost keeps them on posts made through the API; whether they
are shown is ServiceSettings.EnablePostUsernameOverride / EnablePostIconOverride's, at display (post_display.py)."""
from __future__ import annotations

import logging

from aiohttp import web

from .. import permissions as perms
from ..accounts import AccountError, Post, is_valid_id
from . import auth
from .api_params import account_error, accounts_of, body, id_param, may_in_channel, may_read_channel, paging
from .body import INT64_MAX, INT64_MIN, get_bool, get_str, invalid_body_param
from .channels_api import channel_or_404
from .responses import AppErrorResponse, json_response, status_ok

log = logging.getLogger("server_stub.posts")
FROM_OAUTH_APP = "from_oauth_app"
# Post types a client may create (Mattermost's Post.IsValid): system_ ones are the server's own.
CLIENT_POST_TYPES = frozenset({"", "slack_attachment", "me"})


def _missing_post() -> AppErrorResponse:
    return AppErrorResponse(404, "app.post.get.app_error", "Unable to get the post.")


def _props(data: dict, key: str = "props") -> dict | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_body_param(key)
    return value


def decided_props(props: dict | None, session: auth.Session, keep_from: Post | None = None) -> dict:
    """The props a post is stored with: the client's, with from_oauth_app as the host decides it (an OAuth token
    made the post, or, on a patch, the post already had it)."""
    result = {key: value for key, value in (props or {}).items() if key != FROM_OAUTH_APP}
    if (keep_from.from_oauth_app if keep_from is not None else session.is_oauth):
        result[FROM_OAUTH_APP] = "true"
    return result


async def create_post_as(request: web.Request, session: auth.Session, channel_id: str, message: str,
                         root_id: str = "", type_: str = "", props: dict | None = None) -> Post:
    """Mattermost's createPost checks, then the post: create_post in the channel (403 otherwise, a channel that
    does not exist included), not in an archived channel. The channel page posts through this too."""
    channel = accounts_of(request).get_channel(channel_id) if is_valid_id(channel_id) else None
    if channel is None or not may_in_channel(request, session, channel, perms.CREATE_POST):
        raise auth.permission_error()
    if type_.startswith("system_"):
        raise AppErrorResponse(400, "api.context.invalid_param.app_error", "Invalid post.type parameter.")
    if type_ not in CLIENT_POST_TYPES and not type_.startswith("custom_"):
        raise AppErrorResponse(400, "model.post.is_valid.type.app_error", "Invalid type.")
    if channel.delete_at:
        raise AppErrorResponse(400, "api.post.create_post.can_not_post_to_deleted.error",
                               "Can not post to a deleted channel.")
    if root_id and not is_valid_id(root_id):
        raise AppErrorResponse(400, "model.post.is_valid.root_id.app_error", "Invalid root id.")
    try:
        post = accounts_of(request).create_post(channel.id, session.user_id, message, root_id, type_,
                                                decided_props(props, session))
    except AccountError as exc:
        raise account_error(exc) from None
    log.info("post created", extra={"post_id": post.id, "channel_id": channel.id, "user_id": session.user_id,
                                    "oauth_client_id": session.oauth_client_id})
    return post


async def create_post(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    await auth.current_user(request)  # a post needs an author: local mode has none
    data = await body(request, "post")
    if not isinstance(data, dict):
        raise invalid_body_param("post")
    post = await create_post_as(request, session, get_str(data, "channel_id"), get_str(data, "message"),
                                get_str(data, "root_id"), get_str(data, "type"), _props(data))
    return json_response(request, post.to_json(), status=201)


def _readable_post(request: web.Request, session: auth.Session, post_id: str) -> Post:
    post = accounts_of(request).get_post(post_id)
    if post is None:
        raise _missing_post()
    channel = channel_or_404(request, post.channel_id)
    if not may_read_channel(request, session, channel):
        raise auth.permission_error()
    return post


async def get_post(request: web.Request) -> web.Response:
    session = await auth.require_session(request)
    post = _readable_post(request, session, id_param(request, "post_id"))
    return json_response(request, post.to_json())


async def get_post_thread(request: web.Request) -> web.Response:
    """The post's thread (its root and every reply) as a PostList, newest first."""
    session = await auth.require_session(request)
    post = _readable_post(request, session, id_param(request, "post_id"))
    return json_response(request, accounts_of(request).thread(post).to_json())


def _check_own_or_others(request, session: auth.Session, post: Post, own: str, others: str) -> None:
    channel = channel_or_404(request, post.channel_id)
    if not may_in_channel(request, session, channel, own):
        raise auth.permission_error()
    if post.user_id != session.user_id and not may_in_channel(request, session, channel, others):
        raise auth.permission_error()


async def patch_post(request: web.Request) -> web.Response:
    """Body {"message", "props", "is_pinned"} (each optional): edit_post in the channel, edit_others_posts for
    someone else's post."""
    session = await auth.require_session(request)
    post_id = id_param(request, "post_id")
    data = await body(request, "post")
    if not isinstance(data, dict):
        raise invalid_body_param("post")
    message = get_str(data, "message") if data.get("message") is not None else None
    props = _props(data)
    is_pinned = get_bool(data, "is_pinned") if data.get("is_pinned") is not None else None
    post = accounts_of(request).get_post(post_id)
    if post is None:
        raise _missing_post()
    _check_own_or_others(request, session, post, perms.EDIT_POST, perms.EDIT_OTHERS_POSTS)
    if props is not None:
        props = decided_props(props, session, keep_from=post)
    try:
        patched = accounts_of(request).patch_post(post_id, message, props, is_pinned)
    except AccountError as exc:
        raise account_error(exc) from None
    if patched is None:
        raise _missing_post()
    return json_response(request, patched.to_json())


async def delete_post(request: web.Request) -> web.Response:
    """delete_post in the channel; delete_others_posts for someone else's post."""
    session = await auth.require_session(request)
    post = accounts_of(request).get_post(id_param(request, "post_id"))
    if post is None:
        raise _missing_post()
    _check_own_or_others(request, session, post, perms.DELETE_POST, perms.DELETE_OTHERS_POSTS)
    if not accounts_of(request).delete_post(post.id):
        raise _missing_post()
    log.info("post deleted", extra={"post_id": post.id, "by": session.user_id})
    return status_ok(request)


async def get_posts_for_channel(request: web.Request) -> web.Response:
    """`since` (ms: what changed after), else `after` or `before` (a post id), else the newest page."""
    session = await auth.require_session(request)
    channel_id = id_param(request, "channel_id")
    after, before = request.query.get("after", ""), request.query.get("before", "")
    if after and not is_valid_id(after):
        raise invalid_body_param("after")
    if before and not is_valid_id(before):
        raise invalid_body_param("before")
    since = _since(request.query.get("since", ""))
    channel = channel_or_404(request, channel_id)
    if not may_read_channel(request, session, channel):
        raise auth.permission_error()
    offset, limit, first_page = paging(request)
    accounts = accounts_of(request)
    if since > 0:
        posts = accounts.posts_since(channel.id, since)
    elif after or before:
        posts = accounts.posts_around(channel.id, after or before, bool(before) and not after, offset, limit,
                                      first_page)
    else:
        posts = accounts.posts_page(channel.id, offset, limit)
    return json_response(request, posts.to_json())


def _since(text: str) -> int:
    """Go's strconv.ParseInt(since, 10, 64); an error is 400 naming `since`, as Mattermost answers."""
    if not text:
        return 0
    sign = text[:1] in "+-"
    if not text[sign:].isascii() or not text[sign:].isdigit() or not INT64_MIN <= int(text) <= INT64_MAX:
        raise invalid_body_param("since")
    return int(text)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v4/posts", create_post)
    app.router.add_get("/api/v4/posts/{post_id}", get_post)
    app.router.add_delete("/api/v4/posts/{post_id}", delete_post)
    app.router.add_put("/api/v4/posts/{post_id}/patch", patch_post)
    app.router.add_get("/api/v4/posts/{post_id}/thread", get_post_thread)
    app.router.add_get("/api/v4/channels/{channel_id}/posts", get_posts_for_channel)


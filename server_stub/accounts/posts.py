"""Posts (Mattermost's model/post.go, model/post_list.go, app/post.go and store's PostStore).

A channel's posts are read newest first, in pages (`page`, `per_page`), before or after a post, or changed since a
time; the answer is Mattermost's PostList: `order` (ids, newest first), `posts` (by id, with the root posts of the
replies in the page), `next_post_id` and `prev_post_id` (the posts just newer and just older than the page). Posts
with the same create_at are ordered by id, so that a page boundary never splits or repeats them."""
from __future__ import annotations

import dataclasses
import json

from ..web.responses import new_request_id as new_id
from .database import Store
from .errors import AccountError

MESSAGE_MAX_RUNES = 16383  # Mattermost's PostMessageMaxRunesV2
PROPS_MAX_RUNES = 800000  # PostPropsMaxRunes, of the props' JSON
SINCE_LIMIT = 1000  # Mattermost's GetPostsSince answers at most this many


@dataclasses.dataclass
class Post:
    id: str
    channel_id: str
    user_id: str
    root_id: str
    message: str
    type: str
    props: dict
    hashtags: str
    is_pinned: bool
    create_at: int
    update_at: int
    edit_at: int
    delete_at: int

    @property
    def from_oauth_app(self) -> bool:
        return self.props.get("from_oauth_app") == "true"

    def to_json(self) -> dict:
        """Mattermost's Post JSON; a deleted post (seen through `since`) keeps only its ids and times."""
        deleted = self.delete_at != 0
        return {"id": self.id, "create_at": self.create_at, "update_at": self.update_at, "edit_at": self.edit_at,
                "delete_at": self.delete_at, "is_pinned": self.is_pinned, "user_id": self.user_id,
                "channel_id": self.channel_id, "root_id": self.root_id, "original_id": "",
                "message": "" if deleted else self.message, "type": self.type,
                "props": {} if deleted else dict(self.props), "hashtags": "" if deleted else self.hashtags,
                "pending_post_id": "", "reply_count": 0, "last_reply_at": 0, "participants": None,
                "metadata": {}}


def _post(row) -> Post:
    values = dict(row)
    try:
        props = json.loads(values["props"] or "{}")
    except ValueError:
        props = {}
    values["props"] = props if isinstance(props, dict) else {}
    values["is_pinned"] = bool(values["is_pinned"])
    return Post(**values)


def check_post_content(message: str, props: dict) -> None:
    """Mattermost's Post.IsValid for what a client writes: message length, props size (in runes)."""
    if len(message) > MESSAGE_MAX_RUNES:
        raise AccountError("model.post.is_valid.message_length.app_error",
                           f"Message is too long: {len(message)} characters, at most {MESSAGE_MAX_RUNES}.")
    if len(json.dumps(props, ensure_ascii=False)) > PROPS_MAX_RUNES:
        raise AccountError("model.post.is_valid.props.app_error", "Invalid props.")


def hashtags_of(message: str) -> str:
    """Mattermost's ParseHashtags, simply: the words that start with '#' and a letter, space-separated."""
    tags = [word.rstrip(".,:;!?") for word in message.split() if len(word) > 2 and word[0] == "#"
            and word[1].isalpha()]
    return " ".join(dict.fromkeys(tags))[:1000]


@dataclasses.dataclass
class PostList:
    order: list[str]
    posts: dict[str, Post]
    next_post_id: str = ""
    prev_post_id: str = ""

    def to_json(self) -> dict:
        return {"order": list(self.order), "posts": {pid: post.to_json() for pid, post in self.posts.items()},
                "next_post_id": self.next_post_id, "prev_post_id": self.prev_post_id, "has_next": False}


_COLUMNS = ("id, channel_id, user_id, root_id, message, type, props, hashtags, is_pinned, create_at, update_at, "
            "edit_at, delete_at")


class Posts(Store):
    def create_post(self, channel_id: str, user_id: str, message: str, root_id: str = "", type_: str = "",
                    props: dict | None = None) -> Post:
        """A new post (reply when `root_id`), and the channel's counters. A reply's root must be a live post of
        the same channel that is not itself a reply (Mattermost's CreatePost)."""
        props = dict(props or {})
        check_post_content(message, props)
        with self._transaction() as db:
            # A channel's posts get increasing create_at (one millisecond apart at least): the channel row, locked,
            # holds the last one, so that paging and the page show them in the order they were made.
            channel = db.execute("SELECT last_post_at FROM channels WHERE id = ?" + self.db.for_update,
                                 (channel_id,)).fetchone()
            stamp = max(self._now(), (channel["last_post_at"] if channel else 0) + 1)
            post = Post(new_id(), channel_id, user_id, root_id, message, type_, props, hashtags_of(message), False,
                        stamp, stamp, 0, 0)
            if root_id:
                root = db.execute("SELECT channel_id, root_id FROM posts WHERE id = ? AND delete_at = 0",
                                  (root_id,)).fetchone()
                if root is None or root["root_id"]:
                    raise AccountError("api.post.create_post.root_id.app_error", "Invalid RootId parameter.")
                if root["channel_id"] != channel_id:
                    raise AccountError("api.post.create_post.channel_root_id.app_error",
                                       "Invalid ChannelId for RootId parameter.")
            db.execute(f"INSERT INTO posts ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       (post.id, channel_id, user_id, root_id, message, type_, json.dumps(props, ensure_ascii=False),
                        post.hashtags, 0, stamp, stamp, 0, 0))
            root_counts = 0 if root_id else 1
            db.execute("UPDATE channels SET total_msg_count = total_msg_count + 1, "
                       "total_msg_count_root = total_msg_count_root + ?, last_post_at = ?, "
                       "last_root_post_at = CASE WHEN ? = 1 THEN ? ELSE last_root_post_at END WHERE id = ?",
                       (root_counts, stamp, root_counts, stamp, channel_id))
        return post

    def get_post(self, post_id: str, include_deleted: bool = False) -> Post | None:
        row = self._conn().execute(f"SELECT {_COLUMNS} FROM posts WHERE id = ?", (post_id,)).fetchone()
        if row is None or (row["delete_at"] and not include_deleted):
            return None
        return _post(row)

    def patch_post(self, post_id: str, message: str | None, props: dict | None,
                   is_pinned: bool | None) -> Post | None:
        """Mattermost's PatchPost: the fields given replace the post's; a changed message sets edit_at."""
        post = self.get_post(post_id)
        if post is None:
            return None
        stamp = self._now()
        if message is not None and message != post.message:
            post.message, post.hashtags, post.edit_at = message, hashtags_of(message), stamp
        if props is not None:
            post.props = props
        if is_pinned is not None:
            post.is_pinned = is_pinned
        check_post_content(post.message, post.props)
        post.update_at = stamp
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE posts SET message = ?, hashtags = ?, props = ?, is_pinned = ?, edit_at = ?, update_at = ? "
                "WHERE id = ? AND delete_at = 0",
                (post.message, post.hashtags, json.dumps(post.props, ensure_ascii=False), int(post.is_pinned),
                 post.edit_at, stamp, post_id)).rowcount
        return post if updated else None

    def delete_post(self, post_id: str) -> bool:
        """Delete a post and, when it is a root, its replies (Mattermost deletes the thread)."""
        stamp = self._now()
        with self._transaction() as db:
            deleted = db.execute("UPDATE posts SET delete_at = ?, update_at = ? WHERE id = ? AND delete_at = 0",
                                 (stamp, stamp, post_id)).rowcount
            if deleted:
                db.execute("UPDATE posts SET delete_at = ?, update_at = ? WHERE root_id = ? AND delete_at = 0",
                           (stamp, stamp, post_id))
        return deleted > 0

    def thread(self, post: Post) -> PostList:
        """The live posts of the post's thread (its root and the root's replies), newest first (Mattermost's
        GetPostThread)."""
        root_id = post.root_id or post.id
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM posts WHERE (id = ? OR root_id = ?) AND delete_at = 0 "
            "ORDER BY create_at DESC, id DESC", (root_id, root_id)).fetchall()
        posts = [_post(row) for row in rows]
        return PostList([p.id for p in posts], {p.id: p for p in posts})

    # --- a channel's posts ----------------------------------------------------------------------------------------

    def posts_page(self, channel_id: str, offset: int, limit: int) -> PostList:
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM posts WHERE channel_id = ? AND delete_at = 0 "
            "ORDER BY create_at DESC, id DESC LIMIT ? OFFSET ?", (channel_id, limit, offset)).fetchall()
        return self._with_cursors(channel_id, [_post(row) for row in rows])

    def posts_around(self, channel_id: str, post_id: str, before: bool, offset: int, limit: int,
                     first_page: bool) -> PostList:
        """The posts just older (`before`) or newer than a post of the channel, newest first (none when the channel
        has no such post). On the first page, the cursor toward the reference post is that post
        (Mattermost's AddCursorIdsForPostList)."""
        ref = self._conn().execute("SELECT create_at, id FROM posts WHERE id = ? AND channel_id = ?",
                                   (post_id, channel_id)).fetchone()
        posts: list[Post] = []
        if ref is not None:
            sign, order = ("<", "DESC") if before else (">", "ASC")
            rows = self._conn().execute(
                f"SELECT {_COLUMNS} FROM posts WHERE channel_id = ? AND delete_at = 0 "
                f"AND (create_at {sign} ? OR (create_at = ? AND id {sign} ?)) "
                f"ORDER BY create_at {order}, id {order} LIMIT ? OFFSET ?",
                (channel_id, ref["create_at"], ref["create_at"], ref["id"], limit, offset)).fetchall()
            posts = [_post(row) for row in rows]
            if not before:
                posts.reverse()
        result = self._with_cursors(channel_id, posts)
        if first_page and before:
            result.next_post_id = post_id
        elif first_page:
            result.prev_post_id = post_id
        return result

    def posts_since(self, channel_id: str, since: int) -> PostList:
        """The posts created, edited or deleted after `since` (deleted ones too, so that a client learns of
        them), newest first, without cursors."""
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM posts WHERE channel_id = ? AND update_at > ? "
            "ORDER BY create_at DESC, id DESC LIMIT ?", (channel_id, since, SINCE_LIMIT)).fetchall()
        posts = [_post(row) for row in rows]
        return PostList([post.id for post in posts], {post.id: post for post in posts})

    def _with_cursors(self, channel_id: str, posts: list[Post]) -> PostList:
        """The list of `posts` (newest first) with the roots of its replies, and the ids of the live posts just
        newer and just older than it."""
        result = PostList([post.id for post in posts], {post.id: post for post in posts})
        if not posts:
            return result
        for root_id in {post.root_id for post in posts if post.root_id and post.root_id not in result.posts}:
            root = self.get_post(root_id, include_deleted=True)
            if root is not None:
                result.posts[root_id] = root
        newest, oldest = posts[0], posts[-1]
        after = self._conn().execute(
            "SELECT id FROM posts WHERE channel_id = ? AND delete_at = 0 AND "
            "(create_at > ? OR (create_at = ? AND id > ?)) ORDER BY create_at ASC, id ASC LIMIT 1",
            (channel_id, newest.create_at, newest.create_at, newest.id)).fetchone()
        before = self._conn().execute(
            "SELECT id FROM posts WHERE channel_id = ? AND delete_at = 0 AND "
            "(create_at < ? OR (create_at = ? AND id < ?)) ORDER BY create_at DESC, id DESC LIMIT 1",
            (channel_id, oldest.create_at, oldest.create_at, oldest.id)).fetchone()
        result.next_post_id = after["id"] if after else ""
        result.prev_post_id = before["id"] if before else ""
        return result

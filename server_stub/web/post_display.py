"""How a post is shown: its author, or the name and icon an OAuth app asked for when the server allows it.

Mattermost's clients show `props.override_username` only on integration posts and only while
ServiceSettings.EnablePostUsernameOverride is on (its web app: `isFromWebhook(post) && EnablePostUsernameOverride
&& override_username`; its push notifications: the setting and the prop), and `props.override_icon_url` only while
EnablePostIconOverride is on. The host's channel page does the same for posts made by an OAuth app
(`props.from_oauth_app`, which only the host sets): with a setting off, the post shows its author's own username or
no icon, whatever its props say. An icon is shown only from an https URL (the pages' Content-Security-Policy
allows no other remote images)."""
from __future__ import annotations

import dataclasses
import urllib.parse

from ..accounts import Post

OVERRIDE_USERNAME_MAX = 64  # what the page shows of an override name


@dataclasses.dataclass(frozen=True)
class ShownPost:
    id: str
    message: str
    create_at: int
    author: str           # the name shown
    username: str         # the author's own username
    icon_url: str         # "" for none
    from_app: bool        # the "APP" mark
    overridden: bool      # the name shown is the app's override
    root_id: str


def overrides_allowed(config: dict) -> tuple[bool, bool]:
    """(EnablePostUsernameOverride, EnablePostIconOverride)."""
    service = config.get("ServiceSettings") or {}
    return service.get("EnablePostUsernameOverride") is True, service.get("EnablePostIconOverride") is True


def _https_url(value) -> str:
    if not isinstance(value, str) or len(value) > 2048:
        return ""
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme == "https" and parts.hostname and "@" not in parts.netloc else ""


def shown(post: Post, username: str, config: dict) -> ShownPost:
    names_allowed, icons_allowed = overrides_allowed(config)
    from_app = post.from_oauth_app
    override = post.props.get("override_username")
    use_name = from_app and names_allowed and isinstance(override, str) and override.strip() != ""
    icon = _https_url(post.props.get("override_icon_url")) if from_app and icons_allowed else ""
    return ShownPost(post.id, post.message, post.create_at,
                     override.strip()[:OVERRIDE_USERNAME_MAX] if use_name else username, username, icon, from_app,
                     bool(use_name), post.root_id)

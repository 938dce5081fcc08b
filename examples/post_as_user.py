#!/usr/bin/env python3
"""A small Zapier-like app: it signs a user in with Mattermost (the host stand-in) asking only for the scopes
`channels:read posts:write`, lists the user's channels, and posts a message into one of them as the user.

The sign-in is the one of oauth_client_app.py (authorization code grant with PKCE S256, a `state` bound to the
browser's session), whose helpers this app reuses. Then, with the access token:

    GET  /api/v4/users/me/channels                      the user's channels, in all their teams
    POST /api/v4/posts {"channel_id", "message", "props": {"override_username": ...}}

Mattermost marks the post as made by an OAuth app (`props.from_oauth_app`). The app always asks for an override
username (--post-as, "Example Bot" by default); Mattermost shows it instead of the user's name only while the server
allows it (System Console > Integration Management > Enable integrations to override usernames), and the user's own
name otherwise. Only the standard library and aiohttp.

Register it first (Integrations > OAuth 2.0 Applications > Add, Callback URL = this app's /callback), then:

    python examples/post_as_user.py --mattermost-url http://127.0.0.1:8065 \\
        --client-id <Client ID> --client-secret <Client Secret> --listen 127.0.0.1:8081

and open http://127.0.0.1:8081/. The flags and environment variables are oauth_client_app.py's, plus --post-as
(EXAMPLE_POST_AS).
"""
from __future__ import annotations

import html
import os
import secrets
import sys
import urllib.parse

from aiohttp import web

import oauth_client_app as signin  # the sign-in example beside this file
from oauth_client_app import CONFIG, HTTP, browser_session, check_csrf, page, redirect

SCOPES = "channels:read posts:write"
TITLE = "Post as you"


def show(request: web.Request, body: str, status: int = 200) -> web.Response:
    return page(request, body, status, TITLE)


async def api(app: web.Application, session: dict, method: str, path: str, json=None) -> tuple[int, object]:
    """An API v4 call as the signed-in user."""
    token = (session.get("tokens") or {}).get("access_token", "")
    async with app[HTTP].request(method, app[CONFIG]["mattermost_url"] + "/api/v4" + path, json=json,
                                 headers={"Authorization": f"Bearer {token}"}) as response:
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = {}
        return response.status, body


def channel_label(channel: dict) -> str:
    if channel.get("type") == "D":
        return "Direct message"
    marker = "Private" if channel.get("type") == "P" else "Public"
    return f'{channel.get("display_name") or channel.get("name")} ({marker})'


async def home(request: web.Request) -> web.Response:
    session = browser_session(request)
    parts = []
    for key, css in (("error", "error"), ("notice", "notice")):
        if session.get(key):
            parts.append(f'<p class="{css}" id="{key}">{html.escape(session.pop(key))}</p>')
    if not session.get("tokens"):
        parts.append(f"<p>Sign in to post into your Mattermost channels. This app asks for "
                     f"<code>{SCOPES}</code> only.</p>"
                     '<p><a class="button" id="sign-in" href="/login">Sign in with Mattermost</a></p>')
        return show(request, "\n".join(parts))
    status, channels = await api(request.app, session, "GET", "/users/me/channels")
    if status != 200 or not isinstance(channels, list):
        parts.append(f'<p class="error" id="error">Could not list your channels: '
                     f'{html.escape(signin.describe_error(status, channels if isinstance(channels, dict) else {}))}</p>')
        return show(request, "\n".join(parts))
    options = "".join(f'<option value="{html.escape(c["id"])}">{html.escape(channel_label(c))}</option>'
                      for c in channels if not c.get("delete_at"))
    csrf = html.escape(session["csrf"])
    post_as = html.escape(request.app[CONFIG]["post_as"])
    parts.append(f'<p>Your channels: <span id="channel-count">{len(channels)}</span>.</p>'
                 f'<form method="post" action="/post"><input type="hidden" name="csrf" value="{csrf}">'
                 f'<p><label>Channel <select name="channel_id" id="channel">{options}</select></label></p>'
                 f'<p><label>Message <input name="message" id="message" size="50" required></label></p>'
                 f'<p><label>Post as (shown when the server allows it) <input name="post_as" id="post-as" '
                 f'value="{post_as}"></label></p>'
                 f'<p><button id="send">Post as you</button></p></form>')
    return show(request, "\n".join(parts))


async def login(request: web.Request) -> web.StreamResponse:
    """The authorization code grant with PKCE, asking for SCOPES."""
    config = request.app[CONFIG]
    session = browser_session(request)
    verifier, challenge = signin.pkce_pair()
    state = secrets.token_urlsafe(32)
    session["pending"] = {"state": state, "verifier": verifier}
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": config["client_id"], "redirect_uri": config["callback_url"],
        "state": state, "scope": SCOPES, "code_challenge": challenge, "code_challenge_method": "S256"})
    return redirect(request, f'{config["mattermost_url"]}/oauth/authorize?{query}', status=302)


async def callback(request: web.Request) -> web.StreamResponse:
    """Check the state, exchange the code; no /users/me (this app did not ask to see the profile)."""
    session = browser_session(request)
    pending = session.pop("pending", None)
    state = request.query.get("state", "")
    if not pending or not secrets.compare_digest(state.encode(), pending["state"].encode()):
        return show(request, '<p class="error" id="error">invalid_state: this sign-in was not started here. '
                             '<a href="/">Start again</a>.</p>', status=400)
    if "error" in request.query:
        session["error"] = f'Sign-in refused: {request.query["error"]}'
        return redirect(request, "/")
    status, tokens = await signin.token_request(
        request.app, grant_type="authorization_code", code=request.query.get("code", ""),
        redirect_uri=request.app[CONFIG]["callback_url"], code_verifier=pending["verifier"])
    if status != 200 or not tokens.get("access_token"):
        session["error"] = "Token request failed: " + signin.describe_error(status, tokens)
        return redirect(request, "/")
    signin.store_tokens(session, tokens)
    return redirect(request, "/")


async def post_message(request: web.Request) -> web.StreamResponse:
    session = browser_session(request)
    form = await request.post()
    if not check_csrf(session, form) or not session.get("tokens"):
        return show(request, '<p class="error" id="error">The form has expired.</p>', status=400)
    props = {"override_username": str(form.get("post_as", ""))[:64]} if form.get("post_as") else {}
    status, answer = await api(request.app, session, "POST", "/posts", {
        "channel_id": str(form.get("channel_id", "")), "message": str(form.get("message", "")), "props": props})
    if status == 201:
        session["notice"] = f'Posted (post {answer.get("id", "")}).'
    else:
        session["error"] = "Posting failed: " + signin.describe_error(status, answer if isinstance(answer, dict)
                                                                      else {})
    return redirect(request, "/")


def make_app(config: dict) -> web.Application:
    app = signin.base_app(config)  # sessions and the HTTP client of the sign-in example
    app.router.add_get("/", home)
    app.router.add_get("/login", login)
    app.router.add_get("/callback", callback)
    app.router.add_post("/post", post_message)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = signin.argument_parser("An example app that posts into Mattermost channels as the signed-in user.")
    parser.add_argument("--post-as", default=os.environ.get("EXAMPLE_POST_AS", "Example Bot"),
                        help="the override username the app asks for; empty: none [EXAMPLE_POST_AS]")
    config = signin.parse_args(argv, parser)
    print(f"Post-as-user example on {config['public_url']}/ (callback {config['callback_url']}), "
          f"posting through {config['mattermost_url']}", flush=True)
    web.run_app(make_app(config), host=config["host"], port=config["port"], print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())

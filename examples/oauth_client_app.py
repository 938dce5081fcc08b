#!/usr/bin/env python3
"""A third-party web app that signs its users in with Mattermost (the host stand-in) over OAuth 2.0.

It does what a careful client does: the authorization code grant with PKCE (S256) and a `state` value bound to
the browser's session and checked on return; the code exchanged with the client secret (none for a public
client); /api/v4/users/me called with the access token; a refresh; and a logout that revokes the token at the
server (POST /api/v4/users/logout with the token). Only the standard library and aiohttp.

Register it first (Integrations > OAuth 2.0 Applications > Add, Callback URL = this app's /callback), then:

    python examples/oauth_client_app.py --mattermost-url http://127.0.0.1:8065 \\
        --client-id <Client ID> --client-secret <Client Secret> --listen 127.0.0.1:8080

and open http://127.0.0.1:8080/. Every flag has an environment variable (MATTERMOST_URL, OAUTH_CLIENT_ID,
OAUTH_CLIENT_SECRET, EXAMPLE_LISTEN, EXAMPLE_PUBLIC_URL). The callback URL is `<public URL>/callback`; the public
URL defaults to http://<listen address>.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import html
import json
import os
import secrets
import sys
import time
import urllib.parse

from aiohttp import ClientSession, ClientTimeout, web

SESSION_COOKIE = "example_app_session"
CONFIG = web.AppKey("config", dict)
HTTP = web.AppKey("http", ClientSession)
SESSIONS = web.AppKey("sessions", dict)
MAX_SESSIONS = 10_000  # a demo keeps sessions in memory: the oldest go first


# --- this app's own sessions (in memory: a demo) -----------------------------------------------------------------

def browser_session(request: web.Request) -> dict:
    """The browser's session: a dict kept in memory, found by a random id in an HttpOnly cookie."""
    sessions = request.app[SESSIONS]
    sid = request.cookies.get(SESSION_COOKIE, "")
    if sid not in sessions:
        while len(sessions) >= MAX_SESSIONS:
            del sessions[next(iter(sessions))]
        sid = secrets.token_urlsafe(32)
        sessions[sid] = {"csrf": secrets.token_urlsafe(24)}
    request["sid"] = sid
    return sessions[sid]


def with_cookie(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    if request.cookies.get(SESSION_COOKIE) != request.get("sid") and request.get("sid"):
        response.set_cookie(SESSION_COOKIE, request["sid"], httponly=True, samesite="Lax", path="/")
    return response


def page(request: web.Request, body: str, status: int = 200, title: str = "Example OAuth client") -> web.Response:
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 720px; margin: 40px auto; color: #333; }}
pre {{ background: #f4f4f6; padding: 12px; overflow: auto; }}
.error {{ color: #b00020; }} button, .button {{ padding: 6px 14px; }}
</style></head>
<body><h1>{html.escape(title)}</h1>{body}</body></html>"""
    response = web.Response(text=document, status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return with_cookie(request, response)


def redirect(request: web.Request, location: str, status: int = 303) -> web.StreamResponse:
    response = web.Response(status=status, headers={"Location": location, "Cache-Control": "no-store"})
    return with_cookie(request, response)


def check_csrf(session: dict, form) -> bool:
    return hmac.compare_digest(str(form.get("csrf", "")).encode(), session["csrf"].encode())


# --- talking to Mattermost ---------------------------------------------------------------------------------------

def pkce_pair() -> tuple[str, str]:
    """RFC 7636: a 64-character verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def token_request(app: web.Application, **fields) -> tuple[int, dict]:
    config = app[CONFIG]
    fields["client_id"] = config["client_id"]
    if config["client_secret"]:
        fields["client_secret"] = config["client_secret"]
    async with app[HTTP].post(config["mattermost_url"] + "/oauth/access_token", data=fields,
                              headers={"Accept": "application/json"}) as response:
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = {"message": await response.text()}
        return response.status, body if isinstance(body, dict) else {}


async def users_me(app: web.Application, access_token: str) -> tuple[int, dict]:
    async with app[HTTP].get(app[CONFIG]["mattermost_url"] + "/api/v4/users/me",
                             headers={"Authorization": f"Bearer {access_token}"}) as response:
        body = await response.json(content_type=None) if response.status == 200 else {}
        return response.status, body


def describe_error(status: int, body: dict) -> str:
    code = body.get("error") or body.get("id") or "error"
    message = body.get("error_description") or body.get("message") or ""
    return f"{code} (HTTP {status}){': ' + message if message else ''}"


def store_tokens(session: dict, tokens: dict) -> None:
    session["tokens"] = {"access_token": tokens.get("access_token", ""),
                         "refresh_token": tokens.get("refresh_token", ""),
                         "expires_at": int(time.time()) + int(tokens.get("expires_in") or 0),
                         "scope": tokens.get("scope", "")}


# --- routes --------------------------------------------------------------------------------------------------------

async def home(request: web.Request) -> web.Response:
    session = browser_session(request)
    error = session.pop("error", "")
    parts = []
    if error:
        parts.append(f'<p class="error" id="error">{html.escape(error)}</p>')
    user = session.get("user")
    if user:
        tokens = session.get("tokens") or {}
        parts.append(f'<p id="signed-in">Signed in as <b id="username">{html.escape(user.get("username", ""))}</b>'
                     f' ({html.escape(user.get("email", ""))}).</p>')
        parts.append("<h2>GET /api/v4/users/me</h2>"
                     f'<pre id="me">{html.escape(json.dumps(user, indent=2, sort_keys=True))}</pre>')
        parts.append(f'<p>Access token expires in {max(0, tokens.get("expires_at", 0) - int(time.time()))} s'
                     f'{"; a refresh token is held." if tokens.get("refresh_token") else "."}'
                     f' Refreshed <span id="refreshes">{session.get("refreshes", 0)}</span> time(s).</p>')
        csrf = html.escape(session["csrf"])
        if tokens.get("refresh_token"):
            parts.append(f'<form method="post" action="/refresh" style="display:inline"><input type="hidden" '
                         f'name="csrf" value="{csrf}"><button id="refresh">Refresh the token</button></form> ')
        parts.append(f'<form method="post" action="/logout" style="display:inline"><input type="hidden" '
                     f'name="csrf" value="{csrf}"><button id="logout">Log out</button></form>')
    else:
        parts.append('<p>You are not signed in.</p>'
                     '<p><a class="button" id="sign-in" href="/login">Sign in with Mattermost</a></p>')
    return page(request, "\n".join(parts))


async def login(request: web.Request) -> web.StreamResponse:
    """Start the authorization code grant: a fresh state and PKCE verifier kept in this browser's session."""
    config = request.app[CONFIG]
    session = browser_session(request)
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(32)
    session["pending"] = {"state": state, "verifier": verifier}
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": config["client_id"], "redirect_uri": config["callback_url"],
        "state": state, "code_challenge": challenge, "code_challenge_method": "S256"})
    return redirect(request, f'{config["mattermost_url"]}/oauth/authorize?{query}', status=302)


async def callback(request: web.Request) -> web.StreamResponse:
    """The redirect back from Mattermost: check the state, then exchange the code (with the PKCE verifier)."""
    config = request.app[CONFIG]
    session = browser_session(request)
    pending = session.pop("pending", None)
    state = request.query.get("state", "")
    if not pending or not hmac.compare_digest(state.encode(), pending["state"].encode()):
        return page(request, '<p class="error" id="error">invalid_state: this sign-in was not started here '
                             '(the state does not match). <a href="/">Start again</a>.</p>', status=400)
    if "error" in request.query:
        session["error"] = (f'Sign-in refused: {request.query["error"]}'
                            f'{": " + request.query["error_description"] if "error_description" in request.query else ""}'
                            " (state checked)")
        return redirect(request, "/")
    code = request.query.get("code", "")
    status, tokens = await token_request(request.app, grant_type="authorization_code", code=code,
                                         redirect_uri=config["callback_url"], code_verifier=pending["verifier"])
    if status != 200 or not tokens.get("access_token"):
        session["error"] = "Token request failed: " + describe_error(status, tokens)
        return redirect(request, "/")
    store_tokens(session, tokens)
    status, user = await users_me(request.app, tokens["access_token"])
    if status != 200:
        session["error"] = f"GET /api/v4/users/me failed (HTTP {status})"
        return redirect(request, "/")
    session["user"], session["refreshes"] = user, 0
    return redirect(request, "/")


async def refresh(request: web.Request) -> web.StreamResponse:
    session = browser_session(request)
    form = await request.post()
    tokens = session.get("tokens") or {}
    if not check_csrf(session, form) or not tokens.get("refresh_token"):
        return page(request, '<p class="error" id="error">Nothing to refresh.</p>', status=400)
    status, answer = await token_request(request.app, grant_type="refresh_token",
                                         refresh_token=tokens["refresh_token"])
    if status != 200:
        session["error"] = "Refresh failed: " + describe_error(status, answer)
        return redirect(request, "/")
    store_tokens(session, answer)
    status, user = await users_me(request.app, answer["access_token"])
    if status == 200:
        session["user"] = user
    session["refreshes"] = session.get("refreshes", 0) + 1
    return redirect(request, "/")


async def logout(request: web.Request) -> web.StreamResponse:
    """Forget the user here and revoke the token at Mattermost."""
    session = browser_session(request)
    form = await request.post()
    if not check_csrf(session, form):
        return page(request, '<p class="error" id="error">The form has expired.</p>', status=400)
    tokens = session.pop("tokens", None) or {}
    session.pop("user", None)
    if tokens.get("access_token"):
        async with request.app[HTTP].post(request.app[CONFIG]["mattermost_url"] + "/api/v4/users/logout",
                                          headers={"Authorization": f'Bearer {tokens["access_token"]}'}) as answer:
            if answer.status != 200:
                session["error"] = f"Logout at Mattermost answered HTTP {answer.status}"
    return redirect(request, "/")


# --- start-up --------------------------------------------------------------------------------------------------

def base_app(config: dict) -> web.Application:
    """An app with its configuration, its in-memory sessions and an HTTP client (examples/post_as_user.py too)."""
    app = web.Application()
    app[CONFIG] = config
    app[SESSIONS] = {}

    async def http_client(app: web.Application):
        app[HTTP] = ClientSession(timeout=ClientTimeout(total=15))
        yield
        await app[HTTP].close()

    app.cleanup_ctx.append(http_client)
    return app


def make_app(config: dict) -> web.Application:
    app = base_app(config)
    app.router.add_get("/", home)
    app.router.add_get("/login", login)
    app.router.add_get("/callback", callback)
    app.router.add_post("/refresh", refresh)
    app.router.add_post("/logout", logout)
    return app


def argument_parser(description: str = "An example third-party app that signs users in with Mattermost."
                    ) -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--mattermost-url", default=env("MATTERMOST_URL", "http://127.0.0.1:8065"),
                        help="the Mattermost (host) URL, as the browser reaches it [MATTERMOST_URL]")
    parser.add_argument("--client-id", default=env("OAUTH_CLIENT_ID", ""), help="Client ID [OAUTH_CLIENT_ID]")
    parser.add_argument("--client-secret", default=env("OAUTH_CLIENT_SECRET", ""),
                        help="Client Secret; empty for a public client [OAUTH_CLIENT_SECRET]")
    parser.add_argument("--listen", default=env("EXAMPLE_LISTEN", "127.0.0.1:8080"),
                        help="host:port this app listens on [EXAMPLE_LISTEN]")
    parser.add_argument("--public-url", default=env("EXAMPLE_PUBLIC_URL", ""),
                        help="this app's URL as the browser reaches it (default http://<listen>) [EXAMPLE_PUBLIC_URL]")
    return parser


def parse_args(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> dict:
    """The configuration from the command line (`parser`: argument_parser() with more arguments, which end up
    in the answer too)."""
    parser = parser or argument_parser()
    args = parser.parse_args(argv)
    if not args.client_id:
        parser.error("--client-id (or OAUTH_CLIENT_ID) is required: register the app first")
    host, _, port = args.listen.rpartition(":")
    if not port.isdigit():
        parser.error("--listen must be host:port")
    public = (args.public_url or f"http://{args.listen}").rstrip("/")
    return {**vars(args), "mattermost_url": args.mattermost_url.rstrip("/"), "client_id": args.client_id,
            "client_secret": args.client_secret, "host": host or "127.0.0.1", "port": int(port),
            "callback_url": public + "/callback", "public_url": public}


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    print(f"Example OAuth client on {config['public_url']}/ (callback {config['callback_url']}), "
          f"signing in with {config['mattermost_url']}", flush=True)
    web.run_app(make_app(config), host=config["host"], port=config["port"], print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())

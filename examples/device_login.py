#!/usr/bin/env python3
"""Sign in to Mattermost from the command line with the device authorization grant (RFC 8628).

The tool asks the server for a code, prints it with the page where you enter it (on a phone or any browser), and
waits, polling the token endpoint at the interval the server gives, with a countdown until the code expires. Once
you allow it, it calls /api/v4/users/me with its new access token and prints who signed in. Only the standard
library.

The server must have device sign-in on (System Console > Plugins > OAuth 2.0 provider > Enable device sign-in),
and the app must be allowed to use it (Integrations > OAuth 2.0 Applications > the app > Allow device sign-in).
Then:

    python examples/device_login.py --mattermost-url http://127.0.0.1:8065 --client-id <Client ID> \\
        [--client-secret <Client Secret>] [--scope users:read]

A public app has no secret. Every flag has an environment variable (MATTERMOST_URL, OAUTH_CLIENT_ID,
OAUTH_CLIENT_SECRET, OAUTH_SCOPE). Exit status: 0 signed in, 1 denied, expired or refused, 2 bad usage.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_SECONDS = 5  # RFC 8628 section 3.5


class Refused(Exception):
    """The server said no: its `error` and the text to show."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


def call(method: str, url: str, form: dict | None = None, token: str = "") -> dict:
    """One request; the JSON answer, or Refused with the server's error."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as failed:
        try:
            body = json.loads(failed.read() or b"{}")
        except ValueError:
            body = {}
        raise Refused(body.get("error", f"http_{failed.code}"),
                      body.get("error_description") or body.get("message") or failed.reason) from None


def countdown(seconds_left: float) -> str:
    minutes, seconds = divmod(max(0, int(seconds_left)), 60)
    return f"{minutes}:{seconds:02d}"


def sign_in(base_url: str, client_id: str, client_secret: str, scope: str, out=sys.stdout) -> dict:
    """The device flow from discovery to users/me; the user who signed in."""
    metadata = call("GET", base_url.rstrip("/") + "/.well-known/oauth-authorization-server")
    if "device_authorization_endpoint" not in metadata:
        raise Refused("unsupported", "This server does not offer device sign-in (ask an admin to turn it on).")
    credentials = {"client_id": client_id, **({"client_secret": client_secret} if client_secret else {})}
    device = call("POST", metadata["device_authorization_endpoint"], {**credentials, "scope": scope})
    print(f"To sign in, open {device['verification_uri']}", file=out)
    print(f"and enter the code {device['user_code']}", file=out)
    if device.get("verification_uri_complete"):
        print(f"(or open {device['verification_uri_complete']})", file=out)
    out.flush()

    interval = int(device.get("interval") or 5)
    deadline = time.monotonic() + int(device["expires_in"])
    poll = {**credentials, "grant_type": GRANT_TYPE, "device_code": device["device_code"]}
    while True:
        next_poll = time.monotonic() + interval
        while time.monotonic() < next_poll:
            print(f"\rWaiting for you to allow it... {countdown(deadline - time.monotonic())} left ",
                  end="", file=out, flush=True)
            time.sleep(min(1.0, max(0.0, next_poll - time.monotonic())))
        try:
            tokens = call("POST", metadata["token_endpoint"], poll)
            break
        except Refused as refused:
            if refused.error == "authorization_pending":
                continue
            if refused.error == "slow_down":
                interval += SLOW_DOWN_SECONDS
                continue
            print(file=out)
            raise
    print(file=out)
    return call("GET", base_url.rstrip("/") + "/api/v4/users/me", token=tokens["access_token"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mattermost-url", default=os.environ.get("MATTERMOST_URL", "http://127.0.0.1:8065"))
    parser.add_argument("--client-id", default=os.environ.get("OAUTH_CLIENT_ID", ""))
    parser.add_argument("--client-secret", default=os.environ.get("OAUTH_CLIENT_SECRET", ""))
    parser.add_argument("--scope", default=os.environ.get("OAUTH_SCOPE", "users:read"))
    args = parser.parse_args(argv)
    if not args.client_id:
        parser.error("--client-id (or OAUTH_CLIENT_ID) is required")
    try:
        user = sign_in(args.mattermost_url, args.client_id, args.client_secret, args.scope)
    except Refused as refused:
        reasons = {"access_denied": "You did not allow the sign-in.",
                   "expired_token": "The code expired before it was entered. Run the command again."}
        print(reasons.get(refused.error, f"Sign-in failed: {refused}"), file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as failed:
        print(f"Cannot reach {args.mattermost_url}: {failed}", file=sys.stderr)
        return 1
    print(f"Signed in as @{user.get('username', '')} ({user.get('email', '')}), user id {user.get('id', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

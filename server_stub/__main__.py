"""Command line of the host, in the spirit of mmctl:

    python -m server_stub serve [--listen HOST:PORT] [--data-dir DIR]
    python -m server_stub plugin status|enable|disable ID [--data-dir DIR]
    python -m server_stub user create --email E --username U --password P [--system-admin] [--data-dir DIR]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import sys

from .config import ConfigStore, edit_config_file
from .supervisor import PluginState


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=30)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self._path)


def local_request(data_dir: str, method: str, path: str):
    """Call a running host through its local-mode socket; None when no host is running there."""
    config = ConfigStore(data_dir).get()
    socket_path = config["ServiceSettings"]["LocalModeSocketLocation"]
    if not os.path.exists(socket_path):
        return None
    conn = _UnixHTTPConnection(socket_path)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    except (ConnectionRefusedError, FileNotFoundError):
        return None
    finally:
        conn.close()


def cmd_serve(args) -> int:
    from plugin.rpc import logs  # the host logs JSON lines like its plugins
    from plugin.rpc.goplugin import run_event_loop

    from .host import StartupError, serve

    logs.setup()
    try:
        run_event_loop(serve(args.data_dir, args.listen))
    except StartupError as exc:
        print(f"server_stub: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_plugin(args) -> int:
    if args.action == "status":
        answer = local_request(args.data_dir, "GET", "/api/v4/plugins/statuses")
        if answer is None:
            print("The server is not running: no plugin is running.")
            states = ConfigStore(args.data_dir).get()["PluginSettings"].get("PluginStates", {})
            for plugin_id, state in states.items():
                print(f"{plugin_id}: {'enabled' if state.get('Enable') else 'disabled'}, state 0 (not running)")
            return 0
        status, statuses = answer
        wanted = [s for s in statuses if not args.id or s["plugin_id"] == args.id]
        if args.id and not wanted:
            print(f"Plugin {args.id} is not installed.", file=sys.stderr)
            return 1
        for s in wanted:
            name = PluginState(s["state"]).name.lower().replace("_", " ")
            print(f"{s['plugin_id']} {s['version']}: state {s['state']} ({name})" + (f": {s['error']}" if s["error"] else ""))
        return 0
    enable = args.action == "enable"
    answer = local_request(args.data_dir, "POST", f"/api/v4/plugins/{args.id}/{args.action}")
    if answer is None:
        edit_config_file(args.data_dir, lambda c: c["PluginSettings"].setdefault("PluginStates", {})
                         .__setitem__(args.id, {"Enable": enable}))
        print(f"Plugin {args.id} {'enabled' if enable else 'disabled'} (takes effect when the server starts).")
        return 0
    status, body = answer
    if status != 200:
        print(body.get("message", body), file=sys.stderr)
        return 1
    print(f"Plugin {args.id} {'enabled' if enable else 'disabled'}.")
    return 0


def cmd_user(args) -> int:
    from .accounts import AccountError, PasswordRules, open_accounts

    config = ConfigStore(args.data_dir).get()
    accounts = open_accounts(config)
    roles = "system_admin system_user" if args.system_admin else "system_user"
    try:
        user = accounts.create_user(args.email, args.username, args.password, roles,
                                    rules=PasswordRules.from_config(config))
    except AccountError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    print(f"Created user {user.username} ({user.id}) with roles: {user.roles}")
    return 0


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # what the host and its plugins write is private: files 0600, directories 0700 (files.py)
    parser = argparse.ArgumentParser(prog="python -m server_stub", description="Mattermost host stand-in.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--listen", help="HOST:PORT (default 127.0.0.1:8065, or the config's ListenAddress)")
    serve.add_argument("--data-dir", default="./data")
    serve.set_defaults(func=cmd_serve)

    plugin = sub.add_parser("plugin", help="plugin status, enable, disable")
    plugin.add_argument("action", choices=["status", "enable", "disable"])
    plugin.add_argument("id", nargs="?", default="")
    plugin.add_argument("--data-dir", default="./data")
    plugin.set_defaults(func=cmd_plugin)

    user = sub.add_parser("user", help="user management")
    user.add_argument("action", choices=["create"])
    user.add_argument("--email", required=True)
    user.add_argument("--username", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--system-admin", action="store_true")
    user.add_argument("--data-dir", default="./data")
    user.set_defaults(func=cmd_user)

    args = parser.parse_args(argv)
    if args.command == "plugin" and args.action != "status" and not args.id:
        parser.error("plugin enable/disable needs a plugin ID")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

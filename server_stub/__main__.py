"""Command line of the host, in the spirit of mmctl:

    python -m server_stub serve [--listen HOST:PORT] [--data-dir DIR] [--log-format json|plain|auto]
    python -m server_stub plugin status|enable|disable ID [--data-dir DIR]
    python -m server_stub plugin add BUNDLE.tar.gz [--force] [--signature BUNDLE.tar.gz.sig] [--data-dir DIR]
    python -m server_stub plugin remove ID [--data-dir DIR]
    python -m server_stub user create --email E --username U --password P [--system-admin] [--data-dir DIR]
    python -m server_stub config get KEY [--data-dir DIR]
    python -m server_stub config set KEY VALUE... [--data-dir DIR]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import sys

from .config import ConfigStore, edit_config_file
from .supervisor import PluginState


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 30) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def multipart_form(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[str, bytes]:
    """(Content-Type, body) of a multipart/form-data request (RFC 7578)."""
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        safe = filename.replace('"', "").replace("\r", "").replace("\n", "")
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{safe}"\r\n'
                     f"Content-Type: application/gzip\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def local_request(data_dir: str, method: str, path: str, body=None, *, files: dict | None = None,
                  fields: dict | None = None, timeout: float = 30):
    """Call a running host through its local-mode socket (`body`: sent as JSON; `files` and `fields`: sent as a
    multipart form, files as name -> (filename, bytes)); None when no host is running there."""
    config = ConfigStore(data_dir).get()
    socket_path = config["ServiceSettings"]["LocalModeSocketLocation"]
    if not os.path.exists(socket_path):
        return None
    conn = _UnixHTTPConnection(socket_path, timeout)
    try:
        if files is not None:
            content_type, form = multipart_form(fields or {}, files)
            conn.request(method, path, body=form, headers={"Content-Type": content_type})
        elif body is None:
            conn.request(method, path)
        else:
            conn.request(method, path, body=json.dumps(body), headers={"Content-Type": "application/json"})
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

    logs.setup()  # JSON lines until the configuration is read; then LogSettings (server_stub/logs.py)
    try:
        run_event_loop(serve(args.data_dir, args.listen, args.log_format))
    except StartupError as exc:
        print(f"server_stub: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_plugin_add(args) -> int:
    """mmctl plugin add: upload a bundle to the running host (local mode)."""
    files = {}
    for field, path in (("plugin", args.id), ("signature", args.signature)):
        if not path:
            continue
        try:
            with open(path, "rb") as f:
                files[field] = (os.path.basename(path), f.read())
        except OSError as exc:
            print(f"Cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    answer = local_request(args.data_dir, "POST", "/api/v4/plugins", files=files,
                           fields={"force": "true" if args.force else "false"}, timeout=300)
    if answer is None:
        print("The server is not running: start it, then add the plugin.", file=sys.stderr)
        return 1
    status, body = answer
    if status != 201:
        message = body.get("message", body) if isinstance(body, dict) else body
        detail = body.get("detailed_error") if isinstance(body, dict) else ""
        print(f"{message}" + (f" ({detail})" if detail else ""), file=sys.stderr)
        if isinstance(body, dict) and body.get("id") == "app.plugin.upload_disabled.app_error":
            print("Allow uploads with: python -m server_stub config set PluginSettings.EnableUploads true",
                  file=sys.stderr)
        return 1
    print(f"Plugin {body['id']} {body.get('version', '')} installed (enable it with: plugin enable {body['id']}).")
    return 0


def cmd_plugin_remove(args) -> int:
    answer = local_request(args.data_dir, "DELETE", f"/api/v4/plugins/{args.id}", timeout=60)
    if answer is None:
        print("The server is not running: start it, then remove the plugin.", file=sys.stderr)
        return 1
    status, body = answer
    if status != 200:
        print(body.get("message", body) if isinstance(body, dict) else body, file=sys.stderr)
        return 1
    print(f"Plugin {args.id} removed.")
    return 0


def cmd_plugin(args) -> int:
    if args.action == "add":
        return cmd_plugin_add(args)
    if args.action == "remove":
        return cmd_plugin_remove(args)
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


def config_path(key: str) -> list[str]:
    """A setting's path from its dotted name (mmctl's): plugin ids may hold dots, so under PluginSettings.Plugins
    and PluginStates everything between the map and the last name is the plugin's id."""
    parts = key.split(".")
    if len(parts) > 4 and parts[0] == "PluginSettings" and parts[1] in ("Plugins", "PluginStates"):
        parts = parts[:2] + [".".join(parts[2:-1]), parts[-1]]
    if len(parts) < 2 or not all(parts):
        raise ValueError(f"{key!r} is not a setting's name (Section.Setting, e.g. ServiceSettings.SiteURL)")
    return parts


def _lookup(config: dict, path: list[str]):
    """(the stored key's spelling, its value) at `path`; a plugin's setting matches in any case."""
    node = config
    for index, name in enumerate(path):
        if not isinstance(node, dict):
            return name, None
        if index == len(path) - 1 and len(path) == 4 and path[1] == "Plugins":
            matches = [k for k in node if str(k).lower() == name.lower()]
            name = matches[-1] if matches else name.lower()  # plugin settings are kept lower-cased
        if name not in node:
            return name, None
        if index == len(path) - 1:
            return name, node[name]
        node = node[name]
    return path[-1], None


def _typed(current, values: list[str]):
    """The command line's words as the setting's JSON type (that of its current value; text when unknown)."""
    if isinstance(current, list):
        return values
    if len(values) != 1:
        raise ValueError("this setting takes one value")
    text = values[0]
    if isinstance(current, bool):
        if text.lower() not in ("true", "false"):
            raise ValueError("this setting is true or false")
        return text.lower() == "true"
    if isinstance(current, (int, float)):
        try:
            number = float(text)
        except ValueError:
            raise ValueError("this setting is a number") from None
        return int(number) if number.is_integer() and not isinstance(current, float) else number
    return text


def cmd_config(args) -> int:
    """mmctl config get/set: through the local-mode socket while the host runs (the change is in force, or refused
    with the reason, when this returns), else in config.json (in force when the server starts)."""
    try:
        path = config_path(args.key)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    answer = local_request(args.data_dir, "GET", "/api/v4/config")
    running = answer is not None
    if running:
        status, config = answer
        if status != 200:
            print(config.get("message", config), file=sys.stderr)
            return 1
    else:
        from .config_rules import sanitize

        config = sanitize(ConfigStore(args.data_dir).get())
    name, current = _lookup(config, path)
    if args.action == "get":
        if current is None and name not in _parent(config, path):
            print(f"{args.key} is not set.", file=sys.stderr)
            return 1
        print(json.dumps(current))
        return 0
    try:
        value = _typed(current, args.values)
    except ValueError as exc:
        print(f"{args.key}: {exc}", file=sys.stderr)
        return 1
    patch: dict = {}
    node = patch
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[name] = value
    if not running:
        def change(stored: dict) -> None:
            target = stored
            for part in path[:-1]:
                target = target.setdefault(part, {})
            target[name] = value
        edit_config_file(args.data_dir, change)
        print(f"{args.key} set (takes effect when the server starts).")
        return 0
    status, body = local_request(args.data_dir, "PUT", "/api/v4/config/patch", patch) or (503, {})
    if status != 200:
        print(body.get("message", body) if isinstance(body, dict) else body, file=sys.stderr)
        return 1
    print(f"{args.key} set.")
    return 0


def _parent(config: dict, path: list[str]) -> dict:
    node = config
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # what the host and its plugins write is private: files 0600, directories 0700 (files.py)
    parser = argparse.ArgumentParser(prog="python -m server_stub", description="Mattermost host stand-in.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--listen", help="HOST:PORT (default 127.0.0.1:8065, or the config's ListenAddress)")
    serve.add_argument("--data-dir", default="./data")
    serve.add_argument("--log-format", choices=["json", "plain", "auto"], default="",
                       help="console lines: JSON, plain, or plain on a terminal (default: LogSettings.ConsoleJson)")
    serve.set_defaults(func=cmd_serve)

    plugin = sub.add_parser("plugin", help="plugin status, enable, disable, add (a bundle), remove")
    plugin.add_argument("action", choices=["status", "enable", "disable", "add", "remove"])
    plugin.add_argument("id", nargs="?", default="", help="the plugin's id (add: the bundle's file)")
    plugin.add_argument("--force", action="store_true", help="add: replace the installed plugin of the same id")
    plugin.add_argument("--signature", help="add: the bundle's detached signature (PluginSettings.RequirePluginSignature)")
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

    config = sub.add_parser("config", help="read or change a setting (mmctl config get/set)")
    config.add_argument("action", choices=["get", "set"])
    config.add_argument("key", help="Section.Setting, e.g. PluginSettings.Plugins.oauth-provider.DataSource")
    config.add_argument("values", nargs="*", help="the value (several for a list, none for an empty list)")
    config.add_argument("--data-dir", default="./data")
    config.set_defaults(func=cmd_config)

    args = parser.parse_args(argv)
    if args.command == "plugin" and args.action != "status" and not args.id:
        parser.error(f"plugin {args.action} needs " + ("a bundle file" if args.action == "add" else "a plugin ID"))
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

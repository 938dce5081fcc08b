"""The host's log, as Mattermost's `LogSettings` configure it: a console (stderr) and optionally a file, each with
its level and JSON or plain lines. The plugins' lines (JSON on their stderr, plugin_process.py) go through the same
handlers, so they come out in the same format.

| Setting | Default | What |
|---|---|---|
| `EnableConsole`, `ConsoleLevel`, `ConsoleJson` | true, `INFO`, true | stderr: its level (DEBUG, INFO, WARN, ERROR) and format |
| `EnableColor` | false | plain console lines with the level in colour |
| `EnableFile`, `FileLevel`, `FileJson`, `FileLocation` | false, `INFO`, true, "" | a file: `FileLocation` is its directory (or the file itself when it ends in `.log`); "" is `logs/` in the data directory; the file is `mattermost.log` |
| `FileMaxSizeMB`, `FileMaxBackups` | 100, 10 | rotation: past the size the file becomes `mattermost.log.1` (and so on, the oldest dropped). Not LogSettings keys in Mattermost, whose file target (AdvancedLoggingJSON) calls them MaxSizeMB and MaxBackups |

`serve --log-format plain|json|auto` overrides ConsoleJson: `auto` (what `make run` passes) is plain lines when stderr
is a terminal and the setting otherwise. A change of LogSettings is in force at once.
"""
from __future__ import annotations

import datetime
import logging
import logging.handlers
import os
import sys

from plugin.rpc.logs import STANDARD_ATTRIBUTES, JsonLineFormatter

from . import files

LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING, "WARNING": logging.WARNING,
          "ERROR": logging.ERROR}
_NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn", logging.ERROR: "error",
          logging.CRITICAL: "error"}
_COLOURS = {"debug": "\x1b[36m", "info": "\x1b[32m", "warn": "\x1b[33m", "error": "\x1b[31m"}
LOG_FILE_NAME = "mattermost.log"
MB = 1024 * 1024


class PlainFormatter(logging.Formatter):
    """Mattermost's plain lines: `info  [2026-01-02 15:04:05.000 Z] message  key=value ...`."""

    def __init__(self, colour: bool = False) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        level = _NAMES.get(record.levelno, "info")
        stamp = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        shown = f"{_COLOURS[level]}{level:<5}\x1b[0m" if self.colour else f"{level:<5}"
        fields = " ".join([f"logger={record.name}"] + [f"{key}={_quoted(value)}" for key, value in vars(record).items()
                                                       if key not in STANDARD_ATTRIBUTES and not key.startswith("_")])
        line = f"{shown} [{stamp:%Y-%m-%d %H:%M:%S}.{stamp.microsecond // 1000:03d} Z] {record.getMessage()}  {fields}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _quoted(value) -> str:
    text = str(value)
    return f'"{text}"' if not text or any(c in text for c in ' "=\n') else text


def _level(settings: dict, key: str) -> int:
    return LEVELS.get(str(settings.get(key, "INFO")).upper(), logging.INFO)


def console_json(settings: dict, log_format: str | None, stream=None) -> bool:
    """Whether the console gets JSON lines: --log-format, else LogSettings.ConsoleJson (`auto`: plain on a
    terminal)."""
    if log_format == "json":
        return True
    if log_format == "plain":
        return False
    if log_format == "auto" and (stream or sys.stderr).isatty():
        return False
    return bool(settings.get("ConsoleJson", True))


def log_file_path(settings: dict, data_dir: str) -> str:
    location = str(settings.get("FileLocation") or "")
    if location.endswith(".log"):
        return os.path.abspath(location)
    return os.path.join(os.path.abspath(location or os.path.join(data_dir, "logs")), LOG_FILE_NAME)


def _formatter(json_lines: bool, colour: bool = False) -> logging.Formatter:
    return JsonLineFormatter() if json_lines else PlainFormatter(colour)


def handlers_for(settings: dict, data_dir: str, log_format: str | None = None) -> list[logging.Handler]:
    """The handlers LogSettings ask for."""
    handlers: list[logging.Handler] = []
    if settings.get("EnableConsole", True):
        console = logging.StreamHandler(sys.stderr)
        json_lines = console_json(settings, log_format)
        console.setFormatter(_formatter(json_lines, colour=bool(settings.get("EnableColor", False))))
        console.setLevel(_level(settings, "ConsoleLevel"))
        handlers.append(console)
    if settings.get("EnableFile", False):
        path = log_file_path(settings, data_dir)
        files.private_dir(os.path.dirname(path))
        files.private_file(path)
        size = settings.get("FileMaxSizeMB", 100)
        backups = settings.get("FileMaxBackups", 10)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=int(float(size) * MB) if isinstance(size, (int, float)) and size > 0 else 100 * MB,
            backupCount=int(backups) if isinstance(backups, int) and backups >= 0 else 10, encoding="utf-8")
        handler.setFormatter(_formatter(bool(settings.get("FileJson", True))))
        handler.setLevel(_level(settings, "FileLevel"))
        handlers.append(handler)
    return handlers


class HostLogs:
    """The root logger's handlers, following LogSettings (apply again after each change)."""

    def __init__(self, data_dir: str, log_format: str | None = None) -> None:
        self.data_dir, self.log_format = data_dir, log_format
        self._settings: dict | None = None

    def apply(self, config: dict) -> None:
        settings = dict(config.get("LogSettings") or {})
        if settings == self._settings:
            return
        try:
            new = handlers_for(settings, self.data_dir, self.log_format)
        except OSError as exc:  # an unwritable FileLocation: keep logging as before, and say why
            logging.getLogger("server_stub.logs").error("log settings not applied", extra={"error": str(exc)})
            return
        root = logging.getLogger()
        old, root.handlers[:] = list(root.handlers), new
        root.setLevel(min([h.level for h in new] or [logging.CRITICAL]))
        for handler in old:
            handler.close()
        self._settings = settings

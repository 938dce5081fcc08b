"""JSON log lines on stderr, in the shape go-plugin hosts parse (`@level`, `@message`, `@timestamp`)."""
from __future__ import annotations

import datetime
import json
import logging
import sys

_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error", "CRITICAL": "error"}
# Attributes every LogRecord has; anything else passed through `extra=` becomes a field of the line.
STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        line = {
            "@level": _LEVELS.get(record.levelname, "info"),
            "@message": record.getMessage(),
            "@timestamp": stamp.isoformat(timespec="microseconds"),
            "@module": record.name,
        }
        for key, value in vars(record).items():
            if key not in STANDARD_ATTRIBUTES and not key.startswith("_"):
                line[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


# LogSettings' level names (Mattermost's), as the host reads them.
HOST_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING, "WARNING": logging.WARNING,
               "ERROR": logging.ERROR}


def follow_host(server_config: dict) -> None:
    """Log no more than the host keeps: the most detailed level among its enabled outputs (LogSettings), so that
    lines it would drop are not even made (the host parses every line the plugin writes)."""
    settings = server_config.get("LogSettings") or {}
    outputs = (("EnableConsole", "ConsoleLevel", True), ("EnableFile", "FileLevel", False))
    levels = [HOST_LEVELS.get(str(settings.get(level, "INFO")).upper(), logging.INFO)
              for enabled, level, default in outputs if settings.get(enabled, default)]
    logging.getLogger().setLevel(min(levels) if levels else logging.WARNING)


def setup(level: int = logging.INFO) -> None:
    # The lines carry none of the caller's file, line, thread or process: do not collect them (the logging
    # HOWTO's "Optimization"; finding the caller walks the stack at every line, a tenth of a token request).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

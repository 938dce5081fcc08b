"""LogSettings: console level and format (JSON or Mattermost's plain lines), `--log-format auto` for terminals, and a
log file with rotation, private to the host's user."""
from __future__ import annotations

import io
import json
import logging
import re
import stat

import pytest

from server_stub import logs
from tests.conftest import PLUGIN_ID, HostProcess, free_port, wait_for
from tests.faults.flow import Client, OAuthHttp

PLAIN_LINE = re.compile(r"^(debug|info |warn |error) \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} Z\] (?P<message>.+?)  "
                        r"logger=(?P<logger>\S+)(?P<fields>.*)$")


def test_plain_console_lines_carry_the_host_and_the_plugin(tmp_path):
    host = HostProcess(tmp_path / "data", free_port())
    host.configure(lambda c: c["LogSettings"].update(ConsoleJson=False))
    host.start()
    try:
        wait_for(lambda: "activated" in host.log_path.read_text(), message="the plugin's activation line")
    finally:
        host.stop()
    lines = [PLAIN_LINE.match(line) for line in host.log_path.read_text().splitlines() if line[:1] in "diwe"]
    assert lines and all(lines), host.log_path.read_text()[:2000]
    started = next(m for m in lines if m["message"] == "server started")
    assert started["logger"] == "server_stub.host" and f"listen=127.0.0.1:{host.port}" in started["fields"]
    plugin = next(m for m in lines if m["message"] == "activated")
    assert f"plugin_id={PLUGIN_ID}" in plugin["fields"]  # the plugin's JSON line, re-told in the host's format
    assert not any(line.startswith("{") for line in host.log_path.read_text().splitlines())


def test_console_level_and_a_rotating_private_log_file_follow_the_settings(tmp_path):
    host = HostProcess(tmp_path / "data", free_port())
    host.configure(lambda c: c["LogSettings"].update(ConsoleLevel="ERROR", EnableFile=True, FileLevel="DEBUG",
                                                     FileMaxSizeMB=0.01, FileMaxBackups=2))
    host.start()
    try:
        log_file = host.data_dir / "logs" / "mattermost.log"
        wait_for(lambda: log_file.exists() and "server started" in log_file.read_text(), message="the log file")
        flow = OAuthHttp(Client(host.url))
        user = flow.account()
        for _ in range(12):  # traffic the plugin's audit trail logs at debug: enough to rotate 10 kB files
            flow.tokens(user)
        wait_for(lambda: (host.data_dir / "logs" / "mattermost.log.2").exists(), message="two rotated files")
    finally:
        host.stop()
    names = sorted(p.name for p in (host.data_dir / "logs").iterdir())
    assert names == ["mattermost.log", "mattermost.log.1", "mattermost.log.2"], names  # FileMaxBackups
    for path in (host.data_dir / "logs").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.stat().st_size <= 0.01 * 1024 * 1024 + 4096
        for line in path.read_text().splitlines():
            json.loads(line)  # FileJson
    assert stat.S_IMODE((host.data_dir / "logs").stat().st_mode) == 0o700
    console = [line for line in host.log_path.read_text().splitlines() if line.startswith("{")]
    assert all(json.loads(line)["@level"] == "error" for line in console), console[:5]  # ConsoleLevel ERROR


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("log_format, on_terminal, config_json, expected", [
    ("auto", True, True, False),   # make run on a terminal: readable lines
    ("auto", False, True, True),   # make run into a pipe or a file: JSON, as configured
    ("auto", False, False, False),
    ("json", True, False, True),
    ("plain", False, True, False),
    ("", True, True, True),        # no flag: LogSettings.ConsoleJson alone
])
def test_log_format_auto_is_plain_on_a_terminal_only(log_format, on_terminal, config_json, expected):
    stream = _Terminal() if on_terminal else io.StringIO()
    assert logs.console_json({"ConsoleJson": config_json}, log_format, stream) is expected


def test_plain_lines_quote_values_and_keep_tracebacks():
    record = logging.LogRecord("x.y", logging.WARNING, "", 0, "something odd", None, None)
    record.path, record.empty = "/a b", ""
    line = logs.PlainFormatter().format(record)
    match = PLAIN_LINE.match(line)
    assert match and match["message"] == "something odd" and 'path="/a b" empty=""' in match["fields"]
    assert logs.PlainFormatter(colour=True).format(record).startswith("\x1b[33mwarn")


@pytest.mark.parametrize("settings, expected", [
    ({}, logging.INFO),                                                        # the defaults: console at INFO
    ({"ConsoleLevel": "DEBUG"}, logging.DEBUG),
    ({"ConsoleLevel": "ERROR", "EnableFile": True, "FileLevel": "WARN"}, logging.WARNING),
    ({"ConsoleLevel": "ERROR", "EnableFile": False, "FileLevel": "DEBUG"}, logging.ERROR),  # a file not kept
    ({"EnableConsole": False, "EnableFile": True, "FileLevel": "debug"}, logging.DEBUG),
    ({"EnableConsole": False}, logging.WARNING),  # nothing kept: only what the host counts as the plugin's errors
    ({"ConsoleLevel": "LOUD"}, logging.INFO),
])
def test_the_plugin_logs_no_more_than_the_host_keeps(settings, expected):
    from plugin.rpc.logs import follow_host

    root = logging.getLogger()
    before = root.level
    try:
        follow_host({"LogSettings": settings})
        assert root.level == expected
    finally:
        root.setLevel(before)

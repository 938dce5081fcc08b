"""The host launches the real plugin from plugin.json and supervises it: activation with the configuration,
configuration changes, crash restarts, the failed state after repeated crashes, and graceful disable."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import PLUGIN_ID, ROOT, wait_for


def fast_health_checks(config: dict) -> None:
    config["PluginSettings"]["HealthCheckIntervalSeconds"] = 0.5


def messages(host, message: str, **fields) -> list[dict]:
    return [line for line in host.log_lines()
            if line.get("@message") == message and all(line.get(k) == v for k, v in fields.items())]


def test_host_launches_the_plugin_from_its_manifest_and_activates_it_with_the_configuration(make_host):
    host = make_host().start()
    status = host.status()
    assert status["state"] == 2 and status["version"] == "0.1.0" and status["error"] == ""
    # The plugin's own log line, forwarded from its stderr and tagged with its id, shows the configuration.
    activated = messages(host, "activated", plugin_id=PLUGIN_ID, source="plugin_stderr")
    assert activated and activated[0]["plugin_site_url"] == host.url  # an empty SiteURL means the listen address
    assert activated[0]["plugin_schema_version"] >= 1


def test_configuration_change_reaches_the_running_plugin_without_a_restart(make_host):
    host = make_host().start()
    pid = host.plugin_pid()
    host.configure(lambda c: c["ServiceSettings"].update(SiteURL="https://chat.example.com"))
    wait_for(lambda: messages(host, "configuration changed", plugin_site_url="https://chat.example.com"),
             message="OnConfigurationChange with the new SiteURL")
    assert host.plugin_pid() == pid
    assert host.status()["state"] == 2


def test_killed_plugin_is_noticed_and_restarted(make_host):
    host = make_host()
    host.data_dir.mkdir(parents=True)
    host.configure(fast_health_checks)
    host.start()
    first = host.plugin_pid()
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: messages(host, "health check failed", plugin_id=PLUGIN_ID), message="the failure noticed")
    host.wait_state(2)
    assert wait_for(lambda: (pid := host.plugin_pid()) != first and pid)


def test_three_crashes_within_the_window_leave_the_plugin_failed_to_stay_running(make_host):
    host = make_host()
    host.data_dir.mkdir(parents=True)
    host.configure(fast_health_checks)
    host.start()
    for _ in range(3):
        host.wait_state(2)
        os.kill(host.plugin_pid(), signal.SIGKILL)
        wait_for(lambda: host.status()["state"] != 2 or False, timeout=10, message="the crash noticed")
    status = host.wait_state(4)
    assert "exited unexpectedly" in status["error"]
    assert len(messages(host, "health check failed", plugin_id=PLUGIN_ID)) == 3
    # No further restarts: no plugin process, and the state stays 4.
    subprocess.run(["sleep", "1.5"])
    assert host.status()["state"] == 4
    assert subprocess.run(["pgrep", "-P", str(host.proc.pid)], capture_output=True).stdout == b""


def test_disable_deactivates_then_shuts_the_plugin_down_gracefully_and_enable_restarts_it(make_host):
    host = make_host().start()
    pid = host.plugin_pid()
    answer = host.local("POST", f"/api/v4/plugins/{PLUGIN_ID}/disable")
    assert answer == (200, {"status": "OK"})
    host.wait_state(0)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    # OnDeactivate ran, then Shutdown: the plugin left by itself, with no kill after the 2 s grace.
    assert messages(host, "deactivated", plugin_id=PLUGIN_ID)
    assert messages(host, "shutdown requested by the host", plugin_id=PLUGIN_ID)
    assert not messages(host, "plugin failed to exit gracefully")
    assert host.local("POST", f"/api/v4/plugins/{PLUGIN_ID}/enable") == (200, {"status": "OK"})
    host.wait_state(2)


def cli(*args: str, data_dir) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server_stub", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_command_line_reports_status_and_disables_and_enables_a_running_plugin(make_host):
    host = make_host().start()
    out = cli("plugin", "status", PLUGIN_ID, data_dir=host.data_dir)
    assert out.returncode == 0 and "state 2 (running)" in out.stdout
    assert cli("plugin", "disable", PLUGIN_ID, data_dir=host.data_dir).returncode == 0
    host.wait_state(0)
    assert cli("plugin", "enable", PLUGIN_ID, data_dir=host.data_dir).returncode == 0
    host.wait_state(2)
    assert cli("plugin", "status", "no.such.plugin", data_dir=host.data_dir).returncode == 1


def test_plugin_disabled_in_config_file_while_host_runs_is_stopped(make_host):
    host = make_host().start()
    host.configure(lambda c: c["PluginSettings"]["PluginStates"][PLUGIN_ID].update(Enable=False))
    host.wait_state(0)


def test_command_line_creates_users(tmp_path):
    data = tmp_path / "data"
    out = cli("user", "create", "--email", "admin@example.com", "--username", "admin", "--password", "Passw0rd!",
              "--system-admin", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert "system_admin" in out.stdout
    again = cli("user", "create", "--email", "admin@example.com", "--username", "admin", "--password", "x" * 8,
                data_dir=data)
    assert again.returncode == 1 and "already exists" in again.stderr
    bad = cli("user", "create", "--email", "nope", "--username", "someone", "--password", "x" * 8, data_dir=data)
    assert bad.returncode == 1 and "Invalid email" in bad.stderr


def test_two_hosts_run_side_by_side_with_their_own_data(make_host):
    first, second = make_host("one").start(), make_host("two").start()
    assert first.plugin_pid() != second.plugin_pid()
    assert first.status()["state"] == second.status()["state"] == 2
    assert (first.data_dir / "files" / "plugins" / PLUGIN_ID / "oauth.db").exists()
    assert (second.data_dir / "files" / "plugins" / PLUGIN_ID / "oauth.db").exists()

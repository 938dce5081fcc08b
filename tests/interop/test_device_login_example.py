"""examples/device_login.py, the command-line sign-in of the README, run as its own process against a launched host:
it prints the code and the page, counts down while it polls, and once the user allows it on the verification page
prints who signed in (users/me with its new token); a denial ends it with status 1."""
from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from tests.interop.device_flow import decide_on_page, device_app, device_host
from tests.interop.test_oauth_clients import Host

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "device_login.py"

pytest.importorskip("requests")


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    yield from device_host(tmp_path_factory)


def run_example(host: Host, app: dict, session: str, decision: str) -> tuple[int, str, str]:
    command = [sys.executable, str(EXAMPLE), "--mattermost-url", host.url, "--client-id", app["id"]]
    if app.get("client_secret"):
        command += ["--client-secret", app["client_secret"]]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        shown = [proc.stdout.readline() for _ in range(3)]
        assert shown[0].startswith(f"To sign in, open {host.url}/oauth/device"), (shown, proc.stderr.read())
        assert shown[1].startswith("and enter the code ")
        complete = shown[2].strip().removeprefix("(or open ").removesuffix(")")
        assert complete.endswith(shown[1].split()[-1])
        decide_on_page(host.url, session, complete, decision)
        proc.wait(timeout=60)
        # Through the same buffered reader as the lines above (communicate would skip what it holds already).
        rest, errors = proc.stdout.read(), proc.stderr.read()
    finally:
        proc.kill()
    return proc.returncode, "".join(shown) + rest, errors


def test_the_example_signs_a_user_in_and_prints_who(host):
    app = device_app(host, name="device_login.py")
    user_id, username, session = host.new_user()
    status, output, errors = run_example(host, app, session, "allow")
    assert status == 0, (output, errors)
    assert "Waiting for you to allow it..." in output and " left" in output  # the countdown
    assert output.rstrip().endswith(f"Signed in as @{username} ({username}@example.com), user id {user_id}")


def test_the_example_as_a_public_app(host):
    app = device_app(host, name="device_login.py", is_public=True)
    _, username, session = host.new_user()
    status, output, errors = run_example(host, app, session, "allow")
    assert status == 0 and f"Signed in as @{username}" in output, (output, errors)


def test_a_denial_ends_the_example_with_status_1(host):
    app = device_app(host, name="device_login.py")
    _, _, session = host.new_user()
    status, output, errors = run_example(host, app, session, "deny")
    assert status == 1 and "You did not allow the sign-in." in errors and "Signed in" not in output

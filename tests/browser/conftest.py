"""Browser tests: Playwright (sync API) driving Debian's chromium against a real host process and a real example
client app process (examples/oauth_client_app.py).

Chromium comes from apt (`make test` installs it when /usr/bin/chromium is missing, see
tests/browser/install-chromium.sh); Playwright's own browser downloads are never used. Without chromium (or
without the playwright package) these tests skip locally and FAIL in CI (CI=true).

Set BROWSER_SCREENSHOTS=<dir> to keep screenshots of the consent and integrations pages there.
"""
from __future__ import annotations

import importlib
import os
import pathlib
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import ROOT, HostProcess, free_port, wait_for

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EXAMPLE_APP = ROOT / "examples" / "oauth_client_app.py"
TIMEOUT_MS = 20_000


def _missing() -> str:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install chromium; `make test` does it)"
    try:
        importlib.import_module("playwright.sync_api")
    except ImportError:
        return "the playwright package is missing (pip install -e '.[dev]')"
    return ""


@pytest.fixture(scope="module")
def browser():
    problem = _missing()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_context(browser):
    """A fresh browser profile (no cookies) per call, closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("browser-host") / "data", free_port())
    process.start()
    yield process
    process.stop()


class ExampleApp:
    """An example app (examples/oauth_client_app.py, or `script`) as its own process. The browser reaches it as
    http://localhost:PORT (another site than the host's 127.0.0.1), so the two never share cookies."""

    def __init__(self, host_url: str, log_dir: pathlib.Path, name: str = "example",
                 script: pathlib.Path = EXAMPLE_APP, extra_args: tuple[str, ...] = ()) -> None:
        self.host_url = host_url
        self.script, self.extra_args = script, extra_args
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.callback_url = self.url + "/callback"
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, client_id: str, client_secret: str) -> "ExampleApp":
        self.stop()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(self.script), "--mattermost-url", self.host_url, "--client-id", client_id,
             f"--client-secret={client_secret}", "--listen", f"127.0.0.1:{self.port}", "--public-url", self.url,
             *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        wait_for(self._answers, message=f"the example app to answer (log: {self.log_path})")
        return self

    def _answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"the example app exited: {self.log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1) as reply:
                return reply.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture(scope="module")
def example_apps(host, tmp_path_factory):
    apps: list[ExampleApp] = []
    log_dir = tmp_path_factory.mktemp("example-apps")

    def make(name: str = "example", **kw) -> ExampleApp:
        app = ExampleApp(host.url, log_dir, f"{name}-{len(apps)}", **kw)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.stop()


@pytest.fixture(scope="session")
def screenshot_dir() -> pathlib.Path | None:
    value = os.environ.get("BROWSER_SCREENSHOTS", "")
    if not value:
        return None
    path = pathlib.Path(value)
    path.mkdir(parents=True, exist_ok=True)
    return path

"""Fixtures for the console's tests in a real browser: Debian's Chromium, driven by
Playwright, against the app served over HTTP on 127.0.0.1 from a thread.

One Chromium serves the whole run; each test gets its own server (on the test's
database, demo loaded, on both backends) and its own browser context, whose every
request and console message is recorded: `console_page.assert_clean()` checks that the
page asked nothing of any other host and logged no JavaScript error.
"""

import logging
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from server.console import DIST_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# The one failed request a page may log: the session probe of a page opened signed out.
SIGNED_OUT_PROBE = "/api/v1/auth/session"


# Werkzeug's development server, which serves the pages here, leaves an asset's file for
# the garbage collector when the browser drops the connection mid-download (a page that
# moves on before its last script arrived); the warning that raises in the server's
# thread says nothing about the page under test. Production runs behind gunicorn.
DROPPED_DOWNLOAD = "(?s)Exception ignored.*ResourceWarning. unclosed file"


def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(
                pytest.mark.filterwarnings(
                    f"ignore:{DROPPED_DOWNLOAD}:pytest.PytestUnraisableExceptionWarning"
                )
            )


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (never downloaded: Debian's package)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: ./run test installs Debian's chromium")
    if not (DIST_DIR / "index.html").is_file():
        pytest.fail("the console is not built: ./run test builds web/ before the tests")
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # only this run's pictures, no stale ones
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app, demo):
    """The app, demo district loaded, served over HTTP on a free port of 127.0.0.1."""
    requests_log = logging.getLogger("werkzeug")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)  # not a line per request in a failure's output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    requests_log.setLevel(level)


@dataclass
class ConsolePage:
    """A browser page on the console, with what it asked for and what it logged."""

    page: Page
    base: str
    backend: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path="/console/"):
        self.page.goto(self.base + path)
        return self.page

    def sign_in(self, username, password="demo-pass-2026"):
        """Sign in through the form, as a person would, from the console's start."""
        page = self.open()
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("button", name="退出登录").wait_for()
        return page

    def sign_out(self):
        self.page.get_by_role("button", name="退出登录").click()
        # Exactly 登录: "退出登录" holds it too, and would let a test go on signed in.
        self.page.get_by_role("button", name="登录", exact=True).wait_for()

    def screenshot(self, name):
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{self.backend}-{name}.png"
        # Transitions finished first: a tab's bar in place, a closed dialog's mask gone.
        self.page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    def assert_clean(self, expected=()):
        """No request to any host but the server; no JavaScript error in the console, but
        for the failed requests a test expects: `expected` holds (status, end of URL)."""
        server = urlsplit(self.base).netloc
        elsewhere = [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != server
        ]
        assert elsewhere == [], f"requests to other hosts: {elsewhere}"
        errors = [
            error
            for error in self.errors
            if not any(
                f"status of {status}" in error and error.endswith(f"{ending})")
                for status, ending in expected
            )
        ]
        assert errors == [], f"errors in the page's console: {errors}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so a failed test leaves a screenshot."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def console_page(request, browser: Browser, live_server, backend):
    """A fresh browser context (no cookies) on the console, recording its traffic."""
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    console = ConsolePage(page, live_server, backend)
    page.on("request", lambda request: console.requests.append(request.url))

    def on_console(message):
        if message.type != "error":
            return
        location = message.location.get("url", "")
        if "401" in message.text and location.endswith(SIGNED_OUT_PROBE):
            return  # signed out: the page asked who is signed in and heard "nobody"
        console.errors.append(f"{message.text} ({location})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
    yield console
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        console.screenshot(f"FAILED-{request.node.name}")
    context.close()


class PhonePage(ConsolePage):
    """A phone's browser on the app (/app/), with what it asked for and what it logged."""

    def open(self, path="/app/"):
        self.page.goto(self.base + path)
        return self.page

    def sign_in(self, username, password="demo-pass-2026"):
        """Sign in on the app's first screen (a device token, as phones do)."""
        page = self.open()
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("button", name="保存上报").wait_for()
        return page

    def screenshot(self, name):
        """What the phone's screen shows (fixed bars stay where the user sees them)."""
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{self.backend}-{name}.png"
        self.page.screenshot(path=str(path), animations="disabled")
        return path


# Where the phone stands: the centre of the demo grid worker's grid (中仓社区), as GPS
# gives it in the open.
PHONE_ACCURACY_M = 8


@pytest.fixture
def phone_page(request, browser: Browser, live_server, backend):
    """A fresh phone-sized browser context on the app, GPS granted and set, recording
    every request (its service worker's too) and every console error."""
    from server.demo import grid_centre
    from tests.helpers import GRID_OF_GRIDWORKER

    lat, lon = grid_centre(GRID_OF_GRIDWORKER)
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 360, "height": 780},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": lat, "longitude": lon, "accuracy": PHONE_ACCURACY_M},
        permissions=["geolocation"],
        service_workers="allow",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    phone = PhonePage(page, live_server, backend)
    context.on("request", lambda request: phone.requests.append(request.url))

    def on_console(message):
        if message.type == "error":
            phone.errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: phone.errors.append(f"uncaught: {error}"))
    yield phone
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed and not page.is_closed():
        phone.screenshot(f"FAILED-{request.node.name}")
    context.close()

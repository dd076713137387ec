"""Browser tests: the real app served over HTTP on 127.0.0.1, driven by Debian's Chromium.

The server runs in a thread of the test process with the session `app` (so its database is
the one the builder fixtures write to: a SQLite file, or PostgreSQL from DATABASE_URL). Each
request the server handles gets its own application context and database session; the test
thread keeps the one `_clean_state` pushed, so before reading what the browser changed call
`fresh()` to end the test thread's transaction (a SQLite WAL reader sees a snapshot).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
NARROW_PHONE = {"viewport": {"width": 360, "height": 780}, "is_mobile": True, "has_touch": True,
                "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
TIMEOUT_MS = 10_000


class QuietHandler(WSGIRequestHandler):
    """Log only server errors: a line per request and static file buries a failure's story."""

    def log_request(self, code="-", size="-") -> None:
        if str(code).startswith("5"):
            super().log_request(code, size)


class LiveServer:
    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True,
                                  request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="e2e-server",
                                       daemon=True)

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium package)")
    server = LiveServer(app)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


def _context(browser, live_server, options: dict):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm buttons ask first
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return context, page


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable]:
    """Open a page in a new browser context (own cookies): new_page("phone"|"narrow"|"desktop")."""
    contexts = []

    def open_page(kind: str = "phone"):
        options = {"phone": PHONE, "narrow": NARROW_PHONE, "desktop": DESKTOP}[kind]
        context, page = _context(browser, live_server, options)
        contexts.append(context)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def phone_page(new_page):
    return new_page("phone")


@pytest.fixture
def desktop_page(new_page):
    return new_page("desktop")


def shot(page, name: str) -> Path:
    """A full-page screenshot under tests/e2e/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")
    path = SCREENSHOTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, user, password: str = TEST_PASSWORD) -> None:
    """Sign in through the login form and wait for the role's home page."""
    page.goto("/login")
    page.fill("input[name=phone]", user.phone)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form:has(input[name=password]) button[type=submit]").click()
    assert "/login" not in page.url, page.content()[:2000]


def fresh() -> None:
    """End the test thread's transaction so it sees what the server committed since."""
    db.session.rollback()
    db.session.expire_all()


def no_sideways_scroll(page) -> tuple[int, int]:
    """(scrollWidth, viewport width): the page scrolls sideways when the first is larger.

    On a phone (is_mobile) Chromium zooms a too-wide page out, and then window.innerWidth
    grows with the content; the layout viewport (documentElement.clientWidth, which
    width=device-width fixes to the screen) does not, so take the smaller of the two.
    """
    return page.evaluate(
        """() => [document.documentElement.scrollWidth,
                  Math.min(window.innerWidth, document.documentElement.clientWidth)]""")


def overflowing_elements(page, limit: int = 5) -> list[str]:
    """Elements whose right edge passes the viewport: to say what made a page too wide."""
    return page.evaluate(
        """(limit) => {
          const out = [];
          const width = document.documentElement.clientWidth;
          for (const el of document.querySelectorAll('body *')) {
            const box = el.getBoundingClientRect();
            if (box.right > width + 1 && box.width > 0) {
              const cls = el.className && typeof el.className === 'string'
                ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
              out.push(`${el.tagName.toLowerCase()}${cls} right=${Math.round(box.right)}`);
              if (out.length >= limit) break;
            }
          }
          return out;
        }""",
        limit,
    )

"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live_server.

Every test module here marks its tests `browser` and `slow` and uses a transactional database
(`django_db(transaction=True)`): the live server answers from another thread, which sees only
committed rows. Transactional flushes also wipe the categories migration 0003 seeds, so tests create
what they need through tests/factories.py (whose CategoryFactory gets or creates by slug).

Every page these tests open reports what the content security policy refused (its
`securitypolicyviolation` events) to `page.policy_violations`, one list for all pages of a test,
and a test whose pages were refused anything fails, whatever else it checks.

Screenshots go to $SCREENSHOT_DIR (default var/screenshots); the folder is named once at the end of
the run, so CI's log says where to look.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import PASSWORD
from tests.helpers import require

# Playwright's sync API runs an asyncio event loop in the test's own thread (switching to it through
# greenlets), so Django sees a running loop and refuses ORM calls in the test body with
# SynchronousOnlyOperation, although nothing here is async. The live server runs in its own thread,
# without a loop. Set at import, before any browser starts, for the whole session.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# How long a page may take to answer or an element to appear, in milliseconds.
TIMEOUT_MS = 15_000

# Runs in every document before its own scripts; Playwright's binding is outside the page's policy.
REPORT_POLICY_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportPolicyViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "an inline source"} ` +
    `on ${document.location.pathname} (${event.sourceFile || "the page"}:${event.lineNumber})`
  );
});
"""
# Refused on purpose. Redoc's sidebar shows Redocly's badge from Redocly's CDN, with no option to
# leave it out (Redocly/redoc#2141): the policy keeps the request from leaving, which is the point.
EXPECTED_VIOLATION_SOURCES = ("https://cdn.redoc.ly/",)


def unexpected(messages: list[str]) -> list[str]:
    """Messages (violations, console errors) that name none of the expected refusals."""
    return [
        message
        for message in messages
        if not any(source in message for source in EXPECTED_VIOLATION_SOURCES)
    ]


_screenshots_taken: list[Path] = []


def screenshot_dir() -> Path:
    folder = Path(
        os.environ.get("SCREENSHOT_DIR") or Path(settings.BASE_DIR) / "var" / "screenshots"
    )
    return folder.resolve()


def pytest_terminal_summary(terminalreporter) -> None:
    if _screenshots_taken:
        terminalreporter.write_line(
            f"screenshots in {screenshot_dir()} ({len(_screenshots_taken)} taken)"
        )


@pytest.fixture(scope="session")
def browser() -> Iterator:
    require(CHROMIUM.exists(), f"browser tests need Debian's Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable]:
    """Open more pages (another person, a phone, no JavaScript): new_page(viewport=..., js=...)."""
    contexts = []
    violations: list[str] = []  # of every page opened, in the order they were reported

    def open_page(*, viewport: dict | None = None, js: bool = True):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport or DESKTOP, java_script_enabled=js
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        context.expose_function("reportPolicyViolation", lambda text: violations.append(text))
        context.add_init_script(REPORT_POLICY_VIOLATIONS)
        page = context.new_page()
        page.policy_violations = violations
        # A page that tries to open a dialog (alert, confirm) is recorded and the dialog dismissed.
        page.dialogs = []

        def on_dialog(dialog) -> None:
            page.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert unexpected(violations) == [], "the content security policy refused what a page needs"


@pytest.fixture
def page(new_page):
    return new_page()


def login(page, email: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("e-mail", re.I)).fill(email)
    page.get_by_label(re.compile("password", re.I)).fill(password)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{email} could not log in"


@pytest.fixture
def screenshot(request) -> Callable:
    """screenshot(page, "name"): a full-page PNG named after the test and `name`."""

    def take(page, name: str) -> Path:
        folder = screenshot_dir()
        folder.mkdir(parents=True, exist_ok=True)
        test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
        path = folder / f"{test}--{name}.png"
        page.screenshot(path=str(path), full_page=True)
        _screenshots_taken.append(path)
        return path

    return take

"""Test tooling: open a page in headless Chromium and say what a person would see go wrong.

Playwright drives Debian's chromium (`make browser` installs it) through `executable_path`, so no
browser is ever downloaded. Pages are the report (file://) or a site served on 127.0.0.1; any request
to another host is refused and reported, since neither page may need the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Request, Response, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = Path("/usr/bin/chromium")
# The machine has no network: without these Chromium's background services retry refused
# connections for the whole run and fill the log.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
)
# A server is asked for its favicon by the browser itself, not by the page.
IGNORED_ERRORS = (r"/favicon\.ico$",)
LOCAL_SCHEMES = {"file", "data", "about", "blob"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
VIEWPORT = {"width": 1280, "height": 900}

# Waits for every image to load or fail (at most 10 s), then lists them.
IMAGES_SCRIPT = """
async () => {
  const images = Array.from(document.images);
  const settle = Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done, {once: true});
    img.addEventListener('error', done, {once: true});
  })));
  await Promise.race([settle, new Promise(done => setTimeout(done, 10000))]);
  return images.map(img => ({src: (img.currentSrc || img.src).slice(0, 120), width: img.naturalWidth}));
}
"""


class BrowserError(RuntimeError):
    """Chromium is missing or could not be started."""


@dataclass(frozen=True)
class PageCheck:
    url: str
    console_errors: tuple[str, ...]
    outside_requests: tuple[str, ...]
    images_total: int
    images_broken: int
    title: str
    screenshot_path: Path | None

    @property
    def ok(self) -> bool:
        return not self.console_errors and not self.outside_requests and self.images_broken == 0


def is_local(url: str) -> bool:
    """True for file://, data: and about: URLs and for http(s) on the loopback address."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return parts.scheme in ("http", "https") and parts.hostname in LOCAL_HOSTS


def _watch(page: Page, errors: list[str], outside: list[str]) -> None:
    """Collect console errors, uncaught exceptions, failed loads and refused outside requests."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "assert"):
            errors.append(f"console: {message.text} {message.location.get('url', '')}".strip())

    def on_response(response: Response) -> None:
        if response.status >= 400:
            errors.append(f"HTTP {response.status}: {response.url}")

    def on_failed(request: Request) -> None:
        if is_local(request.url):  # refused outside requests are reported on their own
            errors.append(f"request failed ({request.failure}): {request.url}")

    def route(route: Route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("blockedbyclient")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"exception: {error}"))
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.route("**/*", route)


def check_page(
    url: str,
    screenshot_path: Path | None,
    chromium: Path = CHROMIUM,
    timeout: float = 60,
    ignore_errors: Sequence[str] = IGNORED_ERRORS,
    ready: Callable[[Page], None] | None = None,
    viewport: Mapping[str, int] = VIEWPORT,
) -> PageCheck:
    """Open `url`, wait until the network is idle, report errors and images, save a full-page screenshot.

    `ready`, when given, is called with the page after that and waits for what a script-driven page
    (e.g. a Streamlit app over its websocket) draws late; its failure is reported as an error.

    Images count as broken when they have no natural width once settled. Errors matching a regular
    expression of `ignore_errors` are dropped.
    """
    chromium = Path(chromium)
    if not chromium.exists():
        raise BrowserError(f"{chromium} not found (Debian: apt-get install chromium)")
    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=str(chromium), headless=True, args=list(CHROMIUM_ARGS)
            )
        except PlaywrightError as error:
            raise BrowserError(f"could not start {chromium}: {error}") from error
        try:
            page = browser.new_page(viewport=dict(viewport), device_scale_factor=1)
            page.set_default_timeout(timeout * 1000)
            _watch(page, errors, outside)
            try:
                page.goto(url, wait_until="networkidle")
            except PlaywrightError as error:
                errors.append(f"navigation: {error.message.splitlines()[0]} {url}")
            if ready is not None:
                try:
                    ready(page)
                except PlaywrightError as error:
                    errors.append(f"not ready: {error.message.splitlines()[0]} {url}")
            images = page.evaluate(IMAGES_SCRIPT)
            title = page.title()
            if screenshot_path is not None:
                Path(screenshot_path).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot_path), full_page=True)
        finally:
            browser.close()
    return PageCheck(
        url=url,
        console_errors=tuple(e for e in errors if not any(re.search(p, e) for p in ignore_errors)),
        outside_requests=tuple(outside),
        images_total=len(images),
        images_broken=sum(1 for image in images if not image["width"]),
        title=title,
        screenshot_path=Path(screenshot_path) if screenshot_path is not None else None,
    )

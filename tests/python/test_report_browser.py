"""The report opened in a real headless browser (Debian's chromium), driven by `browser.check_page`.

Skipped when /usr/bin/chromium is absent (the project setup installs it: apt-get install chromium).
Every page here is local: a file:// URL, or a server of this test bound to 127.0.0.1.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from segmentation import report
from tests.python import browser
from tests.python.test_report import PNG_MAGIC, create_report_warehouse, make_prediction_metrics

SCREENSHOT_FILE = "segment_report_screenshot.png"
ONE_PIXEL_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPj/HwADAgH/eL9GtQAAAABJRU5ErkJggg=="
)

pytestmark = pytest.mark.skipif(
    not browser.CHROMIUM.exists(),
    reason=f"{browser.CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) "
    "to run the browser checks",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> report.ReportResult:
    folder = tmp_path_factory.mktemp("browser")
    warehouse = create_report_warehouse(
        folder / "warehouse.duckdb", prediction_metrics=make_prediction_metrics()
    )
    return report.build_report(warehouse, folder / "reports")


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static file server on 127.0.0.1 (as for the dbt docs site), serving a fresh folder."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_report_renders_every_chart_without_console_errors(built):
    screenshot = built.html_path.parent / SCREENSHOT_FILE  # next to the report
    check = browser.check_page(built.html_path.resolve().as_uri(), screenshot)
    assert check.console_errors == ()
    assert check.images_total == len(built.charts) == 9
    assert check.images_broken == 0
    assert check.ok
    assert check.title == "Customer segment report"
    data = screenshot.read_bytes()
    assert data.startswith(PNG_MAGIC)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == 1280
    assert height > 2_000  # the whole page, not just the first screen


def test_check_page_reports_broken_images_and_console_errors(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>broken</title></head><body>"
        f'<img src="data:image/png;base64,{ONE_PIXEL_PNG}" alt="ok">'
        '<img src="data:image/png;base64,bm90IGEgcG5n" alt="not a png">'
        '<img src="missing.png" alt="missing file">'
        "<script>console.error('something went wrong'); undefinedFunction();</script>"
        "</body></html>",
        encoding="utf-8",
    )
    check = browser.check_page(page.resolve().as_uri(), None)
    assert (check.images_total, check.images_broken) == (3, 2)
    assert not check.ok
    errors = "\n".join(check.console_errors)
    assert "something went wrong" in errors
    assert "undefinedFunction" in errors
    assert "missing.png" in errors  # the failed file load is logged too
    assert check.screenshot_path is None


def test_check_page_works_on_a_site_served_on_localhost(built, local_server):
    """The same check the dbt docs site (target/index.html over http.server) will get."""
    base_url, folder = local_server
    (folder / "index.html").write_text(built.html_path.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "gone.html").write_text('<html><body><img src="/nowhere.png"></body></html>', encoding="utf-8")
    good = browser.check_page(f"{base_url}/index.html", folder / "index.png")
    assert good.ok, good.console_errors
    assert good.images_total == len(built.charts)
    assert (folder / "index.png").read_bytes().startswith(PNG_MAGIC)
    bad = browser.check_page(f"{base_url}/gone.html", None)
    assert bad.images_broken == 1
    assert any("404" in error for error in bad.console_errors)


def test_a_request_to_another_host_is_refused_and_reported(tmp_path):
    page = tmp_path / "outside.html"
    page.write_text(
        '<html><head><title>outside</title></head><body><img src="https://example.com/x.png"></body></html>',
        encoding="utf-8",
    )
    check = browser.check_page(page.resolve().as_uri(), None)
    assert check.outside_requests == ("https://example.com/x.png",)
    assert check.images_broken == 1
    assert not check.ok


def test_only_loopback_and_local_schemes_count_as_local():
    assert browser.is_local("file:///tmp/report.html")
    assert browser.is_local("data:image/png;base64,AAAA")
    assert browser.is_local("http://127.0.0.1:8080/index.html")
    assert browser.is_local("http://localhost/")
    assert not browser.is_local("https://example.com/")
    assert not browser.is_local("http://127.0.0.1.example.com/")
    assert not browser.is_local("http://10.0.0.1/")

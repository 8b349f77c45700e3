"""`dbt docs generate` works, every model and built column is documented, and the site renders."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from segmentation import synthetic
from tests.python import browser
from tests.python.conftest import run_dbt

pytestmark = pytest.mark.integration

# dbt's own docs page requests a few URLs before its Angular templates render (icons named
# "{{ getIcon(...) }}", a webpack favicon path): harmless 404s of dbt's bundle, not of this project.
DBT_DOCS_KNOWN_ERRORS = (*browser.IGNORED_ERRORS, r"%7B%7B", r"require\('./assets/favicons", r"favicon")


@pytest.fixture(scope="module")
def docs_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    raw = synthetic.write_transactions(
        synthetic.generate_transactions(synthetic.SyntheticConfig(n_customers=300, seed=3)),
        folder / "log.parquet",
    )
    warehouse = folder / "warehouse.duckdb"
    for command in (["build"], ["docs", "generate", "--static"]):
        result = run_dbt(command, raw, warehouse)
        assert result.returncode == 0, result.output[-4000:]
    return folder / "target"


def test_every_model_and_column_is_documented(docs_target: Path) -> None:
    manifest = json.loads((docs_target / "manifest.json").read_text())
    catalog = json.loads((docs_target / "catalog.json").read_text())

    undocumented: list[str] = []
    models = {key: node for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    assert len(models) >= 20
    for key, node in models.items():
        if not node["description"].strip():
            undocumented.append(node["name"])
        for column in catalog["nodes"][key]["columns"]:
            documented = node["columns"].get(column) or node["columns"].get(column.lower())
            if documented is None or not documented["description"].strip():
                undocumented.append(f"{node['name']}.{column}")
    assert not undocumented, f"undocumented: {undocumented}"


def test_exposures_depend_only_on_contracted_sql_marts(docs_target: Path) -> None:
    manifest = json.loads((docs_target / "manifest.json").read_text())
    exposures = manifest["exposures"].values()
    assert {exposure["type"] for exposure in exposures} >= {"analysis", "dashboard"}
    for exposure in exposures:
        for parent in exposure["depends_on"]["nodes"]:
            node = manifest["nodes"][parent]
            assert node["language"] == "sql", f"{exposure['name']} depends on Python model {parent}"
            assert node["config"]["contract"]["enforced"], f"{parent} has no enforced contract"


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 like `dbt docs serve` (the site refuses to run from file://)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_docs_site_renders_in_a_browser(docs_target: Path) -> None:
    if not browser.CHROMIUM.exists():
        pytest.skip(f"{browser.CHROMIUM} is absent: `make browser` installs Debian's chromium")
    with served(docs_target) as base_url:
        check = browser.check_page(
            f"{base_url}/index.html",
            docs_target / "docs_screenshot.png",
            ignore_errors=DBT_DOCS_KNOWN_ERRORS,
        )
    assert not check.console_errors, check.console_errors
    assert check.outside_requests == ()
    assert check.images_broken == 0
    assert (docs_target / "docs_screenshot.png").stat().st_size > 10_000

"""The dashboard, the semantic layer and the publication on one build of the synthetic default.

One dbt build (module fixture) serves every test: `mf validate-configs` and `mf query` against SQL
over the marts, the dashboard's figures against SQL, the Streamlit app through AppTest, the page in
Debian's Chromium, a build while the dashboard is open and being read, and a build that fails its
tests publishing nothing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from playwright.sync_api import Page
from streamlit.testing.v1 import AppTest

from segmentation import pipeline, publish, synthetic
from segmentation.dashboard import data
from tests.python import browser
from tests.python.conftest import PROJECT_DIR, dbt_invocation, land_beside

pytestmark = pytest.mark.integration

APP = PROJECT_DIR / "segmentation" / "dashboard" / "app.py"
MF = Path(sys.executable).parent / "mf"
STREAMLIT = Path(sys.executable).parent / "streamlit"
SCREENSHOT_DIR = PROJECT_DIR / "reports" / "dashboard"
# What `mf` needs from the project (it reads target/semantic_manifest.json under the project folder).
MF_PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds")
APP_TIMEOUT_SECONDS = 120
SERVER_START_SECONDS = 60
# Charts on the page without a segment history: sizes, R/F/M, monthly, quarantine, models.
CHARTS_WITHOUT_HISTORY = 5
REL_TOL = 1e-9
ERROR_ELEMENTS = (
    '[data-testid="stException"], [data-testid="stAlertContainer"] [data-testid="stAlertContentError"]'
)


@dataclass(frozen=True)
class Built:
    warehouse: Path
    landed: Path
    publication_dir: Path
    first: publish.Publication
    mf_project: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    defaults = synthetic.SyntheticConfig()
    raw = pipeline.ensure_default_input(pipeline.DEFAULT_INPUT, defaults.n_customers, defaults.seed)
    root = tmp_path_factory.mktemp("dashboard")
    warehouse = root / "warehouse.duckdb"
    landed = land_beside(raw, warehouse)
    invocation = dbt_invocation(["build"], landed, warehouse)
    run, first = pipeline.build_and_publish(invocation, warehouse, root / "published")
    assert first is not None, f"dbt build failed:\n{run.output[-6000:]}"
    mf_project = root / "mf_project"
    (mf_project / "target").mkdir(parents=True)
    for name in MF_PROJECT_FILES:
        (mf_project / name).symlink_to(PROJECT_DIR / name)
    shutil.copy(root / "target" / "semantic_manifest.json", mf_project / "target")
    return Built(warehouse, landed, root / "published", first, mf_project, invocation.env)


def sql(built: Built, query: str) -> pd.DataFrame:
    """A query over the published marts (what the dashboard reads)."""
    with publish.connect(built.publication_dir) as con:
        return con.execute(query).df()


# --------------------------------------------------------------------------------------------------
# The semantic layer


def run_mf(built: Built, *args: str) -> str:
    result = subprocess.run(
        [str(MF), *args], cwd=built.mf_project, env=built.env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def mf_query(built: Built, metrics: str, group_by: str, name: str) -> pd.DataFrame:
    out = built.mf_project / f"{name}.csv"
    run_mf(built, "query", "--metrics", metrics, "--group-by", group_by, "--csv", str(out))
    return pd.read_csv(out)


def assert_frames_close(left: pd.DataFrame, right: pd.DataFrame, key: str) -> None:
    left = left.sort_values(key, ignore_index=True).fillna(0)
    right = right.sort_values(key, ignore_index=True).fillna(0)
    pd.testing.assert_frame_equal(left, right[left.columns], check_dtype=False, rtol=REL_TOL)


def test_mf_validate_configs_finds_no_errors(built: Built) -> None:
    out = run_mf(built, "validate-configs")
    assert "Successfully validated metrics against data warehouse" in out
    assert "ERRORS: 0" in out


def test_monthly_metrics_agree_with_sql_over_monthly_sales(built: Built) -> None:
    metrics = ",".join(
        [
            "revenue",
            "net_revenue",
            "purchases",
            "customers",
            "average_order_value",
            "guest_share",
            "cancellations",
            "cancelled_value",
        ]
    )
    mf = mf_query(built, metrics, "metric_time__month", "monthly")
    mf["metric_time__month"] = pd.to_datetime(mf["metric_time__month"])
    expected = sql(
        built,
        """
        select
            cast(sales_month as timestamp) as metric_time__month,
            purchase_value::double as revenue,
            (purchase_value - cancelled_value)::double as net_revenue,
            purchase_invoices as purchases,
            active_customers as customers,
            purchase_value::double / nullif(purchase_invoices, 0) as average_order_value,
            guest_purchase_value::double / nullif(purchase_value, 0) as guest_share,
            cancellation_lines as cancellations,
            cancelled_value::double as cancelled_value
        from monthly_sales
        """,
    )
    assert len(mf) == len(expected) > 1
    assert_frames_close(mf, expected, "metric_time__month")


def test_segment_metrics_agree_with_sql_over_the_invoice_and_customer_marts(built: Built) -> None:
    mf = mf_query(built, "revenue,revenue_share,customers", "customer__segment_name", "segments")
    expected = sql(
        built,
        """
        select
            customers_segmented.segment_name as customer__segment_name,
            sum(purchase_invoices.invoice_value)::double as revenue,
            sum(purchase_invoices.revenue_share) as revenue_share,
            count(distinct purchase_invoices.customer_id) as customers
        from purchase_invoices
        left join customers_segmented on purchase_invoices.customer_id = customers_segmented.customer_id
        group by all
        """,
    )
    # Guests have no segment: MetricFlow and SQL both give them a null group.
    mf["customer__segment_name"] = mf["customer__segment_name"].fillna("(guest)")
    expected["customer__segment_name"] = expected["customer__segment_name"].fillna("(guest)")
    assert_frames_close(mf, expected, "customer__segment_name")
    assert mf["revenue_share"].sum() == pytest.approx(1)


def test_new_customers_by_cohort_agree_with_sql(built: Built) -> None:
    mf = mf_query(built, "new_customers", "customer__first_purchase_date__month", "cohorts")
    key = "customer__first_purchase_date__month"
    mf[key] = pd.to_datetime(mf[key])
    expected = sql(
        built,
        f"""
        select cast(date_trunc('month', first_purchase_date) as timestamp) as {key}, count(*) as new_customers
        from customers_segmented
        group by all
        """,
    )
    assert_frames_close(mf, expected, key)


# --------------------------------------------------------------------------------------------------
# The dashboard's figures and the app


def test_dashboard_figures_agree_with_the_marts(built: Built) -> None:
    current = data.load(built.publication_dir)
    everything = data.Filters()
    sizes = data.segment_sizes(data.filter_customers(current.customers, everything), current.profiles)
    profiles = sql(built, "select * from segment_profiles order by segment_id")
    assert sizes["customer_count"].tolist() == profiles["customer_count"].tolist()
    assert sizes["customer_share"].to_numpy() == pytest.approx(
        profiles["customer_share"].to_numpy(), abs=1e-9
    )
    assert sizes["value_share"].to_numpy() == pytest.approx(profiles["revenue_share"].to_numpy(), abs=1e-6)
    assert sizes["recommended_action"].tolist() == profiles["recommended_action"].tolist()

    monthly = data.monthly_revenue(data.filter_invoices(current, everything))
    expected = sql(
        built,
        "select purchase_value::double as revenue from monthly_sales where purchase_invoices > 0"
        " order by sales_month",
    )
    assert monthly["revenue"].to_numpy() == pytest.approx(expected["revenue"].to_numpy(), rel=REL_TOL)

    outcomes = data.line_outcomes(current.outcomes)
    raw_lines = sql(built, "select sum(line_count) as lines from transaction_line_outcomes")["lines"].iloc[0]
    assert outcomes["lines"].sum() == raw_lines

    figures = data.headline(current.customers, current.invoices)
    totals = sql(
        built,
        "select (select count(*) from customers) as customers, sum(invoice_value)::double as revenue,"
        " count(*) as invoices from purchase_invoices",
    ).iloc[0]
    assert figures["customers"] == totals["customers"]
    assert figures["invoices"] == totals["invoices"]
    assert figures["revenue"] == pytest.approx(totals["revenue"], rel=REL_TOL)


@pytest.fixture(scope="module")
def app(built: Built) -> Iterator[AppTest]:
    previous = os.environ.get(data.PUBLICATION_DIR_ENV)
    os.environ[data.PUBLICATION_DIR_ENV] = str(built.publication_dir)
    try:
        yield AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT_SECONDS).run()
    finally:
        if previous is None:
            os.environ.pop(data.PUBLICATION_DIR_ENV, None)
        else:
            os.environ[data.PUBLICATION_DIR_ENV] = previous


def metric_values(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def test_app_runs_and_its_headline_numbers_are_the_marts(app: AppTest, built: Built) -> None:
    assert not app.exception
    assert not app.error
    totals = sql(
        built,
        "select (select count(*) from customers_segmented) as customers,"
        " (select sum(monetary)::double from customers_segmented) as value,"
        " count(*) as invoices, sum(invoice_value)::double as revenue from purchase_invoices",
    ).iloc[0]
    shown = metric_values(app)
    assert shown["Customers"] == f"{int(totals['customers']):,}"
    # No currency var: the UCI files' pounds.
    assert shown["Customers' purchase value (GBP)"] == f"{totals['value']:,.0f}"
    assert shown["Purchase invoices"] == f"{int(totals['invoices']):,}"
    assert built.first.version in app.caption[0].value
    assert [subheader.value for subheader in app.subheader][:2] == [
        "Segment sizes, value shares and actions",
        "Customers in R/F/M space",
    ]


def shown_text(app: AppTest) -> str:
    """The page's words a reader sees: metric labels, captions, subheaders and every chart's spec."""
    charts = [element.proto.spec for element in app.get("vega_lite_chart")]
    assert charts, "the page draws no chart"
    parts = [metric.label for metric in app.metric] + [caption.value for caption in app.caption]
    return "\n".join([*parts, *(subheader.value for subheader in app.subheader), *charts])


def test_a_dollar_build_is_labelled_in_dollars(built: Built, tmp_path: Path) -> None:
    """The same publication with the currency a `--vars '{currency: USD}'` build records in it."""
    dollars = shutil.copytree(built.publication_dir, tmp_path / "published")
    with duckdb.connect(str(publish.current_path(dollars))) as con:
        con.execute("update data_coverage set currency = 'USD'")
    previous = os.environ.get(data.PUBLICATION_DIR_ENV)
    os.environ[data.PUBLICATION_DIR_ENV] = str(dollars)
    try:
        app = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT_SECONDS).run()
        app.text_input(key="customer_id").input(str(sql(built, PREDICTED_CUSTOMER).iloc[0, 0])).run()
    finally:
        if previous is None:
            os.environ.pop(data.PUBLICATION_DIR_ENV, None)
        else:
            os.environ[data.PUBLICATION_DIR_ENV] = previous
    assert not app.exception
    text = shown_text(app)
    assert "(USD" in text and "amounts in USD" in text
    assert "Predicted next-year value (USD)" in text
    assert "GBP" not in text and "£" not in text


def test_app_filters_by_segment_and_country(app: AppTest, built: Built) -> None:
    profiles = sql(built, "select segment_name, customer_count from segment_profiles order by segment_id")
    segment, count = profiles.iloc[0]
    app.multiselect(key="segments").set_value([segment]).run()
    assert metric_values(app)["Customers"] == f"{int(count):,}"
    country, in_segment_and_country = sql(
        built,
        f"select main_country, count(*) from customers_segmented where segment_name = '{segment}'"
        " group by all order by 2 desc limit 1",
    ).iloc[0]
    app.multiselect(key="countries").set_value([country]).run()
    assert metric_values(app)["Customers"] == f"{int(in_segment_and_country):,}"
    app.multiselect(key="segments").set_value([]).run()
    app.multiselect(key="countries").set_value([]).run()
    assert not app.exception


def test_model_comparison_follows_the_chosen_target_and_metric(app: AppTest, built: Built) -> None:
    target, metric = sql(
        built,
        "select target, metric from new_customer_model_metrics where not is_baseline"
        " order by target desc limit 1",
    ).iloc[0]
    app.selectbox(key="model_target").set_value(target).run()
    app.selectbox(key="model_metric").set_value(metric).run()
    assert not app.exception
    assert app.selectbox(key="model_metric").value == metric


# A customer with a next-year prediction, so that the lookup shows a predicted value.
PREDICTED_CUSTOMER = (
    "select customer_id from customer_predictions inner join customers_segmented using (customer_id)"
    " order by customer_id limit 1"
)


def test_customer_lookup_shows_features_segments_and_prediction(app: AppTest, built: Built) -> None:
    predicted = sql(
        built,
        "select customers_segmented.customer_id, segment_name, rfm_segment, predicted_purchase_value"
        " from customer_predictions inner join customers_segmented using (customer_id) limit 1",
    ).iloc[0]
    app.text_input(key="customer_id").input(f" {predicted['customer_id']} ").run()
    shown = metric_values(app)
    assert shown["Segment (KMeans)"] == predicted["segment_name"]
    assert shown["RFM segment"].startswith(predicted["rfm_segment"])
    assert shown["Predicted next-year value (GBP)"] == f"{predicted['predicted_purchase_value']:,.2f}"
    assert len(app.dataframe) >= 2

    veteran = sql(
        built,
        "select customer_id from customers_segmented where customer_id not in"
        " (select customer_id from customer_predictions) limit 1",
    ).iloc[0, 0]
    app.text_input(key="customer_id").input(veteran).run()
    assert metric_values(app)["Prediction"] == "none: a full year of history"

    app.text_input(key="customer_id").input("no-such-customer").run()
    assert "No customer 'no-such-customer'" in app.warning[0].value
    app.text_input(key="customer_id").input("").run()


# --------------------------------------------------------------------------------------------------
# The page in a browser, and builds while it is open


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(built: Built) -> Iterator[str]:
    """`make dashboard`'s command on a free port, on the test publication."""
    port = free_port()
    env = {**os.environ, data.PUBLICATION_DIR_ENV: str(built.publication_dir)}
    process = subprocess.Popen(
        [str(STREAMLIT), "run", str(APP), "--server.port", str(port)],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the dashboard server did not start")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def charts_drawn(found: dict[str, object]) -> Callable[[Page], None]:
    """Wait for the app to finish its run and draw every chart; count charts and error elements."""

    def ready(page: Page) -> None:
        page.wait_for_function(
            "n => document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= n",
            arg=CHARTS_WITHOUT_HISTORY,
        )
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
        found["charts"] = page.locator(".vega-embed").count()
        found["errors"] = page.locator(ERROR_ELEMENTS).count()
        found["caption"] = page.locator('[data-testid="stCaptionContainer"]').first.inner_text()

    return ready


@pytest.mark.skipif(not browser.CHROMIUM.exists(), reason=f"{browser.CHROMIUM} is absent (make browser)")
def test_page_draws_every_chart_with_no_error_and_no_outside_request(served: str) -> None:
    found: dict[str, object] = {}
    screenshot = SCREENSHOT_DIR / "dashboard.png"
    check = browser.check_page(
        served, screenshot, ready=charts_drawn(found), viewport={"width": 1400, "height": 4200}
    )
    assert check.ok, (check.console_errors, check.outside_requests)
    assert found["charts"] >= CHARTS_WITHOUT_HISTORY
    assert found["errors"] == 0
    assert screenshot.stat().st_size > 0


def test_a_build_with_the_dashboard_open_succeeds_and_readers_see_only_complete_publications(
    built: Built, served: str
) -> None:
    """dbt rebuilds the marts while the page is open and a reader keeps querying the publication."""
    expected_tables = set(built.first.tables)
    seen: list[str] = []
    problems: list[str] = []
    done = threading.Event()

    def poll() -> None:
        # One connection held open on the old publication for the whole build, like an idle dashboard.
        with publish.connect(built.publication_dir) as held:
            while not done.is_set():
                with publish.connect(built.publication_dir) as con:
                    tables = {row[0] for row in con.execute("show tables").fetchall()}
                    version = con.execute(f"select version from {publish.MANIFEST_TABLE}").fetchone()[0]
                    con.execute("select count(*) from customers_segmented").fetchone()
                if not expected_tables <= tables:
                    problems.append(f"{version} lacks {expected_tables - tables}")
                seen.append(version)
            held.execute("select count(*) from segment_profiles").fetchone()

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            invocation = dbt_invocation(["build", "--select", "marts"], built.landed, built.warehouse)
            build = pool.submit(
                pipeline.build_and_publish, invocation, built.warehouse, built.publication_dir
            )
            page = browser.check_page(served, None, ready=charts_drawn({}))
            run, second = build.result()
    finally:
        done.set()
        reader.join()
    assert run.succeeded, run.output[-4000:]
    assert pipeline.LOCK_ERROR_MARKER not in run.output
    assert second is not None and second.version != built.first.version
    assert page.ok, page.console_errors
    assert not problems
    assert set(seen) <= {built.first.version, second.version}
    assert seen[0] == built.first.version
    # The page, opened again after the build, shows the new publication.
    after: dict[str, object] = {}
    assert browser.check_page(served, None, ready=charts_drawn(after)).ok
    assert second.version in str(after["caption"])


def test_a_build_that_fails_its_tests_publishes_nothing(built: Built, tmp_path: Path) -> None:
    """A duplicate invoice upstream fails unique_purchase_invoices_invoice_no: readers keep the old copy."""
    warehouse = tmp_path / "broken" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(built.warehouse, warehouse)
    publication_dir = tmp_path / "published"
    before = publish.publish(warehouse, publication_dir)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into int_purchase_invoices select * from int_purchase_invoices limit 1")
    invocation = dbt_invocation(["build", "--select", "purchase_invoices"], built.landed, warehouse)
    run, published = pipeline.build_and_publish(invocation, warehouse, publication_dir)
    assert not run.succeeded
    assert "unique_purchase_invoices_invoice_no" in run.output
    assert published is None
    assert publish.read_pointer(publication_dir) == before.version
    assert publish.versions(publication_dir) == [before.path]

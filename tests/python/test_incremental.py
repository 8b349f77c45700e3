"""A log that grows by appends: the incremental builds give the tables `--full-refresh` gives, value
for value, and a replaced source is rebuilt whole (segmentation.appends).

The reference is `dbt build --full-refresh` on a copy of the incremental warehouse, not a build
into an empty one: the model versions (segment_model_versions) are a record of the builds, which a
full refresh keeps, and the stable segment ids of every table follow them. Those builds retrain at
every load (retrain_models_after_days 0); a build that reuses the stored models is compared with
them on its own."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from segmentation import appends, dbt_runner, pipeline, synthetic
from tests.python.conftest import BUILD_RECORD_COLUMNS, BUILD_RECORD_TABLES, dbt_invocation

SMALL = synthetic.SyntheticConfig(n_customers=400, seed=11)
BATCHES = 3
# Every build retrains, so that the trained models too must equal the full refresh's.
RETRAIN_EVERY_BUILD = "{retrain_models_after_days: 0}"
# The models a build reuses instead of retraining them (int_segment_model_schedule).
TRAINED_TABLES = (
    "segment_k_diagnostics",
    "segment_centroids",
    "prediction_metrics",
    "segment_model_versions",
)


def _interleaved_batches(raw: Path, folder: Path) -> list[Path]:
    """The log's lines dealt round-robin into BATCHES files: an invoice's lines, a line's copies
    and a purchase and its cancellation land in different loads, and every load but the first holds
    lines dated before the previous load's last date."""
    folder.mkdir()
    with duckdb.connect() as con:
        con.execute(f"create table log as select *, row_number() over () as line from '{raw}'")
        columns = [row[0] for row in con.execute("describe log").fetchall() if row[0] != "line"]
        selected = ", ".join(f'"{name}"' for name in columns)
        batches = []
        for batch in range(BATCHES):
            path = folder / f"batch-{batch + 1}.parquet"
            con.execute(
                f"copy (select {selected} from log where line % {BATCHES} = {batch} order by line) "
                f"to '{path}' (format parquet)"
            )
            batches.append(path)
    return batches


def _build(
    command: list[str], landed_dir: Path, warehouse: Path, dbt_vars: str | None = RETRAIN_EVERY_BUILD
) -> None:
    run = dbt_runner.run(dbt_invocation(command, appends.landed_glob(landed_dir), warehouse, dbt_vars))
    assert run.returncode == 0, f"dbt {' '.join(command)} failed:\n{run.output[-6000:]}"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, appends.Manifest]:
    """The batches appended one build at a time, and a full refresh of a copy of the result; the
    warehouse before the last load is kept as before-last/warehouse.duckdb beside them."""
    root = tmp_path_factory.mktemp("incremental")
    raw = synthetic.write_transactions(synthetic.generate_transactions(SMALL), root / "log.parquet")
    batches = _interleaved_batches(raw, root / "exports")
    landed_dir = root / "landed"
    incremental = root / "incremental" / "warehouse.duckdb"
    incremental.parent.mkdir()
    manifest = None
    for count in range(1, BATCHES + 1):
        files = tuple(batches[:count])
        plan = appends.plan_load(files, manifest, incremental, None)
        assert plan.incremental == (count > 1), plan.reason
        manifest = appends.land_plan(plan, landed_dir, incremental, None)
        # Models only on the way; every data and unit test on the last incremental build.
        command = ["build"] if count == BATCHES else ["run"]
        _build(
            command if count > 1 else ["build", "--exclude", "resource_type:test"], landed_dir, incremental
        )
        appends.mark_built(landed_dir, manifest)
        manifest = appends.read_manifest(landed_dir)
        if count == BATCHES - 1:
            (root / "before-last").mkdir()
            shutil.copy(incremental, root / "before-last" / "warehouse.duckdb")
    full = root / "full" / "warehouse.duckdb"
    full.parent.mkdir()
    shutil.copy(incremental, full)
    _build(["build", "--full-refresh", "--exclude", "resource_type:test"], landed_dir, full)
    return incremental, full, manifest


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables"
            " where table_catalog = ? and table_schema = 'main' and table_type = 'BASE TABLE'",
            [catalog],
        ).fetchall()
    }


def _difference(con: duckdb.DuckDBPyConnection, columns: str, table: str) -> tuple[int, int]:
    """Rows only in the full build, rows only in the incremental one (multisets)."""
    only_full = con.execute(
        f"select count(*) from (select {columns} from refreshed.{table}"
        f" except all select {columns} from incremental.{table})"
    ).fetchone()[0]
    only_incremental = con.execute(
        f"select count(*) from (select {columns} from incremental.{table}"
        f" except all select {columns} from refreshed.{table})"
    ).fetchone()[0]
    return only_full, only_incremental


@pytest.fixture(scope="module")
def both(builds: tuple[Path, Path, appends.Manifest]) -> duckdb.DuckDBPyConnection:
    """Both warehouses attached, and `loads`: which load (1, 2, ...) each row number came in."""
    incremental, full, manifest = builds
    con = duckdb.connect()
    con.execute("create table loads (load integer, first_row bigint, last_row bigint)")
    con.executemany(
        "insert into loads values (?, ?, ?)",
        [
            (number, part.first_row_number, part.first_row_number + part.line_count - 1)
            for number, part in enumerate(manifest.parts, 1)
        ],
    )
    con.execute(f"attach '{incremental}' as incremental (read_only)")
    con.execute(f"attach '{full}' as refreshed (read_only)")
    yield con
    con.close()


def test_the_batches_hold_what_makes_appending_hard(both: duckdb.DuckDBPyConnection) -> None:
    """Without these the equality below would prove little: copies across loads, a cancellation
    of an earlier load's purchase, a line dated before the previous load's last date."""
    lines = "incremental.int_transaction_lines_classified"
    load_of = (
        f"(select source_row_number, load from {lines} join loads"
        " on source_row_number between first_row and last_row)"
    )
    copies_across_loads = both.execute(
        f"""
        select count(*) from incremental.int_duplicate_lines as copies
        join {load_of} as copy_load on copies.source_row_number = copy_load.source_row_number
        join {load_of} as first_load on copies.first_copy_source_row_number = first_load.source_row_number
        where copy_load.load > first_load.load
        """
    ).fetchone()[0]
    cancellations_of_earlier_purchases = both.execute(
        f"""
        select count(*) from {lines} as cancelled
        join {load_of} as cancel_load on cancelled.source_row_number = cancel_load.source_row_number
        where cancelled.line_status = 'cancellation' and exists (
            select 1 from {lines} as bought
            join {load_of} as buy_load on bought.source_row_number = buy_load.source_row_number
            where bought.line_status = 'purchase' and bought.customer_id = cancelled.customer_id
              and bought.stock_code = cancelled.stock_code and buy_load.load < cancel_load.load
        )
        """
    ).fetchone()[0]
    late_lines = both.execute(
        f"""
        with loads as (
            select load, min(invoiced_at) as first_at, max(invoiced_at) as last_at
            from {lines} join {load_of} using (source_row_number) group by load
        )
        select count(*) from loads as later join loads as earlier on later.load = earlier.load + 1
        where later.first_at < earlier.last_at
        """
    ).fetchone()[0]
    assert copies_across_loads > 0
    assert cancellations_of_earlier_purchases > 0
    assert late_lines == BATCHES - 1


def test_every_table_equals_a_full_refresh(both: duckdb.DuckDBPyConnection) -> None:
    incremental, full = _tables(both, "incremental"), _tables(both, "refreshed")
    assert incremental == full
    differing = {}
    for table in sorted(full - set(BUILD_RECORD_TABLES)):
        columns = ", ".join(
            f'"{row[0]}"'
            for row in both.execute(
                "select column_name from information_schema.columns"
                " where table_catalog = 'refreshed' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            if row[0] not in BUILD_RECORD_COLUMNS
        )
        only_full, only_incremental = _difference(both, columns, table)
        if only_full or only_incremental:
            differing[table] = (only_full, only_incremental)
    assert differing == {}
    # The late lines made every earlier snapshot of the history recompute: it is compared too.
    assert {"customer_segment_history", "customers", "int_transaction_lines_classified"} <= full
    assert len(full) > 40


def test_the_last_build_added_only_the_last_load(
    builds: tuple[Path, Path, appends.Manifest], both: duckdb.DuckDBPyConnection
) -> None:
    last = builds[2].parts[-1]
    started = "select built_through_source_row_number from {db}.int_snapshot_date"
    assert both.execute(started.format(db="incremental")).fetchone()[0] == last.first_row_number - 1
    assert both.execute(started.format(db="refreshed")).fetchone()[0] == 0


def test_each_load_trained_a_model_version(both: duckdb.DuckDBPyConnection) -> None:
    """The record of the builds the full refresh kept: one version per load that retrained."""
    versions = both.execute("select count(distinct model_version) from incremental.segment_model_versions")
    assert versions.fetchone()[0] == BATCHES


def _files(folder: Path, *names: str) -> tuple[Path, ...]:
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_text(f"{name}\n")
    return appends.raw_files(folder)


def _built(files: tuple[Path, ...], warehouse: Path, dbt_vars: str | None = None) -> appends.Manifest:
    warehouse.touch()
    parts = tuple(
        appends.LandedPart(appends.RawFile.of(path), f"part-{n}.parquet", n * 10 + 1, 10)
        for n, path in enumerate(files)
    )
    return appends.Manifest(str(warehouse.resolve()), dbt_vars, parts, built=True)


def test_new_files_after_the_built_ones_are_an_append(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    manifest = _built(_files(tmp_path / "in", "2011-12-01.csv"), warehouse)
    files = _files(tmp_path / "in", "2011-12-02.csv", "notes.md")
    plan = appends.plan_load(files, manifest, warehouse, None)
    assert plan.incremental
    assert [path.name for path in plan.new_files] == ["2011-12-02.csv"]
    assert plan.kept == manifest.parts


def test_an_unchanged_input_appends_nothing(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    files = _files(tmp_path / "in", "log.csv")
    plan = appends.plan_load(files, _built(files, warehouse), warehouse, None)
    assert plan.incremental and plan.new_files == ()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("rewrite", "changed since the last build"),
        ("remove", "no longer in the input"),
        ("vars", "the vars changed"),
        ("warehouse", "another warehouse"),
        ("unfinished", "did not finish"),
        ("first", "first build"),
    ],
)
def test_anything_but_an_append_rebuilds_every_file(tmp_path: Path, change: str, reason: str) -> None:
    warehouse = tmp_path / "w.duckdb"
    files = _files(tmp_path / "in", "a.csv", "b.csv")
    manifest: appends.Manifest | None = _built(files, warehouse)
    dbt_vars = None
    if change == "rewrite":
        files[0].write_text("a new export of the whole log, longer\n")
    elif change == "remove":
        files[0].unlink()
        files = files[1:]
    elif change == "vars":
        dbt_vars = "{snapshot_date: 2011-12-01}"
    elif change == "warehouse":
        warehouse = tmp_path / "other.duckdb"
        warehouse.touch()
    elif change == "unfinished":
        manifest = appends.Manifest(manifest.warehouse, None, manifest.parts, built=False)
    else:
        manifest = None
    plan = appends.plan_load(files, manifest, warehouse, dbt_vars)
    assert not plan.incremental
    assert reason in plan.reason
    assert plan.new_files == files and plan.kept == ()


def test_landing_an_append_numbers_after_the_kept_parts(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    log = synthetic.generate_transactions(synthetic.SyntheticConfig(n_customers=20, seed=3))
    for name in ("a.parquet", "b.parquet"):
        synthetic.write_transactions(log, tmp_path / "in" / name)
    landed, warehouse = tmp_path / "landed", tmp_path / "w.duckdb"
    first = appends.land_plan(
        appends.plan_load(appends.raw_files(tmp_path / "in")[:1], None, warehouse, None),
        landed,
        warehouse,
        None,
    )
    appends.mark_built(landed, first)
    warehouse.touch()
    plan = appends.plan_load(
        appends.raw_files(tmp_path / "in"), appends.read_manifest(landed), warehouse, None
    )
    second = appends.land_plan(plan, landed, warehouse, None)
    with duckdb.connect() as con:
        numbers = con.execute(
            "select min(source_row_number), max(source_row_number), count(*)"
            f" from '{appends.landed_glob(landed)}'"
        ).fetchone()
    lines = first.line_count
    assert plan.incremental
    assert [part.first_row_number for part in second.parts] == [1, lines + 1]
    assert numbers == (1, 2 * lines, 2 * lines)
    assert not second.built and appends.read_manifest(landed) == second


def test_the_summary_says_appended_or_rebuilt_and_why(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    files = _files(tmp_path / "in", "a.csv", "b.csv")
    built = _built(files[:1], warehouse)
    appended = appends.plan_load(files, built, warehouse, None)
    after = appends.Manifest(built.warehouse, None, (*built.parts, built.parts[0]), built=False)
    assert appends.describe_plan(appended, after) == (
        "Load: appended 1 new file(s), 10 lines, to the 1 already built (10 lines); incremental build"
    )
    replaced = appends.plan_load(files, built, warehouse, "{currency: USD}")
    assert appends.describe_plan(replaced, after) == (
        "Load: full rebuild of 20 lines (the vars changed since the last build)"
    )


def test_the_summary_says_whether_the_models_were_retrained() -> None:
    trained = date(2011, 12, 10)
    assert pipeline.describe_models(True, "--full-refresh", trained) == (
        "Models: retrained at the 2011-12-10 snapshot (--full-refresh)"
    )
    assert pipeline.describe_models(False, None, trained) == (
        "Models: reused, as trained at the 2011-12-10 snapshot; retrained once var"
        " retrain_models_after_days have passed, or with --full-refresh"
    )


@pytest.fixture(scope="module")
def reused(builds: tuple[Path, Path, appends.Manifest]) -> duckdb.DuckDBPyConnection:
    """The last load appended to the warehouse before it with the default settings, so that the
    build reuses the models the previous one trained; attached as `reused`, beside `before`
    (that previous warehouse) and `refreshed` (the full refresh of every load)."""
    incremental, full, _ = builds
    before = incremental.parent.parent / "before-last" / "warehouse.duckdb"
    warehouse = incremental.parent.parent / "reused" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(before, warehouse)
    _build(
        ["build", "--exclude-resource-type", "unit_test"],
        incremental.parent.parent / "landed",
        warehouse,
        None,
    )
    con = duckdb.connect()
    for name, path in (("reused", warehouse), ("before", before), ("refreshed", full)):
        con.execute(f"attach '{path}' as {name} (read_only)")
    yield con
    con.close()


def _same_rows(con: duckdb.DuckDBPyConnection, table: str, left: str, right: str) -> bool:
    return not con.execute(
        f"(select * from {left}.{table} except all select * from {right}.{table})"
        f" union all (select * from {right}.{table} except all select * from {left}.{table})"
    ).fetchall()


def test_a_daily_build_reuses_the_stored_models(reused: duckdb.DuckDBPyConnection) -> None:
    latest = reused.execute(
        "select retrains, retrain_reason, trained_snapshot_date, snapshot_date"
        " from reused.int_segment_model_schedule order by build_number desc limit 1"
    ).fetchone()
    (trained_before,) = reused.execute(
        "select max(trained_snapshot_date) from before.int_segment_model_schedule"
    ).fetchone()
    assert latest[:3] == (False, None, trained_before)
    assert latest[3] >= trained_before
    for table in TRAINED_TABLES:
        assert _same_rows(reused, table, "reused", "before"), f"{table} was retrained"


def test_a_build_after_a_run_that_stopped_before_the_trained_models_retrains(
    builds: tuple[Path, Path, appends.Manifest],
) -> None:
    """A run that built a retraining's schedule row but not the trained models leaves the row
    unfinished (macro record_finished_model_build); the next build retrains instead of taking the
    stored tables for that training, although its settings and snapshot date are the same."""
    incremental, _, _ = builds
    root = incremental.parent.parent
    warehouse = root / "unfinished" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(root / "before-last" / "warehouse.duckdb", warehouse)
    _build(["run", "--select", "+int_segment_model_schedule"], root / "landed", warehouse)
    _build(["build", "--exclude-resource-type", "unit_test"], root / "landed", warehouse, None)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select retrains, retrain_reason, models_finished"
            " from int_segment_model_schedule order by build_number"
        ).fetchall()
    *finished_builds, stopped, after = rows
    assert finished_builds and all(finished for *_, finished in finished_builds)
    assert stopped == (True, "the stored models are 0 or more days old", False)
    assert after == (True, "the last retraining did not finish", True)


def _few_customers_export(log: Path, out: Path) -> None:
    """One more export that touches three customers only: the last purchase invoices of two,
    again a day after the log ends under new invoice numbers, and for a third a cancellation of
    one line it bought."""
    with duckdb.connect() as con:
        con.execute(f"create table log as select * from '{log}'")
        con.execute(
            """
            create table extra as
            with
            ends as (
                select max(InvoiceDate) as last_at, max(try_cast(Invoice as bigint)) as last_invoice from log
            ),
            customers as (
                select "Customer ID" as customer, max(InvoiceDate) as bought_at,
                    row_number() over (order by "Customer ID") as pick
                from log
                where "Customer ID" is not null and Quantity > 0 and Invoice not like 'C%'
                group by "Customer ID"
            ),
            picked as (
                select log.*, customers.pick from log
                join customers
                    on log."Customer ID" = customers.customer and log.InvoiceDate = customers.bought_at
                where customers.pick <= 3 and log.Quantity > 0 and log.Invoice not like 'C%'
            )
            select
                case when pick = 3 then 'C' else '' end
                    || cast(ends.last_invoice + pick as varchar) as Invoice,
                StockCode, Description,
                case when pick = 3 then -Quantity else Quantity end as Quantity,
                ends.last_at + interval 1 day as InvoiceDate,
                Price, "Customer ID", Country
            from picked cross join ends
            where pick < 3 or StockCode = (select min(p.StockCode) from picked as p where p.pick = 3)
            """
        )
        con.execute(f"copy extra to '{out}' (format parquet)")


def test_a_load_that_touches_a_few_customers_keeps_the_others_features(
    builds: tuple[Path, Path, appends.Manifest],
) -> None:
    """int_customer_features aggregates again only the customers with new lines and takes the
    others' from its stored rows; every column, recency included, equals a full refresh's."""
    incremental, _, manifest = builds
    root = incremental.parent.parent
    work = root / "few-customers"
    shutil.copytree(root / "landed", work / "landed")
    appended, refreshed = work / "appended" / "warehouse.duckdb", work / "refreshed" / "warehouse.duckdb"
    appended.parent.mkdir()
    shutil.copy(incremental, appended)
    export = work / "export.parquet"
    _few_customers_export(root / "log.parquet", export)
    plan = appends.LoadPlan(True, "", manifest.parts, (export,))
    appends.land_plan(plan, work / "landed", appended, None)
    with duckdb.connect(str(appended), read_only=True) as con:
        (stored_watermark,) = con.execute(
            "select max(last_source_row_number) from int_customer_features"
        ).fetchone()
    selection = ["--select", "+int_customer_features"]
    _build(["run", *selection], work / "landed", appended)
    refreshed.parent.mkdir()
    shutil.copy(appended, refreshed)
    _build(["run", "--full-refresh", *selection], work / "landed", refreshed)
    with duckdb.connect() as con:
        con.execute(f"attach '{appended}' as incremental (read_only)")
        con.execute(f"attach '{refreshed}' as refreshed (read_only)")
        touched, customers = con.execute(
            f"select count(*) filter (where last_source_row_number > {stored_watermark}), count(*)"
            " from incremental.int_customer_features"
        ).fetchone()
        earlier_lines = sum(part.line_count for part in manifest.parts)
        with_new_lines, cancelling = con.execute(
            "select count(distinct customer_id),"
            " count(distinct customer_id) filter (where line_status = 'cancellation')"
            f" from incremental.int_transaction_lines_classified where source_row_number > {earlier_lines}"
            " and line_status in ('purchase', 'cancellation') and not is_guest"
        ).fetchone()
        assert touched == with_new_lines == 3
        assert cancelling == 1
        assert customers > 100
        assert _difference(con, "*", "int_customer_features") == (0, 0)


def test_appended_builds_uniqueness_tests_catch_a_repeated_key_of_what_they_rebuilt(
    builds: tuple[Path, Path, appends.Manifest],
) -> None:
    """unique_among_rebuilt_rows and unique_among_added_lines read only what the last build wrote,
    yet fail on a key repeated there: a stale copy of a rebuilt invoice or customer product (a
    delete+insert that left the old row), an added duplicate line written twice."""
    incremental, _, _ = builds
    root = incremental.parent.parent
    warehouse = root / "repeated-keys" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(incremental, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        (watermark,) = con.execute("select built_through_source_row_number from int_snapshot_date").fetchone()
        assert watermark > 0, "the last build must have appended"
        for table, row_number in (
            ("int_purchase_invoices", "last_source_row_number"),
            ("int_customer_products", "last_source_row_number"),
            ("int_duplicate_lines", "source_row_number"),
        ):
            copied = con.execute(
                f"insert into {table} select * replace (0 as last_source_row_number) from {table}"
                f" where {row_number} > {watermark} limit 1"
                if row_number == "last_source_row_number"
                else f"insert into {table} select * from {table} where {row_number} > {watermark} limit 1"
            ).fetchone()[0]
            assert copied == 1, f"{table} has no row the last build wrote"
    selection = ["--select", "test_name:unique_among_rebuilt_rows", "test_name:unique_among_added_lines"]
    run = dbt_runner.run(
        dbt_invocation(["test", *selection], appends.landed_glob(root / "landed"), warehouse, None)
    )
    failed = set(re.findall(r" FAIL \d+ (\w+)", run.output))
    repeated = (
        "unique_among_rebuilt_rows_int_purchase_invoices_",
        "unique_among_rebuilt_rows_int_customer_products_",
        "unique_among_added_lines_int_duplicate_lines_source_row_number",
    )
    assert run.returncode != 0
    assert len(failed) == len(repeated), run.output[-4000:]
    assert all(any(name.startswith(test) for name in failed) for test in repeated), failed


def test_a_schedule_from_an_earlier_version_asks_for_a_full_refresh(
    builds: tuple[Path, Path, appends.Manifest],
) -> None:
    """A schedule table written before a column was added (models_finished came later) stops the
    build with what to do, not the warehouse's 'column not found'."""
    incremental, _, _ = builds
    root = incremental.parent.parent
    warehouse = root / "older-schedule" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(root / "before-last" / "warehouse.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table int_segment_model_schedule drop column models_finished")
    command = ["run", "--select", "int_segment_model_schedule"]
    run = dbt_runner.run(dbt_invocation(command, appends.landed_glob(root / "landed"), warehouse, None))
    assert run.returncode != 0
    assert "lacks column(s) models_finished: rebuild it with `dbt build --full-refresh`" in run.output


def test_a_daily_build_scores_every_customer_of_the_full_build_with_the_stored_model(
    reused: duckdb.DuckDBPyConnection,
) -> None:
    """Reusing the model changes which model scores, never which customers or their features."""
    for table in ("customers", "int_customer_features", "int_purchase_invoices"):
        assert _same_rows(reused, table, "reused", "refreshed"), f"{table} differs from the full refresh"
    # The Python scoring of customer_segments and the SQL scoring of the same stored centroids agree.
    disagreeing = reused.execute(
        "select count(*) from reused.customer_segments as python"
        " full join reused.int_customers_scored_by_centroids as in_sql using (customer_id)"
        " where python.segment_id is distinct from in_sql.segment_id"
    ).fetchone()[0]
    customers = reused.execute("select count(*) from reused.customer_segments").fetchone()[0]
    assert disagreeing == 0
    assert customers == reused.execute("select count(*) from refreshed.customers").fetchone()[0]

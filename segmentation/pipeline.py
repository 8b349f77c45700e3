"""The main job: make sure there is input, land it, run `dbt build`, print where the results are.

`python -m segmentation.pipeline` runs on the synthetic default (generated on first use);
`--input FILE` runs on any raw file, e.g. the UCI Online Retail workbooks or CSVs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb
import yaml

from segmentation import appends, build_progress, dbt_runner, land, publish, report, synthetic
from segmentation.dbt_vars import BAD_INPUT_MARKER
from segmentation.money import currency_of

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_INPUT = PROJECT_DIR / "data" / "synthetic" / "online_retail_synthetic.csv.gz"
DEFAULT_WAREHOUSE = PROJECT_DIR / "customer_segmentation.duckdb"
DEFAULT_REPORT_DIR = PROJECT_DIR / "reports"
# The main job's landing: one parquet part per raw file, appended to as a folder input grows.
LANDED_DIR = PROJECT_DIR / "data" / "landed" / "raw_transactions"


# DuckDB's words when another process has the warehouse file open (dbt shows them verbatim).
LOCK_ERROR_MARKER = "Could not set lock on file"
# A build whose output holds BAD_INPUT_MARKER (how dbt's messages about unusable input begin, macro
# bad_input_prefix) failed because of the file or the vars, not the project.
EXIT_INPUT_ERROR = 2
EXIT_WAREHOUSE_LOCKED = 3


def warehouse_lock_conflict(warehouse: Path) -> str | None:
    """DuckDB's message when another process holds the warehouse file open, else None.

    DuckDB lets one process write a database file at a time; a second `dbt build` on the same file
    would fail after dbt's start-up with a bare lock error. Opening the file for writing for a moment
    finds that out first, so the user is told before anything runs and with what to do.
    """
    if not warehouse.exists():
        return None
    try:
        duckdb.connect(str(warehouse)).close()
    except duckdb.IOException as error:
        if LOCK_ERROR_MARKER.lower() in str(error).lower():
            return str(error)
        raise
    return None


def lock_guidance(warehouse: Path, detail: str) -> str:
    """What to tell the user when the warehouse is locked by another process."""
    return (
        f"error: the warehouse {warehouse} is in use by another process, and DuckDB lets only one "
        "process write a database file at a time. Wait for the other build to finish (or close the "
        "program holding the file, e.g. a notebook or BI tool), or build into another file with "
        f"--warehouse OTHER.duckdb. Nothing was changed.\nDuckDB said: {detail}"
    )


def ensure_default_input(path: Path, n_customers: int, seed: int) -> Path:
    """Generate the synthetic default once; later runs reuse the same deterministic file.

    Written beside `path` under a process-unique name and renamed into place, so an interrupted
    generation never leaves a truncated file that later runs would take as the default, and two
    processes generating at once (parallel test workers) never read each other's half-written file.
    """
    if path.exists():
        return path
    print(f"Generating synthetic transactions ({n_customers:,} customers, seed {seed}) -> {path}")
    config = synthetic.SyntheticConfig(n_customers=n_customers, seed=seed)
    partial = path.with_name(f".partial-{os.getpid()}-{path.name}")
    try:
        synthetic.write_transactions(synthetic.generate_transactions(config), partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table: numbers right-aligned with thousands separators."""

    def cell(value: object) -> str:
        if isinstance(value, bool) or value is None:
            return str(value)
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, float):
            return f"{value:,.2f}"
        return str(value)

    text_rows = [[cell(value) for value in row] for row in rows]
    widths = [
        max(len(header), *(len(row[i]) for row in text_rows)) if text_rows else len(header)
        for i, header in enumerate(headers)
    ]
    numeric = [
        bool(rows) and all(isinstance(row[i], int | float) for row in rows) for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if is_number else value.ljust(width)
            for value, width, is_number in zip(values, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(list(headers)), rule, *(line(row) for row in text_rows)])


def summarise(warehouse: Path) -> str:
    """The run summary: lines read and where they went, customers, and where to look next."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        outcomes = con.execute(
            """
            select line_status, exclusion_reason, sum(line_count)::bigint, sum(line_value)::double
            from transaction_line_outcomes
            group by all
            order by line_status desc, 3 desc
            """
        ).fetchall()
        guests = con.execute(
            "select coalesce(sum(line_count), 0)::bigint from transaction_line_outcomes"
            " where is_guest and line_status = 'purchase'"
        ).fetchone()[0]
        customers, purchase_value = con.execute(
            "select count(*), coalesce(sum(monetary), 0)::double from customers"
        ).fetchone()
        coverage = con.execute("select * from data_coverage").df()
        currency = currency_of(coverage)
        snapshot, layout, columns, date_format = coverage.loc[
            0, ["snapshot_date", "raw_layout", "raw_columns", "raw_date_format"]
        ]
        schedule = con.execute(
            "select retrains, retrain_reason, trained_snapshot_date from int_segment_model_schedule"
            " order by build_number desc limit 1"
        ).fetchone()
        left_out = con.execute(
            """
            select customer_outcome, main_exclusion_reason, customer_count, line_count
            from customer_outcomes
            where customer_outcome <> 'in_customers'
            order by customer_count desc, customer_outcome, main_exclusion_reason
            """
        ).fetchall()
    total = sum(row[2] for row in outcomes)
    rows = [
        (status, reason if reason != "none" else "", count, value)
        for status, reason, count, value in outcomes
    ]
    rows.append(("total read", "", total, sum(row[3] for row in outcomes)))
    return "\n".join(
        [
            f"Raw lines read: {total:,}, as {layout} ({columns}); dates read as {date_format}",
            format_table(["outcome", "reason", "lines", f"value ({currency.code})"], rows),
            "",
            f"Guest purchase lines (no customer id, kept in totals, not in customer marts): {guests:,}",
            f"Customers: {customers:,}   purchase value: {currency.code} {purchase_value:,.2f}"
            f"   snapshot date: {snapshot:%Y-%m-%d}",
            describe_models(*schedule),
            *left_out_lines(left_out),
            f"Warehouse: {warehouse}  (tables: customers, transaction_line_outcomes, ...)",
        ]
    )


def describe_models(retrained: bool, reason: str | None, trained_snapshot_date: date) -> str:
    """Whether the build retrained the segment and new-customer models (int_segment_model_schedule)."""
    if retrained:
        return f"Models: retrained at the {trained_snapshot_date:%Y-%m-%d} snapshot ({reason})"
    return (
        f"Models: reused, as trained at the {trained_snapshot_date:%Y-%m-%d} snapshot; retrained once"
        " var retrain_models_after_days have passed, or with --full-refresh"
    )


def left_out_lines(left_out: Sequence[tuple[str, str, int, int]]) -> list[str]:
    """Customers with lines in the file but not in the customers mart, and why (customer_outcomes)."""
    if not left_out:
        return ["Every customer id in the file has a clean purchase and is in the customers mart."]
    rows = [
        (outcome.replace("_", " "), reason if reason != "none" else "", count, lines)
        for outcome, reason, count, lines in left_out
    ]
    total = sum(row[2] for row in rows)
    return [
        f"Customers in the file but not in the customers mart: {total:,}",
        format_table(["why", "main reason of their lines", "customers", "lines"], rows),
    ]


def build_and_publish(
    invocation: dbt_runner.DbtInvocation,
    warehouse: Path,
    publication_dir: Path,
    echo: dbt_runner.LineSink | None = None,
) -> tuple[dbt_runner.DbtRun, publish.Publication | None]:
    """Run dbt; only when it succeeded (every model built, every test passed) publish the marts.

    Readers open the published copy, never the warehouse, so a dashboard left open cannot lock the
    next build out, and a failed build leaves them on the previous complete publication.
    """
    build = dbt_runner.run(invocation, echo=echo)
    if not build.succeeded:
        return build, None
    return build, publish.publish(warehouse, publication_dir)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", type=Path, help="raw transaction file (default: synthetic)")
    parser.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    parser.add_argument("--report-dir", type=Path, default=DEFAULT_REPORT_DIR)
    parser.add_argument(
        "--publication-dir",
        type=Path,
        help="where the marts are published for readers (the dashboard, the report) after a good build"
        " (default: beside the warehouse, WAREHOUSE.published/)",
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=synthetic.SyntheticConfig().n_customers,
        help="size of the synthetic default",
    )
    parser.add_argument("--seed", type=int, default=synthetic.SyntheticConfig().seed)
    parser.add_argument("--verbose", action="store_true", help="show every line dbt prints")
    parser.add_argument(
        "--vars",
        dest="dbt_vars",
        help="dbt vars as a YAML mapping, e.g. '{segmentation: {fixed_k: 4}, snapshot_date: 2011-12-01}'",
    )
    parser.add_argument(
        "--encoding", help="text encoding of a CSV input (default: detected, UTF-8 or Latin-1)"
    )
    return parser.parse_args(argv)


def parse_dbt_vars(text: str | None) -> str | None:
    """The --vars text, checked to be a YAML mapping (as dbt requires), or None."""
    if text is None:
        return None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise land.InputFileError(f"--vars is not YAML: {text}") from error
    if not isinstance(value, dict):
        raise land.InputFileError(
            f"--vars must be a mapping such as '{{segmentation: {{fixed_k: 4}}}}', got: {text}"
        )
    return text


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        dbt_vars = parse_dbt_vars(args.dbt_vars)
    except land.InputFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    raw_path = args.input or ensure_default_input(DEFAULT_INPUT, args.customers, args.seed)
    warehouse = args.warehouse.resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    conflict = warehouse_lock_conflict(warehouse)
    if conflict is not None:
        print(lock_guidance(warehouse, conflict), file=sys.stderr)
        return EXIT_WAREHOUSE_LOCKED
    try:
        plan = appends.plan_load(
            appends.raw_files(raw_path), appends.read_manifest(LANDED_DIR), warehouse, dbt_vars
        )
        manifest = appends.land_plan(plan, LANDED_DIR, warehouse, dbt_vars, args.encoding, progress=print)
    except land.InputFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    load_line = appends.describe_plan(plan, manifest)
    print(load_line)
    # dbt's output is kept, so that a known failure (the lock, bad input) can be explained after
    # dbt's own message; the user sees a line per stage, or every dbt line with --verbose.
    command = ["build"] if plan.incremental else ["build", "--full-refresh"]
    invocation = dbt_runner.dbt_invocation(command, appends.landed_glob(LANDED_DIR), warehouse, dbt_vars)
    # dbt's own DBT_TARGET_PATH and DBT_LOG_PATH, when set, move target/ and logs/.
    target_dir = PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")
    print(f"dbt build (dbt's full log: {PROJECT_DIR / os.environ.get('DBT_LOG_PATH', 'logs') / 'dbt.log'})")
    progress = build_progress.StageProgress(target_dir / "manifest.json", print, args.verbose)
    publication_dir = (args.publication_dir or publish.publication_dir_for(warehouse)).resolve()
    build, published = build_and_publish(invocation, warehouse, publication_dir, progress)
    if not build.succeeded and LOCK_ERROR_MARKER in build.output:
        # Another build took the file between the check above and dbt opening it.
        detail = next(line for line in build.output.splitlines() if LOCK_ERROR_MARKER in line)
        print(lock_guidance(warehouse, detail.strip()), file=sys.stderr)
        return EXIT_WAREHOUSE_LOCKED
    if not build.succeeded and BAD_INPUT_MARKER in build.output:
        detail = next(line for line in build.output.splitlines() if BAD_INPUT_MARKER in line)
        print(f"error: dbt stopped on the input: {detail[detail.index(BAD_INPUT_MARKER) :]}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    if published is None:
        print(
            f"error: dbt build failed after {build.seconds:.1f}s; see the messages above and logs/dbt.log."
            " Nothing was published: readers keep the previous publication.",
            file=sys.stderr,
        )
        return 1
    appends.mark_built(LANDED_DIR, manifest)
    print()
    print(f"dbt build finished in {build.seconds:.1f}s")
    if not args.verbose:
        print(format_table(["stage", "nodes", "entered at"], progress.table_rows()))
    print(load_line)
    print(summarise(args.warehouse.resolve()))
    print(f"Published {len(published.tables)} marts for readers: {published.path}")
    result = report.build_report(published.path, args.report_dir.resolve())
    print(f"Report: {result.html_path}  (charts as PNG in {result.html_path.parent / 'charts'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fast tests of the pipeline benchmark harness (benchmarks/pipeline_benchmark.py) and its pandas
reference: the pure parts (sizes, interval union, outcome classification, medians, ratios, targets,
the one-day append and what an incremental run must give), that the pandas reference and the
one-query floor clean and aggregate the same way, and that the reference builds the Python models'
inputs as the SQL models do. No dbt build and no big file: the benchmark itself is `make
benchmark`, not a test.
"""

from __future__ import annotations

import importlib.util
import signal
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from segmentation.synthetic import SyntheticConfig, generate_transactions

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
GIB = 1024**3


def load(name: str) -> ModuleType:
    """Import a benchmarks/ script (not a package); registered first, as dataclasses need."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench = load("pipeline_benchmark")
reference = load("pandas_reference")


def measurement(outcome: str = "ok", wall: float = 10.0, peak_gib: float = 1.0) -> object:
    return bench.Measurement(outcome, wall, int(peak_gib * GIB), "")


def summary(outcome: str = "ok", wall: float = 10.0, peak_gib: float = 1.0, **details: float) -> object:
    return bench.Summary(outcome, wall, int(peak_gib * GIB), details, runs=1)


def result(requested_rows: int | None, **summaries: object) -> object:
    dataset = bench.Dataset("d", Path("d.parquet"), requested_rows or 1_067_371, requested_rows)
    return bench.DatasetResult(dataset, summaries, {})


# --- sizes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rows"),
    [("1M", 1_000_000), ("20m", 20_000_000), ("200M", 200_000_000), ("500K", 500_000), ("1.5M", 1_500_000)],
)
def test_parse_size(text: str, rows: int) -> None:
    assert bench.parse_size(text) == rows
    assert bench.parse_size(str(rows)) == rows


@pytest.mark.parametrize("text", ["", "M", "abc", "0", "1.5", "-1M", "inf", "nan"])
def test_parse_size_rejects_non_sizes(text: str) -> None:
    with pytest.raises(ValueError, match="size"):
        bench.parse_size(text)


def test_bar_labels_read_as_figures() -> None:
    assert [bench.bar_label(v) for v in (1635.1, 135.0, 58.7, 0.806, 12_345.6)] == [
        "1,635",
        "135",
        "58.7",
        "0.806",
        "12,346",
    ]


def test_size_label_round_trips() -> None:
    assert [bench.size_label(n) for n in (1_000_000, 20_000_000, 200_000_000, 500_000, 1_234)] == [
        "1M",
        "20M",
        "200M",
        "500K",
        "1234",
    ]


def test_runs_repeat_only_short_sizes() -> None:
    small, large = (bench.Dataset("d", Path("d"), rows) for rows in (1_000_000, 20_000_000))
    assert (bench.repeats(small, None), bench.repeats(large, None)) == (3, 1)
    assert bench.repeats(large, 2) == 2


# --- measuring ----------------------------------------------------------------------------------


def test_process_tree_walks_every_descendant_once() -> None:
    children = {1: [2, 3], 2: [4], 3: [4], 4: []}
    assert sorted(bench.process_tree(1, lambda pid: children[pid])) == [1, 2, 3, 4]


def test_tree_rss_of_this_process_is_its_vmrss() -> None:
    assert bench.tree_rss_bytes(bench.os.getpid()) >= bench.rss_bytes(bench.os.getpid()) > 0


def test_memory_total_from_meminfo() -> None:
    assert bench.memory_total_bytes("MemFree: 1 kB\nMemTotal:  24576000 kB\n") == 24_576_000 * 1024


def test_watchdog_kills_for_memory_before_time() -> None:
    assert bench.over_limit(11, 5.0, budget_bytes=10, timeout_seconds=1.0) == "oom"
    assert bench.over_limit(9, 5.0, budget_bytes=10, timeout_seconds=1.0) == "timeout"
    assert bench.over_limit(9, 5.0, budget_bytes=10, timeout_seconds=None) is None


@pytest.mark.parametrize(
    ("returncode", "killed_for", "tail", "outcome"),
    [
        (0, None, "", "ok"),
        (-signal.SIGKILL, "oom", "", "oom"),
        (-signal.SIGKILL, "timeout", "", "timeout"),
        (-signal.SIGKILL, None, "", "oom"),  # the kernel's OOM killer
        (1, None, "Traceback ...\nMemoryError: Unable to allocate 12.0 GiB", "oom"),
        (2, None, "Runtime Error\n  Out of Memory Error: could not allocate block", "oom"),
        (1, None, "Compilation Error in model customers", "failed"),
    ],
)
def test_classify_outcome(returncode: int, killed_for: str | None, tail: str, outcome: str) -> None:
    assert bench.classify_outcome(returncode, killed_for, tail) == outcome


def test_measure_reports_a_run_over_budget_as_out_of_memory(tmp_path: Path) -> None:
    grow = "import time; x = bytearray(200 * 1024 * 1024); time.sleep(30)"
    measured = bench.measure([sys.executable, "-c", grow], tmp_path / "log", 100 * 1024 * 1024, 20.0)
    assert measured.outcome == "oom"
    assert measured.peak_bytes > 100 * 1024 * 1024
    assert measured.wall_seconds < 10


def test_result_line_is_the_last_result() -> None:
    assert bench.result_line('noise\nRESULT {"customers": 1}\nRESULT {"customers": 2}\n') == {"customers": 2}
    with pytest.raises(ValueError, match="RESULT"):
        bench.result_line("no result here")


# --- dbt layer times ----------------------------------------------------------------------------


def test_union_seconds_does_not_count_overlap_twice() -> None:
    assert bench.union_seconds([]) == 0
    assert bench.union_seconds([(0, 10), (5, 15), (20, 25), (21, 22)]) == 20
    assert bench.union_seconds([(20, 25), (0, 10)]) == 15


def timing(start: str, end: str) -> list[dict[str, str]]:
    return [
        {
            "name": "compile",
            "started_at": f"2026-01-01T00:00:{start}Z",
            "completed_at": f"2026-01-01T00:00:{start}Z",
        },
        {
            "name": "execute",
            "started_at": f"2026-01-01T00:00:{start}Z",
            "completed_at": f"2026-01-01T00:00:{end}Z",
        },
    ]


def test_layer_seconds_splits_sql_layer_python_models_and_tests() -> None:
    run_results = {
        "results": [
            {"unique_id": "operation.p.hook", "timing": timing("00.000000", "02.000000")},
            {"unique_id": "model.p.a", "timing": timing("02.000000", "06.000000")},
            {"unique_id": "test.p.t", "timing": timing("03.000000", "05.000000")},  # other thread
            {"unique_id": "unit_test.p.a.u", "timing": timing("09.500000", "10.000000")},
            {"unique_id": "model.p.py", "timing": timing("06.000000", "09.500000")},
            {"unique_id": "model.p.skipped", "timing": []},
        ]
    }
    manifest = {"nodes": {"model.p.a": {"language": "sql"}, "model.p.py": {"language": "python"}}}
    assert bench.layer_seconds(run_results, manifest) == pytest.approx(
        {"sql_seconds": 6.0, "python_seconds": 3.5, "test_seconds": 2.5}
    )


def test_failed_nodes_names_what_errored_or_failed() -> None:
    run_results = {
        "results": [
            {"unique_id": "model.p.customers", "status": "success"},
            {"unique_id": "test.p.not_null_segment_profiles_recommended_action.3f2a", "status": "fail"},
            {"unique_id": "model.p.customer_segments", "status": "error"},
            {"unique_id": "test.p.unique_customers_customer_id.9b1c", "status": "pass"},
        ]
    }
    assert bench.failed_nodes(run_results) == [
        "not_null_segment_profiles_recommended_action",
        "customer_segments",
    ]


# --- landed parts, DuckDB's memory cap, which pipelines run ----------------------------------------


def test_full_and_incremental_builds_read_every_landed_part(tmp_path: Path) -> None:
    assert bench.landed_part(tmp_path, 2) == tmp_path / "dbt" / "landed" / "part-00002.parquet"
    assert bench.landed_glob(tmp_path) == tmp_path / "dbt" / "landed" / "*.parquet"
    # The appended day's raw file is outside the folder the glob reads.
    assert bench.append_day_path(tmp_path).parent != bench.landed_part(tmp_path, 1).parent
    invocation = bench.dbt_invocation(tmp_path, "build")
    assert invocation.env["RETAIL_LANDED_PATH"] == str(tmp_path / "dbt" / "landed" / "*.parquet")
    assert "--full-refresh" not in invocation.argv


def test_memory_cap_is_the_env_override_or_the_profiles_default() -> None:
    profile = "memory_limit: \"{{ env_var('DBT_DUCKDB_MEMORY_LIMIT', '2GB') }}\""
    assert bench.profile_memory_limit(profile, {}) == "2GB"
    assert bench.profile_memory_limit(profile, {"DBT_DUCKDB_MEMORY_LIMIT": "6GiB"}) == "6GiB"
    assert bench.profile_memory_limit("threads: 2", {}) is None
    assert bench.profile_memory_limit(bench.PROFILES.read_text(), {}) == "2GB"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2GB", 2 * 10**9), ("2 GiB", 2 * 1024**3), ("512mb", 512 * 10**6), ("1.5GB", 1_500_000_000), ("7", 7)],
)
def test_memory_limit_bytes(text: str, expected: int) -> None:
    assert bench.memory_limit_bytes(text) == expected


@pytest.mark.parametrize("text", [None, "", "lots", "2 GB RAM"])
def test_memory_limit_bytes_unreadable(text: str | None) -> None:
    assert bench.memory_limit_bytes(text) is None


def test_skipping_the_full_build_skips_the_incremental_run() -> None:
    assert bench.selected_pipelines("") == ["dbt", "incremental", "pandas", "floor"]
    assert bench.selected_pipelines("pandas,incremental") == ["dbt", "floor"]
    assert bench.selected_pipelines("dbt") == ["pandas", "floor"]


# --- summaries, ratios, agreement, targets -------------------------------------------------------


def test_summarize_takes_medians_of_finished_runs() -> None:
    runs = [
        bench.Run(
            "dbt", measurement(wall=w, peak_gib=p), {"sql_seconds": s, "customers": 7, "failed_nodes": []}
        )
        for w, p, s in ((10, 1, 4), (30, 3, 5), (12, 2, 9))
    ]
    summary_ = bench.summarize(runs)
    assert (summary_.ok, summary_.wall_seconds, summary_.peak_bytes, summary_.runs) == (True, 12, 2 * GIB, 3)
    assert summary_.details == {"customers": 7, "sql_seconds": 5}


def test_summarize_reports_an_unfinished_run_instead_of_a_median() -> None:
    runs = [bench.Run("pandas", measurement()), bench.Run("pandas", measurement("oom", 412.4, 20.44))]
    summary_ = bench.summarize(runs)
    assert not summary_.ok
    assert summary_.failure() == "out of memory at 20.4 GiB after 412 s"


def test_table_row_ratios_and_unfinished_cells() -> None:
    row = bench.table_row(
        result(
            20_000_000,
            dbt=summary(wall=20, peak_gib=2, sql_seconds=12, python_seconds=5, customers=100, monetary=1.0),
            incremental=summary(wall=3, peak_gib=1.5, lines_appended=27_400),
            pandas=summary(wall=200, peak_gib=16, customers=100, monetary=1.0),
            floor=summary("oom", 30, 20),
        )
    )
    cells = dict(zip(bench.TABLE_HEADERS, row, strict=True))
    assert cells["customers"] == 100
    assert (cells["incremental wall s"], cells["incremental peak GiB"]) == (3, 1.5)
    assert (cells["lines appended"], cells["incremental/full"]) == (27_400, 0.15)
    assert (cells["project/pandas time"], cells["project/pandas memory"]) == (0.1, 0.12)
    assert cells["floor wall s"] == "out of memory at 20.0 GiB after 30 s"
    assert cells["floor peak GiB"] == "oom"
    assert cells["SQL layer/floor"] == "-"


def test_table_row_without_an_incremental_run() -> None:
    row = bench.table_row(result(20_000_000, dbt=summary(wall=20), incremental=summary("failed", 41, 0.5)))
    cells = dict(zip(bench.TABLE_HEADERS, row, strict=True))
    assert cells["incremental wall s"] == "failed at 0.5 GiB after 41 s"
    assert (cells["lines appended"], cells["incremental/full"]) == ("-", "-")
    assert (
        bench.table_row(result(20_000_000, dbt=summary()))[bench.TABLE_HEADERS.index("lines appended")] == "-"
    )


def test_agreement_within_tolerance_and_disagreement() -> None:
    dbt = summary(customers=100, monetary=1_000_000.0)
    assert bench.agreement(dbt, summary(customers=100, monetary=1_000_050.0)).startswith("agree")
    assert bench.agreement(dbt, summary(customers=100, monetary=1_000_200.0)).startswith("DISAGREE")
    assert bench.agreement(dbt, summary(customers=99, monetary=1_000_000.0)).startswith("DISAGREE")
    assert bench.agreement(dbt, summary("oom")).startswith("not compared")


def test_agreement_compares_the_python_models_decisions_where_both_report_them() -> None:
    dbt = summary(customers=100, monetary=50.0, chosen_k=4, predicted_customers=30)
    same = summary(customers=100, monetary=50.0, chosen_k=4, predicted_customers=30)
    assert bench.agreement(dbt, same) == (
        "agree: customers 100 vs 100, monetary off by 0.00000%, chosen k 4 vs 4, customers predicted 30 vs 30"
    )
    other_k = summary(customers=100, monetary=50.0, chosen_k=5, predicted_customers=30)
    assert bench.agreement(dbt, other_k).startswith("DISAGREE")
    assert "chosen k 5 vs 4" in bench.agreement(dbt, other_k)
    floor = summary(customers=100, monetary=50.0)  # no decisions: only the totals
    assert bench.agreement(dbt, floor) == "agree: customers 100 vs 100, monetary off by 0.00000%"


def test_expected_totals_after_the_append_and_the_incremental_agreement() -> None:
    expected = bench.expected_after_append(
        {"customers": 1386, "monetary": 3576585.45}, {"customers": 16, "monetary": 6380.82}
    )
    assert expected == {"expected_customers": 1386, "expected_monetary": pytest.approx(3582966.27)}
    built = summary(customers=1386, monetary=3582966.27, **expected)
    assert bench.incremental_agreement(built).startswith("agree: customers 1,386 vs 1,386")
    short = summary(customers=1386, monetary=3576585.45, **expected)  # the new day's lines missing
    assert bench.incremental_agreement(short).startswith("DISAGREE")
    assert bench.incremental_agreement(summary("failed")).startswith("not compared")


def test_ratio_verdict_of_exact_values_and_of_bounds() -> None:
    assert [bench.ratio_verdict(v, 1.0, True) for v in (0.9, 1.0, 1.1)] == ["met", "met", "MISSED"]
    assert [bench.ratio_verdict(v, 1.0, False) for v in (0.9, 1.1)] == ["met (at most)", "not determined"]


def test_incremental_targets() -> None:
    results = [
        result(20_000_000, dbt=summary(wall=150), incremental=summary(wall=12, lines_appended=27_000)),
        result(200_000_000, dbt=summary(wall=700), incremental=summary(wall=90, lines_appended=270_000)),
    ]
    at_20m = bench.target_incremental_share(results, 20_000_000)
    assert at_20m == "met: 12.0 s after 27,000 lines appended vs full build 150.0 s (8.0%; limit 10%)"
    assert bench.target_incremental_share(results, 200_000_000).startswith("MISSED: 90.0 s")
    failed = [result(20_000_000, dbt=summary(wall=150), incremental=summary("failed", 41, 0.5))]
    assert bench.target_incremental_share(failed, 20_000_000).startswith("MISSED: incremental run failed")
    assert bench.target_incremental_share([result(20_000_000, dbt=summary())], 20_000_000) == "not measured"


def test_time_and_memory_targets_against_pandas() -> None:
    results = [
        result(None, dbt=summary(wall=50), pandas=summary(wall=30)),
        result(20_000_000, dbt=summary(wall=100, peak_gib=1.8), pandas=summary(wall=110, peak_gib=10)),
    ]
    assert bench.target_time_vs_pandas(results, None, 2.0).startswith("met: 1.67x (dbt build 50.0 s")
    assert bench.target_time_vs_pandas(results, None, 1.0).startswith("MISSED: 1.67x")
    assert bench.target_time_vs_pandas(results, 20_000_000, 1.0).startswith("met: 0.91x")
    assert bench.target_memory_vs_pandas(results, 20_000_000, 0.2).startswith("met: 0.18x (1.80 GiB")
    assert bench.target_memory_vs_pandas(results, 20_000_000, 0.1).startswith("MISSED")
    assert bench.target_time_vs_pandas(results, 200_000_000, 1.0) == "not measured"


def test_targets_against_a_pandas_run_that_did_not_finish_are_bounds() -> None:
    dbt = summary(wall=100, peak_gib=2)
    late = [result(20_000_000, dbt=dbt, pandas=summary("oom", 300, 20))]
    early = [result(20_000_000, dbt=dbt, pandas=summary("oom", 30, 20))]
    assert bench.target_time_vs_pandas(late, 20_000_000, 1.0).startswith("met (at most): 0.33x")
    assert "pandas out of memory at 20.0 GiB after 300 s" in bench.target_time_vs_pandas(
        late, 20_000_000, 1.0
    )
    assert bench.target_time_vs_pandas(early, 20_000_000, 1.0).startswith("not determined")
    assert bench.target_memory_vs_pandas(early, 20_000_000, 0.2).startswith("met (at most): 0.10x")
    failed_build = [result(20_000_000, dbt=summary("oom", 60, 20), pandas=summary())]
    assert bench.target_time_vs_pandas(failed_build, 20_000_000, 1.0).startswith("MISSED: dbt build")


def test_200m_target_needs_the_time_and_the_memory_cap() -> None:
    def at_200m(wall: float, cap: int | None) -> list[object]:
        details = {} if cap is None else {"duckdb_memory_limit_bytes": cap}
        return [result(200_000_000, dbt=summary(wall=wall, peak_gib=4.1, **details))]

    assert bench.target_200m_completes(at_200m(700, 2 * 10**9)) == (
        "met: 11.7 min (limit 12), peak RSS 4.10 GiB, DuckDB memory_limit 2.0 GB"
    )
    assert bench.target_200m_completes(at_200m(800, 2 * 10**9)).startswith("MISSED: 13.3 min")
    assert bench.target_200m_completes(at_200m(700, 6 * 10**9)).startswith("MISSED")
    assert bench.target_200m_completes(at_200m(700, None)).startswith("not determined")
    assert bench.target_200m_completes([result(200_000_000, dbt=summary("oom", 300, 20))]).startswith(
        "MISSED"
    )
    assert bench.target_200m_completes([result(20_000_000, dbt=summary())]) == "not measured"


def test_sql_layer_target() -> None:
    results = [result(20_000_000, dbt=summary(sql_seconds=9), floor=summary(query_seconds=3))]
    assert (
        bench.target_sql_layer_floor(results) == "met: SQL layer 9.0 s vs floor query 3.0 s (3.00x; limit 3x)"
    )
    slower = [result(20_000_000, dbt=summary(sql_seconds=10), floor=summary(query_seconds=3))]
    assert bench.target_sql_layer_floor(slower).startswith("MISSED")


def test_every_target_of_the_issue_has_a_line() -> None:
    lines = bench.target_lines([])
    assert len(lines) == 7
    assert all(line.endswith("**not measured**") for line in lines)
    assert sum("incremental" in line for line in lines) == 2


def test_report_has_the_table_targets_agreement_and_unfinished_runs() -> None:
    dbt = summary(wall=5, customers=3, monetary=9.0)
    incremental = summary(wall=1, customers=3, monetary=12.0, expected_customers=3, expected_monetary=12.0)
    failed = bench.Run("incremental", measurement("failed", 41, 0.5), {"failed_nodes": ["not_null_x"]})
    results = [
        bench.DatasetResult(
            bench.Dataset("real (r.parquet)", Path("r.parquet"), 1_067_371),
            {"dbt": dbt, "incremental": incremental, "pandas": summary(wall=4, customers=3, monetary=9.0)},
            {"incremental": [failed]},
        )
    ]
    markdown = bench.report_markdown(results, "THE TABLE", 20 * GIB, ["2 cores"], "THE RUNS")
    assert "THE TABLE" in markdown and "THE RUNS" in markdown
    assert "Online Retail II: full build <= 2.0x the pandas reference's time: **met: 1.25x" in markdown
    assert "pandas vs the dbt customers mart: agree: customers 3 vs 3" in markdown
    assert "incremental run vs a full build of both parts: agree: customers 3 vs 3" in markdown
    assert (
        "- real (r.parquet), incremental run 1: failed at 0.5 GiB after 41 s; failed dbt nodes: not_null_x"
        in (markdown)
    )
    assert "memory budget per run: 20.0 GiB" in markdown


def test_unfinished_runs_without_dbt_nodes_quote_the_output() -> None:
    run = bench.Run("pandas", bench.Measurement("oom", 28.0, 20 * GIB, "reading\nMemoryError\n"), {})
    results = [bench.DatasetResult(bench.Dataset("d", Path("d"), 1), {}, {"pandas": [run]})]
    assert bench.unfinished_lines(results) == [
        "- d, pandas run 1: out of memory at 20.0 GiB after 28 s; last output line: MemoryError"
    ]


# --- the one-day append ------------------------------------------------------------------------------


def append_source() -> pd.DataFrame:
    """Two days of lines; the last day holds a purchase, its duplicate, a cancellation, an
    adjustment, an odd invoice number, a guest and a line without an invoice."""
    rows = [
        ("490000", "22423", 1, "2011-12-08 10:00", 1.0),  # the largest invoice number
        ("489500", "85123A", 2, "2011-12-09 09:00", 1.0),
        ("489500", "85123A", 2, "2011-12-09 09:00", 1.0),  # exact duplicate
        ("C489501", "85123A", -1, "2011-12-09 11:00", 1.0),
        ("a489502", "B", 1, "2011-12-09 12:00", 2.0),
        ("X-7", "22423", 1, "2011-12-09 13:00", 2.0),
        ("489503", "21232", 4, "2011-12-09 14:00", None),
        (None, "21232", 1, "2011-12-09 15:00", 2.0),
    ]
    frame = pd.DataFrame(rows, columns=["Invoice", "StockCode", "Quantity", "InvoiceDate", "Customer ID"])
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
    frame["Description"], frame["Price"], frame["Country"] = "ITEM", 2.5, "United Kingdom"
    return frame[list(reference.COLUMNS)]


def test_append_day_copies_the_last_day_a_day_later_with_new_invoices(tmp_path: Path) -> None:
    source, out = tmp_path / "log.parquet", tmp_path / "append" / "day.parquet"
    append_source().to_parquet(source)
    assert bench.write_append_day(source, out) == 7
    appended = pd.read_parquet(out)
    assert list(appended.columns) == list(reference.COLUMNS)
    assert pd.read_parquet(source).dtypes.equals(appended.dtypes)
    assert (appended["InvoiceDate"].dt.date.astype(str) == "2011-12-10").all()
    # Every invoice moved by the same offset, past the file's largest (490000); letters kept.
    assert appended["Invoice"].tolist() == [
        "490001",
        "490001",
        "C490002",
        "a490003",
        "X-7-next",
        "490004",
        None,
    ]
    original = append_source().iloc[1:].reset_index(drop=True)
    unchanged = ["StockCode", "Quantity", "Price", "Customer ID", "Description", "Country"]
    pd.testing.assert_frame_equal(appended[unchanged], original[unchanged])


def test_append_day_is_classified_as_the_day_it_copies(tmp_path: Path) -> None:
    source, out = tmp_path / "log.parquet", tmp_path / "day.parquet"
    append_source().to_parquet(source)
    bench.write_append_day(source, out)
    last_day = tmp_path / "last_day.parquet"
    append_source().iloc[1:].to_parquet(last_day)
    # Customer 1's purchase counted once (its duplicate dropped), customer 2's odd invoice a purchase
    # too; the cancellation, the adjustment, the guest and the line without an invoice are not.
    assert floor_totals(out, tmp_path / "a") == floor_totals(last_day, tmp_path / "b") == (2, 7.5)
    assert pandas_totals(out) == (2, 7.5)


def test_append_day_needs_a_parquet_file(tmp_path: Path) -> None:
    source = tmp_path / "log.csv"
    append_source().to_csv(source, index=False)
    with pytest.raises(ValueError, match="parquet"):
        bench.write_append_day(source, tmp_path / "day.parquet")


# --- the pandas reference and the floor query agree ----------------------------------------------


def rules_frame() -> pd.DataFrame:
    """One line per cleaning rule, for two customers and a guest; purchases are marked in the names."""
    rows = [
        ("100", "85123A", 2, 3.0, 1.0),  # purchase of customer 1: 6.0
        ("100", "85123A", 2, 3.0, 1.0),  # exact duplicate
        ("101", "22423", 1, 10.0, 1.0),  # second invoice of customer 1: 10.0
        ("101", "POST", 1, 18.0, 1.0),  # postage (exact code)
        ("101", "gift_0001_20", 1, 20.0, 1.0),  # gift voucher (prefix, other case)
        ("A102", "B", 1, -50.0, 1.0),  # bad-debt adjustment
        ("C103", "22423", -1, 10.0, 1.0),  # cancellation: not a purchase
        ("C104", "22423", 1, 10.0, 1.0),  # cancellation with a positive quantity
        ("105", "22423", 1, 0.0, 2.0),  # free line
        ("106", "22423", 0, 5.0, 2.0),  # zero quantity
        ("107", "21232", 4, 2.5, 2.0),  # purchase of customer 2: 10.0
        ("108", "21232", 9, 1.0, None),  # guest: not a customer
    ]
    frame = pd.DataFrame(rows, columns=["Invoice", "StockCode", "Quantity", "Price", "Customer ID"])
    frame["Description"] = "ITEM"
    frame["Country"] = "United Kingdom"
    frame["InvoiceDate"] = pd.Timestamp("2011-12-01 10:00") + pd.to_timedelta(range(len(frame)), unit="D")
    frame.loc[1, "InvoiceDate"] = frame.loc[0, "InvoiceDate"]  # the duplicate repeats every field
    return frame[list(reference.COLUMNS)]


def pandas_features(path: Path) -> pd.DataFrame:
    lines = reference.classify(reference.load(path), reference.non_product_codes())
    return reference.customer_features(reference.purchase_invoices(lines.purchases), lines.snapshot)


def pandas_totals(path: Path) -> tuple[int, float]:
    features = pandas_features(path)
    return len(features), float(features["monetary"].sum())


def floor_totals(path: Path, tmp_path: Path) -> tuple[int, float]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    found = bench.floor_query(path, tmp_path / "floor.duckdb")
    return int(found["customers"]), float(found["monetary"])


def test_pandas_reference_and_floor_apply_every_rule(tmp_path: Path) -> None:
    path = tmp_path / "rules.parquet"
    rules_frame().to_parquet(path)
    assert pandas_totals(path) == (2, 26.0)
    assert floor_totals(path, tmp_path) == (2, 26.0)


def test_pandas_customer_features(tmp_path: Path) -> None:
    path = tmp_path / "rules.parquet"
    rules_frame().to_parquet(path)
    features = pandas_features(path).set_index("customer_id")
    # Ids as staging writes them; the snapshot is the day after the last line (2011-12-13).
    assert features.to_dict("index") == {
        "1": {"recency_days": 10, "frequency": 2, "monetary": 16.0, "tenure_days": 2},
        "2": {"recency_days": 2, "frequency": 1, "monetary": 10.0, "tenure_days": 0},
    }


def test_pandas_reference_and_floor_agree_on_synthetic_data(tmp_path: Path) -> None:
    path = tmp_path / "synthetic.parquet"
    generate_transactions(SyntheticConfig(n_customers=400, seed=5)).to_parquet(path)
    customers, monetary = pandas_totals(path)
    assert customers > 300
    floor_customers, floor_monetary = floor_totals(path, tmp_path)
    assert floor_customers == customers
    assert floor_monetary == pytest.approx(monetary, rel=1e-9)


def test_floor_reads_the_older_uci_csv_layout(tmp_path: Path) -> None:
    frame = rules_frame().rename(
        columns={"Invoice": "InvoiceNo", "Price": "UnitPrice", "Customer ID": "CustomerID"}
    )
    frame["InvoiceDate"] = frame["InvoiceDate"].dt.strftime("%m/%d/%Y %H:%M")
    path = tmp_path / "rules.csv"
    frame.to_csv(path, index=False)
    assert pandas_totals(path) == (2, 26.0)
    assert floor_totals(path, tmp_path) == (2, 26.0)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.Series([12346.0, None, 12347.5]), ["12346", None, "12347.5"]),
        (
            pd.Series(["12346.0", " 12347 ", "", "nan", None, "C-9"]),
            ["12346", "12347", None, None, None, "C-9"],
        ),
    ],
)
def test_customer_ids_as_staging_writes_them(values: pd.Series, expected: list[str | None]) -> None:
    assert reference.customer_ids(values).tolist() == expected


# --- the pandas reference builds the Python models' inputs as the SQL models do --------------------


def first_purchase_lines() -> pd.DataFrame:
    """Customer 1: first invoice (two lines) on Monday 2010-03-08, a cancellation before it, one invoice
    within the year and one after; customer 2: first invoice too recent for a full year; customer 3:
    first seen in the left-censoring window (left out); customer 4 on the last day; a guest invoice."""
    rows = [
        ("100", "A1", 2, 1.0, 3.0, "2010-01-02 08:00", "France"),  # customer 3, censored
        ("C101", "A1", -1, 1.0, 1.0, "2010-02-20 09:00", "France"),
        ("102", "A1", 2, 1.0, 1.0, "2010-03-08 14:30", "France"),
        ("102", "B2", 1, 3.0, 1.0, "2010-03-08 14:30", "France"),
        ("103", "A1", 1, 2.0, 1.0, "2010-12-01 10:00", "France"),  # within 365 days
        ("104", "A1", 1, 7.0, 1.0, "2011-06-01 10:00", "France"),  # after them
        ("105", "A1", 3, 1.0, 2.0, "2011-11-20 16:00", "United Kingdom"),
        ("106", "A1", 5, 1.0, None, "2011-11-21 10:00", "United Kingdom"),  # guest
        ("107", "B2", 1, 4.0, 2.0, "2011-11-22 10:00", "United Kingdom"),
        ("108", "B2", 1, 4.0, 4.0, "2011-12-09 10:00", "United Kingdom"),  # ends the data
    ]
    columns = ["Invoice", "StockCode", "Quantity", "Price", "Customer ID", "InvoiceDate", "Country"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
    frame["Description"] = "ITEM"
    return frame[list(reference.COLUMNS)]


def test_first_purchases_as_int_customer_first_purchases(tmp_path: Path) -> None:
    path = tmp_path / "first.parquet"
    first_purchase_lines().to_parquet(path)
    lines = reference.classify(reference.load(path), reference.non_product_codes())
    invoices = reference.purchase_invoices(lines.purchases)
    segments = pd.DataFrame({"customer_id": ["1", "2", "3", "4"], "segment_id": [1, 2, 1, 2]})
    segments["segment_name"] = segments["segment_id"].map({1: "Champions", 2: "Lost"})
    first = reference.first_purchases(invoices, lines, segments).set_index("customer_id")
    assert first.index.tolist() == ["1", "2", "4"]  # 3 first bought in the data's first 60 days
    one, two = first.loc["1"], first.loc["2"]
    assert (one["first_invoiced_at"], one["first_invoice_date"]) == (
        pd.Timestamp("2010-03-08 14:30"),
        pd.Timestamp("2010-03-08"),
    )
    assert bool(one["is_training"]) and not bool(two["is_training"])
    assert (one["first_invoice_value"], one["first_invoice_lines"], one["first_invoice_units"]) == (5.0, 2, 3)
    assert (one["first_invoice_distinct_products"], one["first_invoice_mean_unit_price"]) == (2, 2.0)
    # The home country has the most purchase invoices of identified customers (France 4, UK 3).
    assert bool(one["first_invoice_is_home_country"]) and not bool(two["first_invoice_is_home_country"])
    assert (one["first_invoice_month"], one["first_invoice_weekday"], one["first_invoice_hour"]) == (3, 0, 14)
    assert bool(one["had_cancellation_before_first_invoice"])
    assert not bool(two["had_cancellation_before_first_invoice"])
    assert (one["next_year_purchase_count"], one["next_year_purchase_value"]) == (1, 2.0)
    assert pd.isna(two["next_year_purchase_count"]) and pd.isna(two["next_year_purchase_value"])
    assert (one["final_segment_id"], one["final_segment_name"]) == (1, "Champions")


def test_pandas_reference_runs_the_python_models_work(tmp_path: Path) -> None:
    path = tmp_path / "synthetic.parquet"
    generate_transactions(SyntheticConfig(n_customers=400, seed=5)).to_parquet(path)
    found = reference.run(path)
    assert (found["customers"], found["monetary"]) == pytest.approx(floor_totals(path, tmp_path))
    assert reference.SegmentationConfig().k_min <= found["chosen_k"] <= reference.SegmentationConfig().k_max
    assert 0 < found["predicted_customers"] < found["customers"]
    assert found["training_customers"] > 0
    assert {"k diagnostics and stability", "prediction cross-validation"} <= set(found["seconds"])

"""Bad input catalogue: every bad file, bad line and awkward population goes through the real project.

Each case lands the file and runs dbt on it as a user would (its own warehouse) and asserts
what the user sees (exit status and a message naming the problem and where) and where the lines
end: staged, purchase, cancellation or quarantine with a reason, or nothing landed at all.

All dbt runs of this module start together, in two lanes, from one module fixture (dbt start-up
dominates their cost); the test functions only read the results:

- file-level cases land the file and build staging only;
- row-level flaws share one messy file, built once up to the marts, with one marker invoice per case;
- segment edge cases build the whole project on files of a few lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segmentation import pipeline
from tests.python.conftest import DbtCase, DbtCaseResult, copy_project, run_dbt_cases

pytestmark = pytest.mark.integration

HEADER = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
STAGE = ["run", "--select", "stg_retail__transactions"]
# Seeds and models only: the assertions below read the tables (dbt's data tests cost ~14 s a build).
BUILD = ["build", "--exclude-resource-type", "test", "unit_test"]
# Selected models and the data tests whose parents are all selected (reconciliation included).
BUILD_SELECTED = [
    "build",
    "--exclude-resource-type",
    "unit_test",
    "--indirect-selection",
    "cautious",
    "--select",
]
MESSY_SNAPSHOT = "2011-12-01"
# The cases that need vars share one --vars value: dbt reparses the project whenever --vars change,
# and a parse costs more than most of these runs. Each var only matters to the case that needs it.
# raw_columns names a column only the renamed_column_named_by_var case has; the others keep the UCI names.
COMMON_VARS = (
    f"{{snapshot_date: '{MESSY_SNAPSHOT}', segmentation: {{k_min: 4}}, raw_columns: {{quantity: Qty}}}}"
)


def line(
    invoice: str,
    quantity: str = "6",
    when: str = "2011-03-01 10:00:00",
    price: str = "2.55",
    customer: str = "17850",
    country: str = "United Kingdom",
    code: str = "85123A",
) -> list[str]:
    """One raw line as written in a file (all text); the defaults make a clean purchase."""
    return [invoice, code, "WHITE HANGING HEART", quantity, when, price, customer, country]


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


GOOD_ROWS = [line("489434"), line("489435", customer="13085"), line("489436", customer="13085")]


def staged(warehouse: Path) -> pd.DataFrame | None:
    """The staged lines, or None when the raw file never landed (the hook refused it)."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        landed = con.execute(
            "select count(*) from information_schema.tables where table_name = 'stg_retail__transactions'"
        ).fetchone()[0]
        if not landed:
            return None
        return con.execute("select * from stg_retail__transactions order by source_row_number").df()


# --------------------------------------------------------------------------------------------
# File-level cases
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileCase:
    name: str
    file_name: str
    content: bytes | None  # None: the file does not exist
    # Expected in the output; "{path}" stands for the file's path. Empty for cases that land.
    messages: tuple[str, ...] = ()
    # Who refuses the file: the landing step (before dbt starts) or staging (an unknown layout).
    refused_by: str = "landing"
    dbt_vars: str | None = None
    staged_lines: int | None = None  # lines staged when the file lands
    check: Callable[[pd.DataFrame], None] | None = field(default=None, compare=False)


def _check_latin1(lines: pd.DataFrame) -> None:
    assert lines["description"].tolist()[-1] == "GIFT VOUCHER £20"


def _check_bom(lines: pd.DataFrame) -> None:
    # The BOM must not stick to the first column name (it would no longer match "Invoice").
    assert lines["invoice_no"].tolist() == ["489434", "489435", "489436", "489437"]
    assert lines["description"].tolist()[-1] == "GIFT VOUCHER £20"


def _check_extra_columns(lines: pd.DataFrame) -> None:
    assert "Discount" not in lines.columns and "discount" not in lines.columns
    assert lines["unit_price"].astype(float).tolist() == [2.55] * 3


def _check_semicolons(lines: pd.DataFrame) -> None:
    assert lines["country"].tolist() == ["United Kingdom"] * 3
    assert lines["quantity"].tolist() == [6, 6, 6]


VOUCHER = [line("489437", code="GIFT_0001_20") for _ in range(1)]
VOUCHER[0][2] = "GIFT VOUCHER £20"
RAGGED = [*GOOD_ROWS[:2], ["489440", "22633", "HAND WARMER", "RED", "6", "2011-03-01 10:00:00", "2.1",
                           "17850", "United Kingdom"], GOOD_ROWS[2]]  # fmt: skip

FILE_CASES = [
    FileCase("missing", "nowhere.csv", None, ("{path}: file not found",)),
    FileCase("empty", "empty.csv", b"", ("{path}: the file is empty",)),
    FileCase(
        "blank_first_line",
        "blank.csv",
        b"\n" + csv_bytes(GOOD_ROWS),
        ("{path}: is empty or its first line is blank",),
    ),
    FileCase(
        "header_only", "header_only.csv", csv_bytes([HEADER]), ("{path}: has a header but no data lines",)
    ),
    FileCase(
        "renamed_column",
        "renamed.csv",
        csv_bytes([[name if name != "Quantity" else "Qty" for name in HEADER], *GOOD_ROWS]),
        (
            "Unknown raw transaction layout",
            "Missing: a money amount. Optional: invoice_no, stock_code,",
            "quantity (Quantity)",
            "Columns found: Invoice, StockCode,",
            "Qty",
        ),
        refused_by="staging",
    ),  # fmt: skip
    FileCase(
        "renamed_column_named_by_var",
        "renamed_by_var.csv",
        csv_bytes([[name if name != "Quantity" else "Qty" for name in HEADER], *GOOD_ROWS]),
        dbt_vars=COMMON_VARS,
        staged_lines=3,
        check=_check_semicolons,
    ),
    FileCase(
        "missing_columns",
        "three_columns.csv",
        csv_bytes([row[:3] for row in [HEADER, *GOOD_ROWS]]),
        ("Missing: customer_id, invoiced_at, a money amount.",),
        refused_by="staging",
    ),
    FileCase(
        "extra_columns",
        "extra.csv",
        csv_bytes([[*HEADER, "Discount"], *[[*row, "0.1"] for row in GOOD_ROWS]]),
        staged_lines=3,
        check=_check_extra_columns,
    ),
    FileCase(
        "semicolons",
        "semicolons.csv",
        csv_bytes([HEADER, *GOOD_ROWS], ";"),
        staged_lines=3,
        check=_check_semicolons,
    ),  # fmt: skip
    FileCase(
        "colon_delimiter",
        "colons.csv",
        csv_bytes([HEADER, *GOOD_ROWS], ":"),
        ("{path}: cannot be split into columns", "holds no comma, semicolon, tab, pipe or space"),
    ),
    FileCase(
        "unquoted_delimiter_in_a_field",
        "ragged.csv",
        csv_bytes([HEADER, *RAGGED]),
        (
            "{path}: 1 line(s) do not have as many fields as the header, first line 4",
            "HAND WARMER,RED",
            "Expected Number of Columns: 8 Found: 9",
        ),
    ),  # fmt: skip
    FileCase(
        "latin1_detected",
        "latin1.csv",
        csv_bytes([HEADER, *GOOD_ROWS, *VOUCHER], encoding="latin-1"),
        staged_lines=4,
        check=_check_latin1,
    ),
    # Paths come from users too: a quote or a semicolon is only a character of the name (the
    # landing step quotes the path, and dbt only ever sees the landed file's).
    FileCase(
        "path_with_quote_and_semicolon",
        "it's; drop table customers --.csv",
        csv_bytes([HEADER, *GOOD_ROWS]),
        staged_lines=3,
        check=_check_semicolons,
    ),
    FileCase(
        "utf8_with_bom",
        "bom.csv",
        b"\xef\xbb\xbf" + csv_bytes([HEADER, *GOOD_ROWS, *VOUCHER]),
        staged_lines=4,
        check=_check_bom,
    ),
]


def file_case_path(root: Path, case: FileCase) -> Path:
    return root / "files" / case.file_name


def file_dbt_cases(root: Path) -> list[DbtCase]:
    (root / "files").mkdir(parents=True)
    cases = []
    for case in FILE_CASES:
        path = file_case_path(root, case)
        if case.content is not None:
            path.write_bytes(case.content)
        cases.append(DbtCase(f"file:{case.name}", STAGE, path, case.dbt_vars, inspect=staged))
    return cases


# --------------------------------------------------------------------------------------------
# Row-level flaws: one messy file, one marker invoice per case
# --------------------------------------------------------------------------------------------

# invoice -> (what it tests, line as written)
MARKERS: dict[str, list[str]] = {
    "700001": line("700001", when="31/31/2010 10:00"),  # no such date
    "700002": line("700002", when="01.12.2010 08:26"),  # day-first with dots, in an ISO file
    "700003": line("700003", when="12/01/2010 08:26"),  # m/d/Y (or d/m/Y) in an ISO file
    "700004": line("700004", when="2010-12-02T08:26:00"),  # ISO with a T
    "700005": line("700005", when="25/12/2010 10:00"),  # d/m/Y in an ISO file
    "700006": line("700006", quantity="twelve"),
    "700007": line("700007", quantity="1.5"),
    "700008": line("700008", price="£2.55"),
    "700009": line("700009", price="2,55"),  # decimal comma (quoted in the CSV)
    "700010": line("700010", quantity="99999999999999999999"),  # beyond a 64-bit integer
    "700011": line("700011", price="1e20"),  # beyond the money type
    "700012": line("700012", quantity="1000000", price="99999.99"),  # absurd but representable
    "700013": line("700013", quantity="NaN"),
    "700014": line("700014", price="inf"),
    "700015": line("700015", price="-Infinity"),
    "700016": line("700016", when="2011-12-05 10:00:00"),  # after the snapshot date
    "700017": line("700017", when=f"{MESSY_SNAPSHOT} 00:00:00"),  # on the snapshot date
    "700021": line("700021", customer="12346.0"),  # one customer written three ways
    "700022": line("700022", customer=" 12346 ", when="2011-04-01 10:00:00"),
    "700023": line("700023", customer="12346", when="2011-05-01 10:00:00"),
    "700031": line("700031", customer="12347", country="France"),  # one customer, two countries
    "700032": line("700032", customer="12347", country="France", when="2011-04-01 10:00:00"),
    "700033": line(
        "700033", customer="12347", country="Germany", when="2011-05-01 10:00:00", quantity="600"
    ),  # fmt: skip
}
MESSY_ROWS = [
    *GOOD_ROWS,
    *list(MARKERS.values())[:10],
    HEADER,  # files joined end to end repeat the header
    *list(MARKERS.values())[10:],
    HEADER,
]


def messy_outcomes(warehouse: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            "lines": con.execute(
                "select * from int_transaction_lines_classified order by source_row_number"
            ).df(),
            "customers": con.execute("select * from customers order by customer_id").df(),
            "outcomes": con.execute("select * from transaction_line_outcomes").df(),
            "coverage": con.execute("select * from data_coverage").df(),
            "summary": pipeline.summarise(warehouse),
        }


def messy_dbt_case(root: Path) -> DbtCase:
    path = root / "messy.csv"
    # Latin-1 (the landing step detects it): the '£' of a marker is one byte.
    path.write_bytes(csv_bytes([HEADER, *MESSY_ROWS], encoding="latin-1"))
    # What the assertions and the run summary read.
    select = (
        "+customers +transaction_line_outcomes +customer_outcomes +int_excluded_lines +data_coverage"
        " exclusion_reasons"
    )
    return DbtCase("messy", [*BUILD_SELECTED, select], path, COMMON_VARS, inspect=messy_outcomes)


# --------------------------------------------------------------------------------------------
# Segment edge cases: whole builds on tiny files
# --------------------------------------------------------------------------------------------


def history(customer: str, invoices: int, start: int, quantity: int = 6) -> list[list[str]]:
    """`invoices` monthly purchases of one customer, invoice numbers from `start`."""
    return [
        line(str(start + i), quantity=str(quantity), when=f"2011-{i + 1:02d}-10 09:00:00", customer=customer)
        for i in range(invoices)
    ]


def segment_tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    tables = ["segment_k_diagnostics", "customer_segments", "segment_profiles", "transaction_line_outcomes",
              "customers", "customer_next_year_predictions"]  # fmt: skip
    found: dict[str, pd.DataFrame] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        existing = {
            row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()
        }
        for table in tables:
            if table in existing:
                found[table] = con.execute(f"select * from {table}").df()
    return found


SEGMENT_FILES: dict[str, tuple[list[list[str]], str | None]] = {
    "single_customer": (history("17850", 5, 800000), None),
    "fewer_customers_than_smallest_k": (
        [*history("1", 2, 801000), *history("2", 6, 802000, 20), *history("3", 9, 803000, 90)],
        COMMON_VARS,  # k_min: 4
    ),
    "identical_customers": ([row for c in "1234" for row in history(c, 3, 804000 + 100 * int(c))], None),
    "all_cancellations": (
        [line(f"C{805000 + i}", quantity="-2", customer=str(12000 + i % 3)) for i in range(12)],
        None,
    ),
}


def segment_dbt_cases(root: Path) -> list[DbtCase]:
    cases = []
    for name, (rows, dbt_vars) in SEGMENT_FILES.items():
        path = root / f"{name}.csv"
        path.write_bytes(csv_bytes([HEADER, *rows]))
        cases.append(DbtCase(f"segments:{name}", BUILD, path, dbt_vars, inspect=segment_tables))
    return cases


def empty_seed_project(root: Path) -> Path:
    """A copy of the project whose non-product stock code list is empty (its header only)."""
    project = copy_project(root / "project_empty_seed")
    seed = project / "seeds" / "non_product_stock_codes.csv"
    seed.write_text(seed.read_text().splitlines()[0] + "\n")
    return project


def seed_case(root: Path) -> DbtCase:
    path = root / "postage.csv"
    path.write_bytes(csv_bytes([HEADER, *GOOD_ROWS, line("489450", code="POST", price="18")]))

    def inspect(warehouse: Path) -> pd.DataFrame:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.execute("select * from int_transaction_lines_classified").df()

    return DbtCase(
        "empty_seed",
        [*BUILD_SELECTED, "+int_transaction_lines_classified exclusion_reasons"],
        path,
        project_dir=empty_seed_project(root),
        inspect=inspect,
    )


# The flaws a typed file can hold: a float quantity that is not whole or is NaN, a NaN or infinite
# price, a missing timestamp, a NaN customer id (a guest), and a typed exact duplicate.
# (invoice, quantity, invoiced at, price, customer id) -> expected reason (None: clean)
TYPED_LINES: list[tuple[tuple[str, float, str | None, float, float], str | None]] = [
    (("489434", 6.0, "2011-03-01 10:00:00", 2.55, 17850.0), None),
    (("489434", 6.0, "2011-03-01 10:00:00", 2.55, 17850.0), "duplicate_row"),
    (("489435", 1.5, "2011-03-01 10:00:00", 2.55, 13085.0), "unparseable_quantity"),
    (("489436", float("nan"), "2011-03-01 10:00:00", 2.55, 13085.0), "unparseable_quantity"),
    (("489437", 6.0, "2011-03-01 10:00:00", float("nan"), 13085.0), "unparseable_unit_price"),
    (("489438", 6.0, "2011-03-01 10:00:00", float("inf"), 13085.0), "unparseable_unit_price"),
    (("489439", 6.0, None, 2.55, 13085.0), "unparseable_invoice_date"),
    (("489440", 6.0, "2011-03-02 10:00:00", 2.55, float("nan")), None),
    (("489441", 6.0, "2011-03-03 10:00:00", 0.123456, 13085.0), None),
]


def typed_frame() -> pd.DataFrame:
    rows = [values for values, _ in TYPED_LINES]
    frame = pd.DataFrame(rows, columns=["Invoice", "Quantity", "InvoiceDate", "Price", "Customer ID"])
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
    frame.insert(1, "StockCode", "85123A")
    frame.insert(2, "Description", "WHITE HANGING HEART")
    frame["Country"] = "United Kingdom"
    return frame[HEADER]


def typed_cases(root: Path) -> list[DbtCase]:
    """The same lines as a typed parquet file (DOUBLE, TIMESTAMP) and as a CSV of text."""
    frame = typed_frame()
    parquet = root / "typed.parquet"
    # Written column by column so that NaN stays a NaN double (pandas would write it as a null).
    columns = {
        name: pa.array(frame[name], type=pa.timestamp("us"), from_pandas=True)
        if name == "InvoiceDate"
        else pa.array(frame[name].tolist(), from_pandas=False)
        for name in HEADER
    }
    table = pa.table(columns)
    pq.write_table(table, parquet)
    text = frame.astype(object).where(frame.notna(), "")
    text["InvoiceDate"] = frame["InvoiceDate"].dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
    text["Quantity"] = [repr(q) if q == q else "nan" for q in frame["Quantity"]]
    text["Price"] = [repr(p) if p == p else "nan" for p in frame["Price"]]
    csv_path = root / "typed_as_text.csv"
    csv_path.write_bytes(csv_bytes([HEADER, *text.astype(str).values.tolist()]))
    select = [*BUILD_SELECTED, "+int_transaction_lines_classified exclusion_reasons"]

    def inspect(warehouse: Path) -> dict[str, pd.DataFrame]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return {
                "landed": con.execute("describe raw.retail_transactions").df(),
                "lines": con.execute(
                    "select * from int_transaction_lines_classified order by source_row_number"
                ).df(),
            }

    return [
        DbtCase("typed:parquet", select, parquet, inspect=inspect),
        DbtCase("typed:csv", select, csv_path, inspect=inspect),
    ]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DbtCaseResult]:
    root = tmp_path_factory.mktemp("robustness_inputs")
    cases = [
        *file_dbt_cases(root),
        messy_dbt_case(root),
        *segment_dbt_cases(root),
        seed_case(root),
        *typed_cases(root),
    ]
    results = run_dbt_cases(cases, root / "runs")

    results["root"] = DbtCaseResult(0, "", 0.0, root)
    return results


# --------------------------------------------------------------------------------------------
# File-level tests
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", FILE_CASES, ids=[case.name for case in FILE_CASES])
def test_file_level_case(runs: dict[str, DbtCaseResult], case: FileCase) -> None:
    result = runs[f"file:{case.name}"]
    path = file_case_path(runs["root"].inspected, case)
    if case.staged_lines is None:
        # Refused before anything ran: a clear message, a failed exit and nothing staged.
        if case.refused_by == "landing":
            assert result.returncode == pipeline.EXIT_INPUT_ERROR, result.output[-3000:]
        else:
            assert result.returncode != 0, result.output[-3000:]
            assert "Compilation Error in model stg_retail__transactions" in result.output, result.output[
                -3000:
            ]
        for message in case.messages:
            assert message.format(path=path) in result.output, result.output[-3000:]
        assert result.inspected is None, "nothing may land from a refused file"
    else:
        assert result.returncode == 0, result.output[-3000:]
        lines = result.inspected
        assert lines is not None and len(lines) == case.staged_lines
        assert lines["source_row_number"].tolist() == list(range(1, case.staged_lines + 1))
        assert lines["invoiced_at"].notna().all() and lines["unit_price"].notna().all()
        assert case.check is not None
        case.check(lines)


def test_missing_and_empty_input_stop_the_main_job_before_dbt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for path, message in [(tmp_path / "nowhere.csv", "file not found"), (empty, "the file is empty")]:
        args = ["--input", str(path), "--warehouse", str(tmp_path / "w.duckdb")]
        assert pipeline.main(args) == pipeline.EXIT_INPUT_ERROR
        assert f"error: {path}: {message}" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


# --------------------------------------------------------------------------------------------
# Row-level tests on the messy file
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def messy(runs: dict[str, DbtCaseResult]) -> dict[str, pd.DataFrame]:
    result = runs["messy"]
    assert result.returncode == 0, result.output[-4000:]
    return result.inspected


def marker(messy: dict[str, pd.DataFrame], invoice: str) -> pd.Series:
    lines = messy["lines"]
    found = lines[lines["invoice_no"] == invoice]
    assert len(found) == 1, invoice
    return found.iloc[0]


def assert_quarantined(messy: dict[str, pd.DataFrame], invoice: str, reason: str) -> pd.Series:
    row = marker(messy, invoice)
    assert (row["line_status"], row["exclusion_reason"]) == ("excluded", reason), invoice
    return row


def test_every_raw_line_is_accounted_for(messy: dict[str, pd.DataFrame]) -> None:
    # The dbt reconciliation test ran in the build (exit 0); this checks it independently.
    lines = messy["lines"]
    assert len(lines) == len(MESSY_ROWS)
    assert lines["source_row_number"].tolist() == list(range(1, len(MESSY_ROWS) + 1))
    assert messy["outcomes"]["line_count"].sum() == len(MESSY_ROWS)
    excluded = lines[lines["line_status"] == "excluded"]
    assert excluded["exclusion_reason"].notna().all()
    assert "Raw lines read: 28" in messy["summary"]


def test_unparseable_and_unknown_format_dates_are_quarantined_with_the_text(
    messy: dict[str, pd.DataFrame],
) -> None:
    for invoice, text in [("700001", "31/31/2010 10:00"), ("700002", "01.12.2010 08:26")]:
        assert assert_quarantined(messy, invoice, "unparseable_invoice_date")["raw_invoiced_at"] == text


def test_dates_in_a_second_format_are_quarantined_not_guessed(messy: dict[str, pd.DataFrame]) -> None:
    # the file's dates are ISO (detected): a T between date and time is still ISO
    row = marker(messy, "700004")
    assert (row["line_status"], row["invoiced_at"]) == ("purchase", pd.Timestamp("2010-12-02 08:26"))
    # a d/m or m/d date among ISO ones is not read in a second format, whichever would fit
    for invoice, text in [("700003", "12/01/2010 08:26"), ("700005", "25/12/2010 10:00")]:
        assert assert_quarantined(messy, invoice, "unparseable_invoice_date")["raw_invoiced_at"] == text


def test_non_numeric_quantity_and_price_are_quarantined(messy: dict[str, pd.DataFrame]) -> None:
    assert assert_quarantined(messy, "700006", "unparseable_quantity")["raw_quantity"] == "twelve"
    assert assert_quarantined(messy, "700007", "unparseable_quantity")["raw_quantity"] == "1.5"
    assert assert_quarantined(messy, "700008", "unparseable_unit_price")["raw_unit_price"] == "£2.55"
    assert assert_quarantined(messy, "700009", "unparseable_unit_price")["raw_unit_price"] == "2,55"


def test_absurdly_large_values_are_quarantined_or_kept_exactly(messy: dict[str, pd.DataFrame]) -> None:
    too_many = assert_quarantined(messy, "700010", "unparseable_quantity")
    assert too_many["raw_quantity"] == "99999999999999999999"
    assert assert_quarantined(messy, "700011", "unparseable_unit_price")["raw_unit_price"] == "1e20"
    # Representable, so kept: the value is exact (no float rounding, no overflow downstream).
    huge = marker(messy, "700012")
    assert huge["line_status"] == "purchase"
    assert huge["line_value"] == 99999990000.0
    customer = messy["customers"].set_index("customer_id").loc["17850"]
    assert float(customer["monetary"]) >= 99999990000


def test_nan_and_infinity_are_quarantined(messy: dict[str, pd.DataFrame]) -> None:
    # 'NaN' is one of the words meaning "no value" (pandas writes it), so no raw text is kept.
    assert assert_quarantined(messy, "700013", "unparseable_quantity")["raw_quantity"] is None
    assert assert_quarantined(messy, "700014", "unparseable_unit_price")["raw_unit_price"] == "inf"
    assert assert_quarantined(messy, "700015", "unparseable_unit_price")["raw_unit_price"] == "-Infinity"


def test_lines_on_or_after_the_snapshot_date_are_quarantined(messy: dict[str, pd.DataFrame]) -> None:
    assert_quarantined(messy, "700016", "after_snapshot_date")
    assert_quarantined(messy, "700017", "after_snapshot_date")
    coverage = messy["coverage"].iloc[0]
    assert str(coverage["snapshot_date"])[:10] == MESSY_SNAPSHOT
    assert bool(coverage["is_snapshot_date_from_var"])


def test_repeated_header_rows_are_quarantined_as_such(messy: dict[str, pd.DataFrame]) -> None:
    lines = messy["lines"]
    headers = lines[lines["exclusion_reason"] == "repeated_header_row"]
    assert headers["source_row_number"].tolist() == [14, 28]
    assert set(headers["invoice_no"]) == {"Invoice"}
    assert "repeated_header_row" in messy["summary"]


def test_customer_ids_with_trailing_zero_or_spaces_are_one_customer(messy: dict[str, pd.DataFrame]) -> None:
    for invoice in ["700021", "700022", "700023"]:
        assert marker(messy, invoice)["customer_id"] == "12346"
    customers = messy["customers"]
    assert customers["customer_id"].str.contains(r"\.|\s", regex=True).sum() == 0
    assert customers.set_index("customer_id").loc["12346", "frequency"] == 3


def test_customer_in_two_countries_is_one_customer_with_the_main_country(
    messy: dict[str, pd.DataFrame],
) -> None:
    customers = messy["customers"]
    rows = customers[customers["customer_id"] == "12347"]
    assert len(rows) == 1
    # Two invoices in France beat one larger one in Germany: invoices count first.
    assert rows.iloc[0]["main_country"] == "France"
    assert rows.iloc[0]["frequency"] == 3


# --------------------------------------------------------------------------------------------
# Segment edge cases and seeds
# --------------------------------------------------------------------------------------------


def built_segments(runs: dict[str, DbtCaseResult], name: str) -> dict[str, pd.DataFrame]:
    result = runs[f"segments:{name}"]
    assert result.returncode == 0, result.output[-4000:]
    assert "Completed successfully" in result.output
    return result.inspected


def assert_single_segment(tables: dict[str, pd.DataFrame], customers: int) -> None:
    diagnostics = tables["segment_k_diagnostics"]
    assert diagnostics[["k", "is_chosen"]].values.tolist() == [[1, True]]
    assert diagnostics.iloc[0]["choice_reason"].startswith(f"single segment: {customers} customer(s)")
    segments = tables["customer_segments"]
    assert len(segments) == customers == len(tables["customers"])
    assert set(segments["segment_name"]) == {"All customers"}
    assert tables["segment_profiles"]["customer_share"].sum() == pytest.approx(1.0)


def test_single_customer_is_one_segment(runs: dict[str, DbtCaseResult]) -> None:
    tables = built_segments(runs, "single_customer")
    assert_single_segment(tables, 1)
    # Too little history for the new-customer models: they are skipped with a warning, not a failure.
    assert tables["customer_next_year_predictions"].empty
    assert "no new-customer model is trained" in runs["segments:single_customer"].output


def test_fewer_customers_than_the_smallest_k_is_one_segment(runs: dict[str, DbtCaseResult]) -> None:
    tables = built_segments(runs, "fewer_customers_than_smallest_k")
    assert_single_segment(tables, 3)
    assert "leave no k in [4, 10] to evaluate" in tables["segment_k_diagnostics"].iloc[0]["choice_reason"]


def test_identical_customers_are_one_segment(runs: dict[str, DbtCaseResult]) -> None:
    tables = built_segments(runs, "identical_customers")
    assert_single_segment(tables, 4)
    assert "with 1 distinct feature profile(s)" in tables["segment_k_diagnostics"].iloc[0]["choice_reason"]


def test_all_cancellations_fail_the_segment_model_with_the_reason(runs: dict[str, DbtCaseResult]) -> None:
    result = runs["segments:all_cancellations"]
    assert result.returncode == 1
    assert "segment_k_diagnostics" in result.output
    assert "customers frame has no rows; nothing to segment" in result.output
    assert "See transaction_line_outcomes" in result.output
    tables = result.inspected
    # The SQL side is built and says where the lines went; no segment table was created.
    outcomes = tables["transaction_line_outcomes"]
    assert outcomes[["line_status", "line_count"]].values.tolist() == [["cancellation", 12]]
    assert tables["customers"].empty
    assert "customer_segments" not in tables


def test_empty_stock_code_list_quarantines_no_line_as_non_product(runs: dict[str, DbtCaseResult]) -> None:
    result = runs["empty_seed"]
    assert result.returncode == 0, result.output[-4000:]
    lines = result.inspected
    assert "non_product_stock_code" not in set(lines["exclusion_reason"].dropna())
    assert lines.set_index("invoice_no").loc["489450", "line_status"] == "purchase"
    assert len(lines) == 4


# --------------------------------------------------------------------------------------------
# Typed parquet columns
# --------------------------------------------------------------------------------------------


def test_typed_parquet_keeps_its_types_and_quarantines_the_same_lines_as_text(
    runs: dict[str, DbtCaseResult],
) -> None:
    typed, text = runs["typed:parquet"], runs["typed:csv"]
    assert typed.returncode == 0, typed.output[-3000:]
    assert text.returncode == 0, text.output[-3000:]
    landed = typed.inspected["landed"].set_index("column_name")["column_type"]
    assert [landed["Quantity"], landed["InvoiceDate"], landed["Price"], landed["Customer ID"]] == [
        "DOUBLE", "TIMESTAMP", "DOUBLE", "DOUBLE",
    ]  # fmt: skip
    assert set(text.inspected["landed"]["column_type"]) - {"BIGINT"} == {"VARCHAR"}

    expected = [reason for _, reason in TYPED_LINES]
    for result in (typed, text):
        lines = result.inspected["lines"]
        assert lines["exclusion_reason"].where(lines["exclusion_reason"].notna(), None).tolist() == expected
    compared = ["line_status", "quantity", "unit_price", "invoiced_at", "customer_id", "is_guest"]
    pd.testing.assert_frame_equal(typed.inspected["lines"][compared], text.inspected["lines"][compared])

    lines = typed.inspected["lines"].set_index("invoice_no")
    assert lines.loc["489440", "is_guest"], "a NaN customer id is a guest, not customer 'nan'"
    assert lines.loc["489434", "customer_id"].tolist() == ["17850", "17850"]
    assert lines.loc["489441", "customer_id"] == "13085"
    assert float(lines.loc["489441", "unit_price"]) == 0.1235
    # The typed value written as text explains the quarantine, NaN included.
    assert lines.loc["489435", "raw_quantity"] == "1.5"
    assert lines.loc["489436", "raw_quantity"] == "nan"
    assert lines.loc["489438", "raw_unit_price"] == "inf"

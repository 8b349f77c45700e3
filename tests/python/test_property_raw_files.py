"""Property-based: raw files with random flaws through the real landing, staging and classification.

Hypothesis draws invoice-line files (tests/python/raw_files.py): flawed cells, copies of lines and of
the header, blank lines, any delimiter, quoting, line end and encoding, typed parquet with NaN and
infinity, and now and then a line no reader can split. Each goes through segmentation.land and the
SQL of every model up to transaction_line_outcomes, compiled by dbt once per landed schema and run
in DuckDB (tests/python/compiled_chain.py), which keeps a file to a fraction of a second. Whatever
is drawn:

- a file the pipeline cannot read is refused with a named error: the landing step's InputFileError,
  or dbt's "Bad input:" message (no line has a date that parses), and exactly when it must be;
- otherwise every line of the file is one row of int_transaction_lines_classified with one outcome,
  a flawed line gets the first reason its flaws trigger and a clean line none of those, every
  number is read as the file gives it, and lines and money in transaction_line_outcomes add up to
  the file's exactly.

Examples per run and layout: TEXT_EXAMPLES text files and TYPED_EXAMPLES parquet files (below);
the module takes about 40 s of CPU (60-110 s on two cores shared with other builds), a dbt seed
and two compiles (one per landed schema) included. A failure prints the drawn file, shrunk;
hypothesis' database (.hypothesis/) replays it first on the next run.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from segmentation import land
from segmentation.pipeline import BAD_INPUT_MARKER
from tests.python.compiled_chain import CompiledChains
from tests.python.raw_files import (
    CUSTOMER_DATE_AMOUNT,
    DUPLICATE,
    ORDERS,
    REPEATED_HEADER,
    UCI_LINES,
    Layout,
    RawFile,
    Refusal,
    raw_files,
)

pytestmark = pytest.mark.integration

# Per layout: three layouts in under two minutes.
TEXT_EXAMPLES = 60
TYPED_EXAMPLES = 25
CLASSIFIED_NAMES = {"line_total": "line_value"}
LINE_STATUSES = {"purchase", "cancellation", "excluded"}


def examples(count: int) -> settings:
    # Each example writes files and builds a warehouse: slow for hypothesis' taste, not for ours.
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


@pytest.fixture(scope="module")
def chains(tmp_path_factory: pytest.TempPathFactory) -> CompiledChains:
    return CompiledChains(tmp_path_factory.mktemp("compiled_chains"))


def flaw_reasons(layout: Layout) -> set[str]:
    """The reasons the generator's flaws give: a clean line must get none of them."""
    return {REPEATED_HEADER, DUPLICATE} | {column.reason for column in layout.columns if column.reason}


def check_file(raw: RawFile, chains: CompiledChains) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = raw.write(Path(folder) / f"raw{raw.suffix}")
        refusal: Refusal | None = None
        try:
            landed = land.land(path, Path(folder) / "landed.parquet")
            con = chains.run(landed.path)
        except land.InputFileError:
            refusal = "landing"
        except duckdb.Error as error:
            if BAD_INPUT_MARKER not in str(error):
                raise
            refusal = "bad_input"
        # `--hypothesis-show-statistics` shows how the examples divide.
        event(f"refused by {refusal}" if refusal else "read")
        assert refusal == raw.expected_refusal()
        if refusal is None:
            with con:
                check_outcomes(raw, landed.line_count, con)


def check_outcomes(raw: RawFile, landed_lines: int, con: duckdb.DuckDBPyConnection) -> None:
    numbers = [column.canonical for column in raw.layout.columns if column.kind in ("integer", "money")]
    # the classified table holds a line total as the line's value, exactly as given
    stored = [CLASSIFIED_NAMES.get(name, name) for name in numbers]
    lines = con.execute(
        f"select source_row_number, line_status, exclusion_reason, {', '.join(stored)}"
        " from int_transaction_lines_classified order by source_row_number"
    ).fetchall()
    assert landed_lines == len(lines) == len(raw.records)
    assert [line[0] for line in lines] == list(range(1, len(raw.records) + 1))
    controlled = flaw_reasons(raw.layout)
    for record, expected, (row, status, reason, *parsed) in zip(
        raw.records, raw.expected_reasons(), lines, strict=True
    ):
        assert status in LINE_STATUSES, row
        assert (reason is not None) == (status == "excluded"), row
        if expected is not None:
            assert reason == expected, f"line {row}: {record}"
        else:
            assert reason not in controlled, f"line {row}: {record}"
        if record.kind != "header":
            assert parsed == [record.cells[name].number for name in numbers], f"line {row}: {record}"
    total_lines, total_value = con.execute(
        "select sum(line_count)::bigint, sum(line_value) from transaction_line_outcomes"
    ).fetchone()
    assert total_lines == len(raw.records)
    assert Decimal(total_value) == raw.expected_value()


# The grains drawn; another layout is one more entry.
LAYOUTS = (UCI_LINES, ORDERS, CUSTOMER_DATE_AMOUNT)


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout.name for layout in LAYOUTS])
@given(data=st.data())
@examples(TEXT_EXAMPLES)
def test_text_files_are_read_line_for_line_or_refused_by_name(
    layout: Layout, data: st.DataObject, chains: CompiledChains
) -> None:
    check_file(data.draw(raw_files(layout, typed=False), label="raw"), chains)


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout.name for layout in LAYOUTS])
@given(data=st.data())
@examples(TYPED_EXAMPLES)
def test_typed_files_are_read_line_for_line_or_refused_by_name(
    layout: Layout, data: st.DataObject, chains: CompiledChains
) -> None:
    check_file(data.draw(raw_files(layout, typed=True), label="raw"), chains)

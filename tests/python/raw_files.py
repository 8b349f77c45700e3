"""Raw transaction files with random flaws, drawn by hypothesis, and what the pipeline must make of them.

A `Layout` names a grain's columns, the kind of value each holds and the header it is exported with;
`raw_files(layout)` draws files of that layout: lines whose cells are good or flawed (bad dates, bad
numbers, NaN and infinity, empty fields), exact copies of earlier lines, stray copies of the header,
blank lines, written as delimited text (any supported delimiter, quoting, line end, UTF-8 with or
without a byte-order mark, Latin-1, or lines of both) or as typed parquet, and now and then broken
in a way no reader can recover from (a line with a field too many or too few, a quote never closed).

A drawn `RawFile` knows the answer: how many lines it holds, the exclusion reason each flawed line
must get (the first, in seed exclusion_reasons' order, of the reasons its flaws trigger), the money
it holds, and whether the pipeline must refuse it and how. The invoice-line layout of the UCI files
is `UCI_LINES`; another grain (orders, a customer/date/amount log) is another `Layout`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st

from segmentation import synthetic

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Seed order is rule order: a line gets the first reason that matches.
REASON_ORDER = tuple(pd.read_csv(PROJECT_DIR / "seeds" / "exclusion_reasons.csv")["reason_code"])
REPEATED_HEADER, DUPLICATE = "repeated_header_row", "duplicate_row"
# A file's dates are read in the one format detected from them (macro detect_date_format; the
# date forms are tested in test_layouts): the drawn dates are ISO, which every file reads.
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")
FIRST_DAY, DAYS = datetime(2010, 12, 1, 8, 0), 730
# Decimal places of staging's money type (macro money_type).
MONEY_PLACES = 4

# Refusals: the landing step's (segmentation.land.InputFileError), and dbt's "Bad input:" (no line
# has a date that parses, found by int_snapshot_date).
Refusal = Literal["landing", "bad_input"]
Kind = Literal["code", "text", "customer", "integer", "money", "timestamp"]
Encoding = Literal["utf-8", "utf-8-sig", "latin-1", "mixed"]
Breakage = Literal["extra_field", "missing_field", "unclosed_quote"]


@dataclass(frozen=True)
class Cell:
    """One field: as text for a text file, as a value for a typed file, and what it must read as."""

    text: str
    typed: object
    # The number the pipeline must read (integer and money kinds), None where it must read none.
    number: Decimal | None = None
    # The exclusion reason this cell alone gives its line, None when the cell is fine.
    flaw: str | None = None


@dataclass(frozen=True)
class Column:
    canonical: str
    kind: Kind
    # The reason an unreadable value of this column gives (None: no value of it is a flaw).
    reason: str | None = None


@dataclass(frozen=True)
class Layout:
    """A grain of input: its columns (in file order), header names, and the money a line carries."""

    name: str
    columns: tuple[Column, ...]
    header: tuple[str, ...]
    # A line's money, from its cells by canonical name; None when part of it is unreadable.
    value: Callable[[Mapping[str, Cell]], Decimal | None]
    # The text column holding a serial number in every line whose value is fine there, so that no
    # two drawn lines are equal by chance: copies are made on purpose, and their reason is known
    # (None where copies are no flaw).
    serial_column: str | None
    # A log without invoice or order ids has no duplicate rule: a copy is a second purchase there.
    detects_copies: bool = True
    arrow_types: Mapping[Kind, pa.DataType] = field(
        default_factory=lambda: {
            "code": pa.string(),
            "text": pa.string(),
            "customer": pa.float64(),
            "integer": pa.float64(),
            "money": pa.float64(),
            "timestamp": pa.timestamp("us"),
        }
    )


def quantity_times_price(cells: Mapping[str, Cell]) -> Decimal | None:
    quantity, price = cells["quantity"].number, cells["unit_price"].number
    return None if quantity is None or price is None else quantity * price


UCI_LINES = Layout(
    name="invoice_lines",
    columns=(
        Column("invoice_no", "code", "missing_invoice_or_stock_code"),
        Column("stock_code", "code", "missing_invoice_or_stock_code"),
        Column("description", "text"),
        Column("quantity", "integer", "unparseable_quantity"),
        Column("invoiced_at", "timestamp", "unparseable_invoice_date"),
        Column("unit_price", "money", "unparseable_unit_price"),
        Column("customer_id", "customer"),
        Column("country", "text"),
    ),
    header=synthetic.COLUMNS,
    value=quantity_times_price,
    serial_column="description",
)


def line_total(cells: Mapping[str, Cell]) -> Decimal | None:
    return cells["line_total"].number


# dbt jaffle-shop's orders, recognised by name: an order id, no product; a refund is a negative total.
ORDERS = Layout(
    name="orders",
    columns=(
        Column("invoice_no", "code", "missing_invoice_or_stock_code"),
        Column("customer_id", "customer"),
        Column("invoiced_at", "timestamp", "unparseable_invoice_date"),
        Column("line_total", "money", "unparseable_line_total"),
    ),
    header=("order_id", "customer_id", "ordered_at", "order_total"),
    value=line_total,
    serial_column="invoice_no",
)

# The log lifetimes and PyMC-Marketing take: who, when, how much.
CUSTOMER_DATE_AMOUNT = Layout(
    name="customer_date_amount",
    columns=(
        Column("customer_id", "customer"),
        Column("invoiced_at", "timestamp", "unparseable_invoice_date"),
        Column("line_total", "money", "unparseable_line_total"),
    ),
    header=("customer_id", "date", "amount"),
    value=line_total,
    serial_column=None,
    detects_copies=False,
)


# --------------------------------------------------------------------------------------------------
# Cells, as text


# Characters a text field may hold: the delimiters and the quote, which the writer must quote, and
# letters outside ASCII, which Latin-1 and UTF-8 write differently.
TEXT_ALPHABET = "abcXYZ 019,;|\t\"'£éüß"
# Texts staging reads as nothing (macro clean_text).
EMPTY_TEXTS = ("", " ", "nan", "NULL", "None")


def flawed(text: str, typed: object, reason: str | None) -> Cell:
    return Cell(text, typed, None, reason)


@st.composite
def code_cell(draw: st.DrawFn, column: Column) -> Cell:
    if draw(st.integers(0, 9)) == 0:
        return flawed(draw(st.sampled_from(EMPTY_TEXTS)), None, column.reason)
    # Cancellations (C) and bad-debt adjustments (A) as in the UCI files; later rules sort them.
    code = draw(st.sampled_from(["", "C", "A"])) + str(draw(st.integers(489_434, 581_587)))
    return Cell(code, code)


@st.composite
def text_cell(draw: st.DrawFn, _column: Column) -> Cell:
    text = draw(st.text(TEXT_ALPHABET, max_size=12))
    # A typed file may hold a null where a text file can only hold an empty field.
    return Cell(text, None if not text.strip() and draw(st.booleans()) else text)


@st.composite
def customer_cell(draw: st.DrawFn, _column: Column) -> Cell:
    """A customer id as the UCI exports write it (12346 or 12346.0), or none: a guest."""
    if draw(st.integers(0, 4)) == 0:
        return Cell(draw(st.sampled_from(EMPTY_TEXTS)), draw(st.sampled_from([None, math.nan])))
    number = draw(st.integers(12_346, 18_287))
    return Cell(draw(st.sampled_from([str(number), f"{number}.0"])), float(number))


# Text no number parser may read: words, a currency sign, two points, NaN and infinity, and more
# digits than the money type (14 before the point) or a 64-bit integer hold.
BAD_NUMBER_TEXTS = (
    "",
    "abc",
    "N/A",
    "£3.39",
    "1.2.3",
    "nan",
    "inf",
    "-Infinity",
    "12 3",
    "99999999999999999999",
)


@st.composite
def integer_cell(draw: st.DrawFn, column: Column) -> Cell:
    if draw(st.integers(0, 7)) == 0:
        bad = draw(st.sampled_from([*BAD_NUMBER_TEXTS, "1.5"]))
        return flawed(bad, draw(st.sampled_from([1.5, math.nan, math.inf, -math.inf, None])), column.reason)
    number = draw(st.integers(-50, 200))
    spelling = draw(st.sampled_from(["{}", "{}.0", " {} ", "{}.00"]))
    return Cell(spelling.format(number), float(number), Decimal(number))


@st.composite
def money_cell(draw: st.DrawFn, column: Column) -> Cell:
    if draw(st.integers(0, 7)) == 0:
        bad = draw(st.sampled_from(BAD_NUMBER_TEXTS))
        return flawed(bad, draw(st.sampled_from([math.nan, math.inf, -math.inf, 1e15, None])), column.reason)
    # To the ten-thousandth, the precision of the money type (the UCI prices go to 3 places);
    # a typed file holds the nearest double.
    ten_thousandths = draw(st.integers(-100_000, 10_000_000))
    amount = Decimal(ten_thousandths).scaleb(-MONEY_PLACES)
    spelling = draw(st.sampled_from(["{}", " {} ", "{:.6f}"]))
    return Cell(spelling.format(amount), ten_thousandths / 10**MONEY_PLACES, amount)


@st.composite
def timestamp_cell(draw: st.DrawFn, column: Column) -> Cell:
    if draw(st.integers(0, 7)) == 0:
        bad = draw(
            st.sampled_from(["", "not a date", "2011-02-30 10:00", "31/31/2011 10:00", "nan", "11:00"])
        )
        return flawed(bad, None, column.reason)
    moment = FIRST_DAY + timedelta(days=draw(st.integers(0, DAYS)), minutes=draw(st.integers(0, 600)))
    return Cell(moment.strftime(draw(st.sampled_from(ISO_FORMATS))), moment)


CELLS: dict[Kind, Callable[[Column], st.SearchStrategy[Cell]]] = {
    "code": code_cell,
    "text": text_cell,
    "customer": customer_cell,
    "integer": integer_cell,
    "money": money_cell,
    "timestamp": timestamp_cell,
}


# --------------------------------------------------------------------------------------------------
# Files


@dataclass(frozen=True)
class Record:
    """A data line of the file: drawn cells, a copy of an earlier line, or a copy of the header."""

    cells: Mapping[str, Cell]
    # The drawn line's number, shared by its copies; a header copy has none.
    serial: int | None
    kind: Literal["line", "copy", "header"] = "line"


@dataclass(frozen=True)
class TextFormat:
    delimiter: str
    quoting: int
    line_end: str
    encoding: Encoding
    # Blank lines inserted before these record positions (no reader counts them as lines).
    blank_before: frozenset[int] = frozenset()
    # A record made unreadable, and how (the file must be refused).
    broken: tuple[int, Breakage] | None = None


@dataclass(frozen=True)
class RawFile:
    layout: Layout
    records: tuple[Record, ...]
    text: TextFormat | None  # None: typed parquet

    @property
    def suffix(self) -> str:
        return ".parquet" if self.text is None else ".csv"

    def expected_refusal(self) -> Refusal | None:
        """How the pipeline must refuse the file, or None when it must read every line."""
        if not self.records or (self.text is not None and self.text.broken is not None):
            return "landing"
        dated = [
            record
            for record in self.records
            if record.kind != "header" and all(cell.flaw is None for cell in dated_cells(self.layout, record))
        ]
        return None if dated else "bad_input"

    def expected_reasons(self) -> list[str | None]:
        """The exclusion reason each line must get from the rules this file's flaws trigger, else None."""
        reasons = []
        for record in self.records:
            if record.kind == "header":
                reasons.append(REPEATED_HEADER)
                continue
            triggered = {cell.flaw for cell in record.cells.values() if cell.flaw}
            if record.kind == "copy" and self.layout.detects_copies:
                triggered.add(DUPLICATE)
            reasons.append(min(triggered, key=REASON_ORDER.index) if triggered else None)
        return reasons

    def expected_value(self) -> Decimal:
        """The money of every line whose amount is readable, as the file gives it."""
        values = (self.layout.value(r.cells) for r in self.records if r.kind != "header")
        return sum((value for value in values if value is not None), Decimal(0))

    def write(self, path: Path) -> Path:
        if self.text is None:
            write_parquet(self, path)
        else:
            path.write_bytes(text_bytes(self, self.text))
        return path


def dated_cells(layout: Layout, record: Record) -> list[Cell]:
    return [record.cells[c.canonical] for c in layout.columns if c.kind == "timestamp"]


def header_record(layout: Layout) -> Record:
    return Record(
        {
            column.canonical: Cell(name, name)
            for column, name in zip(layout.columns, layout.header, strict=True)
        },
        None,
        "header",
    )


@st.composite
def records(draw: st.DrawFn, layout: Layout, typed: bool, max_lines: int) -> tuple[Record, ...]:
    """Drawn lines, each with a serial number, and copies of earlier ones and of the header."""
    drawn: list[Record] = []
    for serial in range(draw(st.integers(0, max_lines))):
        cells = {column.canonical: draw(CELLS[column.kind](column)) for column in layout.columns}
        if layout.serial_column is not None and cells[layout.serial_column].flaw is None:
            marked = f"{cells[layout.serial_column].text}#{serial}"
            cells[layout.serial_column] = Cell(marked, marked)
        drawn.append(Record(cells, serial))
    extras = draw(st.lists(st.tuples(st.integers(0, max(len(drawn), 1)), st.booleans()), max_size=3))
    for position, is_header in extras:
        position = min(position, len(drawn))
        if is_header and not typed:
            drawn.insert(position, header_record(layout))
        elif position > 0 and drawn[position - 1].kind == "line":
            original = drawn[position - 1]
            drawn.insert(position, Record(original.cells, original.serial, "copy"))
    return tuple(drawn)


@st.composite
def text_formats(draw: st.DrawFn, line_count: int) -> TextFormat:
    broken = None
    if line_count and draw(st.integers(0, 9)) == 0:
        broken = (
            draw(st.integers(0, line_count - 1)),
            draw(st.sampled_from(["extra_field", "missing_field", "unclosed_quote"])),
        )
    return TextFormat(
        delimiter=draw(st.sampled_from([",", ";", "\t", "|"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        line_end=draw(st.sampled_from(["\n", "\r\n"])),
        encoding=draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "mixed"])),
        blank_before=frozenset(draw(st.lists(st.integers(0, line_count), max_size=2))),
        broken=broken,
    )


@st.composite
def raw_files(draw: st.DrawFn, layout: Layout, typed: bool, max_lines: int = 12) -> RawFile:
    """A file of `layout`: typed parquet when `typed`, else delimited text."""
    drawn = draw(records(layout, typed, max_lines))
    return RawFile(layout, drawn, None if typed else draw(text_formats(len(drawn))))


# --------------------------------------------------------------------------------------------------
# Writing


def delimited_line(values: Sequence[str], text: TextFormat) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=text.delimiter, quoting=text.quoting, lineterminator="").writerow(values)
    return buffer.getvalue()


def broken_line(values: Sequence[str], text: TextFormat, breakage: Breakage) -> str:
    """A line no reader can split into the header's fields."""
    if breakage == "extra_field":
        return delimited_line([*values, "extra"], text)
    if breakage == "missing_field":
        return delimited_line(values[:-1], text)
    # A quote opened in the last field and never closed: the reader runs to the end of the file.
    return delimited_line(values[:-1], text) + text.delimiter + '"never closed'


def text_bytes(raw: RawFile, text: TextFormat) -> bytes:
    lines = [delimited_line(raw.layout.header, text).encode(file_encoding(text))]
    for position, record in enumerate(raw.records):
        if position in text.blank_before:
            lines.append(b"")
        values = [record.cells[column.canonical].text for column in raw.layout.columns]
        line = delimited_line(values, text)
        if text.broken is not None and text.broken[0] == position:
            line = broken_line(values, text, text.broken[1])
        # Mixed: odd lines (and their copies) written as Latin-1, as when two exports are joined.
        odd = record.serial is not None and record.serial % 2
        encoding = "latin-1" if text.encoding == "mixed" and odd else file_encoding(text)
        lines.append(line.encode(encoding))
    if len(raw.records) in text.blank_before:
        lines.append(b"")
    if text.encoding == "utf-8-sig":
        lines[0] = "\ufeff".encode() + lines[0]
    return text.line_end.encode().join(lines) + text.line_end.encode()


def file_encoding(text: TextFormat) -> str:
    return {"utf-8-sig": "utf-8", "mixed": "utf-8"}.get(text.encoding, text.encoding)


def write_parquet(raw: RawFile, path: Path) -> None:
    """Typed columns, written value by value so that NaN stays a NaN double (pandas would null it)."""
    arrays = {
        name: pa.array(
            [record.cells[column.canonical].typed for record in raw.records],
            type=raw.layout.arrow_types[column.kind],
            from_pandas=False,
        )
        for column, name in zip(raw.layout.columns, raw.layout.header, strict=True)
    }
    pq.write_table(pa.table(arrays), path)

"""Land a raw transaction file for dbt: the one landing path of every warehouse.

Everything about the file as a file is decided here, once, for DuckDB and Spark alike: its kind
(by suffix), its text encoding, its delimiter and header, lines whose field count does not match
the header, and whether it holds any data line. A file that passes is written to one parquet file
(``source_row_number`` plus the raw columns: every CSV field as text, a parquet file's own types,
a workbook's cells as text), and the dbt hook ``land_raw_transactions`` attaches that file as the
source on either engine. What the values mean (dates, layouts, the snapshot date) is decided by the
dbt models, in SQL.

A CSV is read with every column as text: a bad value in one row must reach staging and be
quarantined with a reason, instead of failing the load or being dropped by a CSV sniffer that
guessed a type from the first rows. Its delimiter and column names are given to the reader, not
sniffed by it: a sniffer upset by one bad line may take a data line for the header.

The landed file is written beside its final name and renamed over it only once it is complete and
checked, so a bad file never replaces the previous good one and a reader never sees half a file.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import gzip
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

# The one list of accepted inputs: suffix -> kind. Longest suffixes first, so '.csv.gz' wins over '.gz'.
FILE_KINDS: dict[str, str] = {
    ".csv.gz": "csv",
    ".tsv.gz": "csv",
    ".txt.gz": "csv",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".xlsx": "spreadsheet",
    ".xlsm": "spreadsheet",
}
# Known but not readable here: the advice names what to do instead.
REFUSED_KINDS: dict[str, str] = {
    ".xls": "an Excel 97-2003 workbook; save it as .xlsx or .csv",
}
DELIMITERS = (",", ";", "\t", "|")
# A header with none of DELIMITERS but names apart by spaces: a whitespace-aligned text export.
WHITESPACE = "whitespace"
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "latin-1": "latin-1", "latin1": "latin-1", "utf-16": "utf-16"}
# Encodings DuckDB's CSV reader is not given: its Latin-1 decoder refuses the bytes 0x80-0x9F ("File
# is not latin-1 encoded"), which Latin-1 maps to control characters and which Windows exports
# ('€' and '’' in cp1252) and files of UTF-8 and Latin-1 lines joined end to end hold. Python's codec
# decodes every byte, so such a file is read from a UTF-8 copy (see _readable_by_duckdb).
TRANSCODED_ENCODINGS = frozenset({"latin-1"})
# The first part of the landed folder the main job appends to (segmentation.appends); dbt's var
# raw_landed_path reads every part-*.parquet of it.
DEFAULT_LANDED_PATH = Path("data/landed/raw_transactions/part-00001.parquet")
# Landing streams a file into parquet. With DuckDB's default (80% of RAM) it held 2.8 GiB landing a
# 20M-line parquet file and 5.8 GiB for 200M lines, the peak of the whole job (the dbt build after it:
# 2.4 GiB at 20M); capped, it holds 1.0 and 1.4 GiB and spills instead (make benchmark, 2026-12-07).
LANDING_MEMORY_LIMIT = "1GB"
# python-calamine (Rust) reads the 1M-line UCI workbook in seconds; openpyxl took minutes.
WORKBOOK_ENGINE = "calamine"
READ_BLOCK_BYTES = 1 << 20
# How much of a bad line a message quotes.
QUOTED_CHARACTERS = 160


Progress = Callable[[str], None] | None


class InputFileError(ValueError):
    """A raw input file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class LandedFile:
    """What was landed, for the summary and for the dbt hook."""

    path: Path
    source: Path
    kind: str
    line_count: int
    columns: tuple[str, ...]
    encoding: str | None = None
    delimiter: str | None = None


def accepted_suffixes() -> str:
    return ", ".join(FILE_KINDS)


def file_kind(path: Path) -> str:
    """'csv', 'parquet' or 'spreadsheet', judged by the file name."""
    name = path.name.lower()
    for suffix, kind in FILE_KINDS.items():
        if name.endswith(suffix):
            return kind
    for suffix, advice in REFUSED_KINDS.items():
        if name.endswith(suffix):
            raise InputFileError(f"{path}: {advice}")
    raise InputFileError(f"{path}: unsupported file type; use one of {accepted_suffixes()}")


def _byte_blocks(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        while block := handle.read(READ_BLOCK_BYTES):
            yield block


def detect_csv_encoding(path: Path) -> str:
    """'utf-8' when the whole file decodes as UTF-8 (a BOM included), else 'latin-1'.

    Latin-1 decodes any byte sequence, so it is the safe fallback for legacy exports; the whole
    file is read because a single '£' may sit in the last rows.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for block in _byte_blocks(path):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def first_non_utf8_line(path: Path) -> tuple[int, str] | None:
    """The number and text (as Latin-1) of the first line that is not valid UTF-8, if any."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number, raw.decode("latin-1").rstrip("\r\n")
    return None


def read_header(path: Path, encoding: str) -> str:
    """The first line of a text file, without a byte-order mark or line end."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        first = handle.readline()
    return first.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")


def first_data_line(path: Path, encoding: str) -> str | None:
    """The first non-blank line after the header, or None."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        handle.readline()
        for raw in handle:
            line = raw.decode(encoding, errors="replace").strip()
            if line:
                return line
    return None


def sniff_delimiter(header: str, path: Path, first_line: str | None = None) -> str:
    """The candidate delimiter that splits the header most often, ignoring quoted names; WHITESPACE
    for a header of several names apart by spaces only (a whitespace-aligned export), when the first
    data line splits into as many fields (so 'Customer ID' in a header of another delimiter is not
    taken for two columns)."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {candidate: unquoted.count(candidate) for candidate in DELIMITERS}
    delimiter = max(DELIMITERS, key=lambda candidate: counts[candidate])
    if counts[delimiter] > 0:
        return delimiter
    names = header.split()
    if len(names) > 1 and (first_line is None or len(first_line.split()) == len(names)):
        return WHITESPACE
    raise InputFileError(
        f"{path}: cannot be split into columns: its header line ({header[:200]}) holds no comma, "
        "semicolon, tab, pipe or space, so the whole line would be one column. Export the file with "
        "one of these delimiters."
    )


def header_columns(header: str, delimiter: str) -> list[str]:
    """Column names as the reader gives them: unquoted, blanks named columnN, repeats suffixed."""
    names: list[str] = []
    for position, raw_name in enumerate(next(csv.reader([header], delimiter=delimiter))):
        name = raw_name.strip() or f"column{position}"
        names.append(f"{name}_{position}" if name in names else name)
    return names


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _csv_reader(path: Path, delimiter: str, columns: list[str], encoding: str) -> str:
    column_types = ", ".join(f"{_sql_literal(name)}: 'varchar'" for name in columns)
    return (
        f"read_csv({_sql_literal(str(path))}, header = true, skip = 0, auto_detect = false, "
        f"delim = {_sql_literal(delimiter)}, quote = '\"', escape = '\"', columns = {{{column_types}}}, "
        f"encoding = {_sql_literal(encoding)}, null_padding = false, strict_mode = true, "
        "ignore_errors = true, store_rejects = true)"
    )


def _rejected_lines(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Lines the reader set aside for a wrong field count, summarised by column name."""
    return (
        con.execute(
            """
            select
                count(distinct line) as rejected_line_count,
                min(line) as first_rejected_line,
                arg_min(csv_line, line) as first_rejected_text,
                arg_min(error_message, line) as first_reject_error
            from reject_errors
            """
        )
        .df()
        .iloc[0]
        .to_dict()
    )


def _write_parquet(
    con: duckdb.DuckDBPyConnection, select_sql: str, out: Path, first_row_number: int = 1
) -> Path:
    """`select_sql` numbers its lines from 1; the file numbers them from `first_row_number`."""
    partial = out.with_name(out.name + ".partial")
    offset = first_row_number - 1
    if offset:
        select_sql = (
            f"select * replace (source_row_number + {offset} as source_row_number) from ({select_sql})"
        )
    con.execute(f"copy ({select_sql}) to {_sql_literal(str(partial))} (format parquet, compression zstd)")
    return partial


def _landed_line_count(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    return int(con.execute(f"select count(*) from read_parquet({_sql_literal(str(path))})").fetchone()[0])


def _check_declared_encoding(path: Path, encoding: str) -> None:
    """A file declared UTF-8 that is not: the first offending line is named (a second, slower pass)."""
    if encoding != "utf-8" or detect_csv_encoding(path) == "utf-8":
        return
    bad = first_non_utf8_line(path)
    if bad is not None:
        number, text = bad
        raise InputFileError(
            f"{path}: is not valid UTF-8: line {number} ({text[:120]}) has bytes that are not UTF-8, as "
            "Latin-1 exports do. Leave the encoding to detection, or give --encoding latin-1."
        )


@contextmanager
def _readable_by_duckdb(path: Path, encoding: str, out: Path) -> Iterator[tuple[Path, str]]:
    """The text file and encoding to give DuckDB's reader: `path` itself, or a UTF-8 copy of it
    beside `out` (deleted afterwards) for TRANSCODED_ENCODINGS. Line ends are copied as they are."""
    if encoding not in TRANSCODED_ENCODINGS:
        yield path, encoding
        return
    copy = out.with_name(out.name + ".utf-8.csv")
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with copy.open("w", encoding="utf-8", newline="") as handle:
            for block in _byte_blocks(path):
                handle.write(decoder.decode(block))
            handle.write(decoder.decode(b"", final=True))
        yield copy, "utf-8"
    finally:
        copy.unlink(missing_ok=True)


def _land_csv(
    con: duckdb.DuckDBPyConnection, path: Path, out: Path, encoding: str, first_row_number: int
) -> tuple[Path, str, list[str]]:
    """Land a delimited or whitespace-aligned text file; messages name `path`."""
    header = read_header(path, encoding)
    if not header.strip():
        raise InputFileError(
            f"{path}: is empty or its first line is blank: the first line must be the header "
            "(e.g. Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country)."
        )
    delimiter = sniff_delimiter(header, path, first_data_line(path, encoding))
    with _readable_by_duckdb(path, encoding, out) as (readable, readable_encoding):
        if delimiter == WHITESPACE:
            columns = header.split()
            aligned = _land_whitespace_aligned(
                con, path, readable, out, readable_encoding, columns, first_row_number
            )
            return aligned, delimiter, columns
        columns = header_columns(header, delimiter)
        reader = _csv_reader(readable, delimiter, columns, readable_encoding)
        partial = _write_parquet(
            con,
            f"select cast(row_number() over () as bigint) as source_row_number, * from {reader}",
            out,
            first_row_number,
        )
    rejected = _rejected_lines(con)
    if rejected["rejected_line_count"]:
        partial.unlink()
        raise InputFileError(
            f"{path}: {rejected['rejected_line_count']} line(s) do not have as many fields as the header, "
            f"first line {rejected['first_rejected_line']} "
            f"({str(rejected['first_rejected_text'])[:QUOTED_CHARACTERS]}): "
            f"{rejected['first_reject_error']}. "
            "A field holding the delimiter must be in double quotes, and every line must use the header's "
            "delimiter; fix or remove these lines (nothing was loaded)."
        )
    return partial, delimiter, columns


def _land_whitespace_aligned(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    readable: Path,
    out: Path,
    encoding: str,
    columns: list[str],
    first_row_number: int,
) -> Path:
    """Fields apart by runs of spaces or tabs; every data line must have the header's field count.

    `readable` is read (in `encoding`), `path` named in messages. Blank lines are skipped, as the CSV
    reader skips them; a field cannot hold a space here, so a line with more or fewer fields is
    refused rather than guessed.
    """
    lines = (
        f"read_csv({_sql_literal(str(readable))}, header = false, columns = {{'line': 'varchar'}}, "
        f"delim = chr(31), quote = '', escape = '', auto_detect = false, strict_mode = false, "
        f"encoding = {_sql_literal(encoding)})"
    )
    con.execute(
        f"""
        create temporary table aligned_lines as
        select line_number, line, regexp_split_to_array(trim(line), '\\s+') as fields
        from (select row_number() over () as line_number, line from {lines})
        where line_number > 1 and trim(line) <> ''
        """
    )
    bad_count, first_bad, first_text, first_fields = con.execute(
        f"""
        select count(*), min(line_number), arg_min(line, line_number), arg_min(len(fields), line_number)
        from aligned_lines where len(fields) <> {len(columns)}
        """
    ).fetchone()
    if bad_count:
        raise InputFileError(
            f"{path}: {bad_count} line(s) do not have as many fields as the header, first line {first_bad} "
            f"({first_text[:QUOTED_CHARACTERS]}): expected {len(columns)} fields apart by spaces, found "
            f"{first_fields}. In a whitespace-aligned file no field may hold a space; export it with a "
            "delimiter instead (nothing was loaded)."
        )
    fields = ", ".join(
        f"fields[{position}] as {_sql_identifier(name)}" for position, name in enumerate(columns, 1)
    )
    return _write_parquet(
        con,
        f"select cast(row_number() over (order by line_number) as bigint) as source_row_number, {fields} "
        "from aligned_lines",
        out,
        first_row_number,
    )


def _sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _land_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, out: Path, first_row_number: int
) -> tuple[Path, list[str]]:
    reader = f"read_parquet({_sql_literal(str(path))}, file_row_number = true)"
    columns = [row[0] for row in con.execute(f"describe select * from {reader}").fetchall()]
    columns = [name for name in columns if name != "file_row_number"]
    partial = _write_parquet(
        con,
        "select cast(file_row_number + 1 as bigint) as source_row_number, "
        f"columns(c -> c <> 'file_row_number') from {reader}",
        out,
        first_row_number,
    )
    return partial, columns


def read_workbook(path: Path, progress: Progress = None) -> pd.DataFrame:
    """Every sheet of a workbook stacked, as text, saying how far it got after each sheet.

    UCI publishes Online Retail II as one workbook with a sheet per year; the sheets must share
    their header so that stacking them loses nothing.
    """
    sheets: dict[str, pd.DataFrame] = {}
    with pd.ExcelFile(path, engine=WORKBOOK_ENGINE) as workbook:
        for name in workbook.sheet_names:
            started = time.perf_counter()
            sheets[name] = workbook.parse(name, dtype=str)
            if progress is not None:
                progress(
                    f"read sheet '{name}': {len(sheets[name]):,} rows in {time.perf_counter() - started:.1f}s"
                )
    if not sheets:
        raise InputFileError(f"{path}: the workbook has no sheets")
    reference_name, reference = next(iter(sheets.items()))
    for name, sheet in sheets.items():
        if list(sheet.columns) != list(reference.columns):
            raise InputFileError(
                f"{path}: sheet '{name}' has columns {list(sheet.columns)} but sheet "
                f"'{reference_name}' has {list(reference.columns)}; "
                "all sheets must share one header"
            )
    return pd.concat(list(sheets.values()), ignore_index=True)


def _land_workbook(
    con: duckdb.DuckDBPyConnection, path: Path, out: Path, progress: Progress, first_row_number: int
) -> tuple[Path, list[str]]:
    stacked = read_workbook(path, progress)
    con.register("workbook_lines", stacked)
    partial = _write_parquet(
        con,
        "select cast(row_number() over () as bigint) as source_row_number, * from workbook_lines",
        out,
        first_row_number,
    )
    return partial, [str(name) for name in stacked.columns]


def check_path(path: Path) -> str:
    """The file's kind, after the checks that need no reading."""
    if not path.exists():
        raise InputFileError(f"{path}: file not found")
    if not path.is_file():
        raise InputFileError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: the file is empty")
    return file_kind(path)


def land(
    source: Path,
    out: Path = DEFAULT_LANDED_PATH,
    encoding: str | None = None,
    progress: Progress = None,
    first_row_number: int = 1,
) -> LandedFile:
    """Check a raw file and write it to ``out`` as parquet with ``source_row_number``.

    ``first_row_number`` is the number of the file's first line: a file appended to a log that
    already holds N lines is landed from N + 1, so that every line keeps its number across loads.
    ``encoding`` applies to text files; None detects UTF-8 or Latin-1. ``progress`` is told how far
    a long read got (a workbook, sheet by sheet).
    """
    source = source.resolve()
    kind = check_path(source)
    if encoding is not None and encoding.lower() not in ENCODINGS:
        raise InputFileError(f"encoding '{encoding}' is not supported; use one of {', '.join(ENCODINGS)}")
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    delimiter = None
    with duckdb.connect(config={"memory_limit": LANDING_MEMORY_LIMIT}) as con:
        if kind == "csv":
            if encoding:
                encoding = ENCODINGS[encoding.lower()]
                _check_declared_encoding(source, encoding)
            else:
                encoding = detect_csv_encoding(source)
            partial, delimiter, columns = _land_csv(con, source, out, encoding, first_row_number)
        elif kind == "parquet":
            encoding = None
            partial, columns = _land_parquet(con, source, out, first_row_number)
        else:
            encoding = None
            partial, columns = _land_workbook(con, source, out, progress, first_row_number)
        line_count = _landed_line_count(con, partial)
    if line_count == 0:
        partial.unlink()
        raise InputFileError(
            f"{source}: has a header but no data lines: nothing to build. "
            "Check that the export finished writing."
        )
    os.replace(partial, out)
    return LandedFile(
        path=out,
        source=source,
        kind=kind,
        line_count=line_count,
        columns=tuple(columns),
        encoding=encoding,
        delimiter=delimiter,
    )


def describe(landed: LandedFile) -> str:
    """One line for people: what was read and how."""
    how = [landed.kind]
    if landed.encoding:
        how.append(f"encoding {landed.encoding}")
    if landed.delimiter:
        names = {"\t": "tab", WHITESPACE: "whitespace-aligned"}
        how.append("delimiter " + names.get(landed.delimiter, repr(landed.delimiter)))
    return f"landed {landed.line_count:,} lines of {landed.source} ({', '.join(how)}) into {landed.path}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a raw transaction file and land it for dbt.")
    parser.add_argument("path", type=Path, help=f"raw transaction file ({accepted_suffixes()})")
    parser.add_argument("--out", type=Path, default=DEFAULT_LANDED_PATH, help="landed parquet file")
    parser.add_argument("--encoding", help="text encoding of a CSV (default: detected, UTF-8 or Latin-1)")
    args = parser.parse_args(argv)
    try:
        landed = land(args.path, args.out, args.encoding, progress=print)
    except InputFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(describe(landed))
    _drop_other_parts(landed.path)
    return 0


def _drop_other_parts(landed: Path) -> None:
    """A file landed by hand is a whole new log: later parts and the main job's manifest of the
    folder (segmentation.appends) would otherwise be read with it."""
    if not landed.name.startswith("part-"):
        return
    for other in landed.parent.glob("part-*.parquet"):
        if other != landed:
            other.unlink()
    (landed.parent / "manifest.json").unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())

"""Prepare a raw transaction file for dbt.

dbt reads csv, csv.gz and parquet directly (see macro land_raw_transactions). Two things need
Python first: spreadsheets, which DuckDB cannot read here without a downloadable extension, and the
text encoding of a CSV, which DuckDB does not detect (the original UCI "Online Retail" CSV exports
are Latin-1).
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz")
PARQUET_SUFFIXES = (".parquet",)
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
READ_BLOCK_BYTES = 1 << 20


class InputFileError(ValueError):
    """A raw input file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class PreparedInput:
    """What dbt should read, and the vars that tell it how."""

    path: Path
    dbt_vars: dict[str, str] = field(default_factory=dict)


def file_kind(path: Path) -> str:
    """'csv', 'parquet' or 'spreadsheet', judged by the file name."""
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(SPREADSHEET_SUFFIXES):
        return "spreadsheet"
    raise InputFileError(f"{path}: unsupported file type; use .csv, .csv.gz, .tsv, .parquet or .xlsx")


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


def land_spreadsheet(path: Path, out: Path) -> Path:
    """Stack every sheet of a workbook into one parquet file of text columns.

    UCI publishes Online Retail II as one workbook with a sheet per year; the sheets must share
    their header so that stacking them loses nothing.
    """
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="openpyxl")
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
    stacked = pd.concat(list(sheets.values()), ignore_index=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    stacked.to_parquet(out, index=False)
    return out


def prepare_input(path: Path, landing_dir: Path) -> PreparedInput:
    """Validate a raw file and return what dbt should read (converting a workbook if needed)."""
    if not path.exists():
        raise InputFileError(f"{path}: file not found")
    if not path.is_file():
        raise InputFileError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: the file is empty")
    if "'" in str(path):
        raise InputFileError(f"{path}: the path contains a single quote; rename it")
    kind = file_kind(path)
    if kind == "spreadsheet":
        landed = land_spreadsheet(path, landing_dir / f"{path.stem}.parquet")
        return PreparedInput(path=landed.resolve())
    if kind == "csv":
        encoding = detect_csv_encoding(path)
        return PreparedInput(path=path.resolve(), dbt_vars={"raw_csv_encoding": encoding})
    return PreparedInput(path=path.resolve())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Convert a transaction workbook for dbt.")
    parser.add_argument("path", type=Path, help="raw transaction file (.xlsx, .csv, .parquet)")
    parser.add_argument("--landing-dir", type=Path, default=Path("data/landed"))
    args = parser.parse_args(argv)
    try:
        prepared = prepare_input(args.path, args.landing_dir)
    except InputFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(prepared.path)
    for key, value in prepared.dbt_vars.items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

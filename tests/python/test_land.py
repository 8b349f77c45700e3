"""Input landing: encoding detection, workbook stacking and input validation."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from segmentation.land import (
    InputFileError,
    detect_csv_encoding,
    file_kind,
    land_spreadsheet,
    prepare_input,
)

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def test_utf8_with_bom_and_plain_utf8_are_utf8(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text(HEADER + "536365,POST,POSTAGE £,1,2010-12-01 08:26:00,18,12680,France\n")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert detect_csv_encoding(plain) == "utf-8"
    assert detect_csv_encoding(bom) == "utf-8"


def test_latin1_pound_sign_late_in_a_gzipped_file_is_found(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv.gz"
    filler = "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n" * 50_000
    late = "536366,gift_0001_20,Gift Voucher £20.00,1,2010-12-01 08:28:00,17.02,,United Kingdom\n"
    with gzip.open(path, "wb") as handle:
        handle.write((HEADER + filler + late).encode("latin-1"))
    assert detect_csv_encoding(path) == "latin-1"
    prepared = prepare_input(path, tmp_path / "landed")
    assert prepared.dbt_vars == {"raw_csv_encoding": "latin-1"}


def test_workbook_sheets_are_stacked_as_text(tmp_path: Path) -> None:
    workbook = tmp_path / "online_retail_II.xlsx"
    first = pd.DataFrame({"Invoice": ["489434"], "Quantity": [12], "Customer ID": [13085.0]})
    second = pd.DataFrame({"Invoice": ["C489449", "489450"], "Quantity": [-1, 3], "Customer ID": [None, 1.0]})
    with pd.ExcelWriter(workbook) as writer:
        first.to_excel(writer, sheet_name="Year 2009-2010", index=False)
        second.to_excel(writer, sheet_name="Year 2010-2011", index=False)
    landed = pd.read_parquet(land_spreadsheet(workbook, tmp_path / "out.parquet"))
    assert list(landed["Invoice"]) == ["489434", "C489449", "489450"]
    assert list(landed["Quantity"]) == ["12", "-1", "3"]


def test_workbook_sheets_with_different_headers_are_refused(tmp_path: Path) -> None:
    workbook = tmp_path / "mixed.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        pd.DataFrame({"Invoice": ["1"]}).to_excel(writer, sheet_name="a", index=False)
        pd.DataFrame({"InvoiceNo": ["2"]}).to_excel(writer, sheet_name="b", index=False)
    with pytest.raises(InputFileError, match="sheet 'b' has columns"):
        land_spreadsheet(workbook, tmp_path / "out.parquet")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "file not found"),
        ("empty.csv", b"", "the file is empty"),
        ("notes.docx", b"x", "unsupported file type"),
        ("it's.csv", b"x", "single quote"),
    ],
)
def test_bad_inputs_name_the_file_and_the_problem(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=message) as raised:
        prepare_input(path, tmp_path / "landed")
    assert name in str(raised.value)


def test_file_kind_by_suffix() -> None:
    assert file_kind(Path("a.CSV.GZ")) == "csv"
    assert file_kind(Path("a.parquet")) == "parquet"
    assert file_kind(Path("a.xlsx")) == "spreadsheet"

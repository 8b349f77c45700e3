"""The landing step: file kinds, encoding, delimiter and header, the file-level checks, the landed file."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from segmentation import land as land_module
from segmentation.land import (
    LANDING_MEMORY_LIMIT,
    InputFileError,
    detect_csv_encoding,
    file_kind,
    header_columns,
    land,
    main,
    read_workbook,
    sniff_delimiter,
)

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
LINE = "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"


def landed_frame(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def test_utf8_with_bom_and_plain_utf8_are_utf8(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text(HEADER + "536365,POST,POSTAGE £,1,2010-12-01 08:26:00,18,12680,France\n")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert detect_csv_encoding(plain) == "utf-8"
    assert detect_csv_encoding(bom) == "utf-8"
    landed = landed_frame(land(bom, tmp_path / "bom.parquet").path)
    assert list(landed.columns)[:2] == ["source_row_number", "InvoiceNo"], (
        "the BOM must not stick to the name"
    )


def test_latin1_pound_sign_late_in_a_gzipped_file_is_found_and_decoded(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv.gz"
    filler = LINE * 50_000
    late = "536366,gift_0001_20,Gift Voucher £20.00,1,2010-12-01 08:28:00,17.02,,United Kingdom\n"
    with gzip.open(path, "wb") as handle:
        handle.write((HEADER + filler + late).encode("latin-1"))
    assert detect_csv_encoding(path) == "latin-1"
    landed = land(path, tmp_path / "out.parquet")
    assert (landed.encoding, landed.line_count) == ("latin-1", 50_001)
    assert landed_frame(landed.path)["Description"].iloc[-1] == "Gift Voucher £20.00"


@pytest.mark.parametrize(
    ("name", "text_bytes"),
    [
        # A Windows export: cp1252's curly apostrophe and euro sign are the bytes 0x92 and 0x80.
        ("cp1252", "Baker’s €5 tin".encode("cp1252")),
        # UTF-8 and Latin-1 text in one file, as when two exports are joined ('ß' in UTF-8 is C3 9F).
        ("joined", "STRAßE ".encode() + "£20".encode("latin-1")),
    ],
)
def test_bytes_latin1_maps_to_control_characters_are_landed_not_refused(
    tmp_path: Path, name: str, text_bytes: bytes
) -> None:
    """DuckDB's own Latin-1 decoder refuses the bytes 0x80-0x9F; every byte is Latin-1 all the same."""
    path = tmp_path / f"{name}.csv"
    path.write_bytes(
        HEADER.encode() + b"536365,85123A," + text_bytes + b",6,2010-12-01 08:26:00,2.55,17850,UK\n"
    )
    landed = land(path, tmp_path / "out.parquet")
    assert (landed.encoding, landed.line_count) == ("latin-1", 1)
    expected = path.read_bytes().decode("latin-1").splitlines()[1].split(",")[2]
    assert landed_frame(landed.path)["Description"].iloc[0] == expected
    assert sorted(tmp_path.iterdir()) == sorted([path, landed.path]), "the UTF-8 copy is removed"


def test_a_latin1_file_declared_utf8_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "declared.csv"
    path.write_bytes(
        (HEADER + LINE + "536366,X,Voucher £20,1,2010-12-01 08:28:00,17.02,,UK\n").encode("latin-1")
    )
    with pytest.raises(InputFileError, match=r"is not valid UTF-8: line 3 \(536366,X,Voucher £20"):
        land(path, tmp_path / "out.parquet", encoding="utf-8")


def test_csv_fields_land_as_text_in_file_order_with_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text(HEADER + LINE + LINE.replace("536365", "536366").replace(",6,", ",6.0,"))
    landed = land(path, tmp_path / "out.parquet")
    frame = landed_frame(landed.path)
    assert frame["source_row_number"].tolist() == [1, 2]
    assert frame["InvoiceNo"].tolist() == ["536365", "536366"]
    assert frame["Quantity"].tolist() == ["6", "6.0"], "text, exactly as written"
    assert (landed.delimiter, landed.kind) == (",", "csv")


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_other_delimiters_are_detected(tmp_path: Path, delimiter: str, name: str) -> None:
    path = tmp_path / f"{name}.txt"
    path.write_text((HEADER + LINE).replace(",", delimiter))
    frame = landed_frame(land(path, tmp_path / "out.parquet").path)
    assert frame["Country"].tolist() == ["United Kingdom"]


def test_sniffing_ignores_delimiters_inside_quoted_names() -> None:
    assert sniff_delimiter('"Customer, ID";Country;Price', Path("x.csv")) == ";"


def test_blank_and_repeated_header_names_are_named_as_the_reader_does() -> None:
    assert header_columns('Invoice,,"Price",Price', ",") == ["Invoice", "column1", "Price", "Price_3"]


def test_a_line_with_too_many_fields_is_refused_and_nothing_is_landed(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(HEADER + LINE + "536366,22633,HAND WARMER,RED,6,2010-12-01 08:26:00,2.1,17850,UK\n")
    out = tmp_path / "out.parquet"
    with pytest.raises(
        InputFileError, match=r"1 line\(s\) do not have as many fields as the header, first line 3"
    ):
        land(path, out)
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_a_refused_file_leaves_the_previous_landed_file_as_it_was(tmp_path: Path) -> None:
    good, bad, out = tmp_path / "good.csv", tmp_path / "bad.csv", tmp_path / "out.parquet"
    good.write_text(HEADER + LINE)
    bad.write_text(HEADER)
    land(good, out)
    before = out.read_bytes()
    with pytest.raises(InputFileError, match="has a header but no data lines"):
        land(bad, out)
    assert out.read_bytes() == before


def test_parquet_keeps_its_types_and_gets_row_numbers(tmp_path: Path) -> None:
    source = tmp_path / "typed.parquet"
    pd.DataFrame({"Invoice": ["1", "2"], "Quantity": [6, -1], "Price": [2.5, float("nan")]}).to_parquet(
        source
    )
    frame = landed_frame(land(source, tmp_path / "out.parquet").path)
    assert frame["source_row_number"].tolist() == [1, 2]
    assert frame["Quantity"].dtype == "int64" and frame["Price"].isna().tolist() == [False, True]


def memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_landing_holds_duckdb_to_its_memory_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB's default (80% of RAM) made landing the job's memory peak; the landing connection is capped."""
    limits: list[str] = []
    connect = duckdb.connect

    def recording_connect(*args: object, **kwargs: object) -> duckdb.DuckDBPyConnection:
        con = connect(*args, **kwargs)
        limits.append(memory_limit(con))
        return con

    monkeypatch.setattr(land_module.duckdb, "connect", recording_connect)
    source = tmp_path / "typed.parquet"
    pd.DataFrame({"Invoice": ["1"], "Quantity": [6]}).to_parquet(source)
    land(source, tmp_path / "out.parquet")
    with connect(config={"memory_limit": LANDING_MEMORY_LIMIT}) as capped, connect() as default:
        expected, uncapped = memory_limit(capped), memory_limit(default)
    assert limits == [expected] and expected != uncapped


def test_workbook_sheets_are_stacked_as_text(tmp_path: Path) -> None:
    workbook = tmp_path / "online_retail_II.xlsx"
    first = pd.DataFrame({"Invoice": ["489434"], "Quantity": [12], "Customer ID": [13085.0]})
    second = pd.DataFrame({"Invoice": ["C489449", "489450"], "Quantity": [-1, 3], "Customer ID": [None, 1.0]})
    with pd.ExcelWriter(workbook) as writer:
        first.to_excel(writer, sheet_name="Year 2009-2010", index=False)
        second.to_excel(writer, sheet_name="Year 2010-2011", index=False)
    landed = landed_frame(land(workbook, tmp_path / "out.parquet").path)
    assert list(landed["Invoice"]) == ["489434", "C489449", "489450"]
    assert list(landed["Quantity"]) == ["12", "-1", "3"]
    assert list(landed["source_row_number"]) == [1, 2, 3]


def test_workbook_sheets_with_different_headers_are_refused(tmp_path: Path) -> None:
    workbook = tmp_path / "mixed.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        pd.DataFrame({"Invoice": ["1"]}).to_excel(writer, sheet_name="a", index=False)
        pd.DataFrame({"InvoiceNo": ["2"]}).to_excel(writer, sheet_name="b", index=False)
    with pytest.raises(InputFileError, match="sheet 'b' has columns"):
        read_workbook(workbook)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "file not found"),
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n" + LINE.encode(), "is empty or its first line is blank"),
        (
            "colons.csv",
            (HEADER + LINE).replace(",", ":").encode(),
            "holds no comma, semicolon, tab, pipe or space",
        ),
        ("notes.docx", b"x", "unsupported file type"),
        ("old.xls", b"x", "an Excel 97-2003 workbook; save it as .xlsx or .csv"),
    ],
)
def test_bad_inputs_name_the_file_and_the_problem(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=message) as raised:
        land(path, tmp_path / "landed.parquet")
    assert name in str(raised.value)


def test_an_unknown_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(HEADER + LINE)
    with pytest.raises(InputFileError, match="encoding 'ebcdic' is not supported"):
        land(path, tmp_path / "out.parquet", encoding="ebcdic")


def test_file_kind_by_suffix() -> None:
    assert file_kind(Path("a.CSV.GZ")) == "csv"
    assert file_kind(Path("a.tsv")) == "csv"
    assert file_kind(Path("a.parquet")) == "parquet"
    assert file_kind(Path("a.xlsx")) == "spreadsheet"


def test_the_command_line_exits_2_on_a_bad_file_and_0_on_a_good_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(HEADER + LINE)
    assert main([str(tmp_path / "nowhere.csv"), "--out", str(tmp_path / "o.parquet")]) == 2
    assert "nowhere.csv: file not found" in capsys.readouterr().err
    assert main([str(good), "--out", str(tmp_path / "o.parquet")]) == 0
    assert "landed 1 lines of" in capsys.readouterr().out


def test_a_whitespace_aligned_export_lands_field_by_field(tmp_path: Path) -> None:
    path = tmp_path / "cdnow.txt"
    path.write_text(
        "cust      date      units   dollars\n"
        "00001   19970101      1     11.77\n"
        "\n"
        "00002   19970112\t5  77.00\n"
    )
    landed = land(path, tmp_path / "out.parquet")
    frame = landed_frame(landed.path)
    assert landed.delimiter == "whitespace"
    assert frame.to_dict("list") == {
        "source_row_number": [1, 2],
        "cust": ["00001", "00002"],
        "date": ["19970101", "19970112"],
        "units": ["1", "5"],
        "dollars": ["11.77", "77.00"],
    }


def test_a_whitespace_aligned_line_with_a_missing_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    path.write_text("cust date dollars\n1 19970101 11.77\n2 19970102\n")
    with pytest.raises(
        InputFileError, match=r"first line 3 \(2 19970102\): expected 3 fields apart by spaces, found 2"
    ):
        land(path, tmp_path / "out.parquet")


def test_workbook_progress_is_told_sheet_by_sheet(tmp_path: Path) -> None:
    workbook = tmp_path / "book.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        pd.DataFrame({"Invoice": ["1", "2"]}).to_excel(writer, sheet_name="first", index=False)
        pd.DataFrame({"Invoice": ["3"]}).to_excel(writer, sheet_name="second", index=False)
    told: list[str] = []
    land(workbook, tmp_path / "out.parquet", progress=told.append)
    assert [line.split(" in ")[0] for line in told] == [
        "read sheet 'first': 2 rows",
        "read sheet 'second': 1 rows",
    ]

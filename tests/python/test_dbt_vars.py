"""Tests for the shared dbt-var parsers and checks (segmentation/dbt_vars.py)."""

from __future__ import annotations

import dataclasses
import re
from typing import Literal

import numpy as np
import pytest

from segmentation.dbt_vars import (
    check_fields,
    means_none,
    parse_bool,
    parse_float,
    parse_int,
    parse_list,
    parse_name_list,
    parse_word,
    setting,
    settings_from_mapping,
    split_list_text,
)


def _escaped(value: object) -> str:
    """repr(value) as a regex, for messages that quote the offending value."""
    return re.escape(repr(value))


# --- parse_int -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (np.int32(3), 3),
        (7.0, 7),
        ("3", 3),
        (" -4 ", -4),
        ("1e3", 1000),
        ("2.0", 2),
        ("12345678901234567891", 12345678901234567891),  # exact, not rounded through a float
    ],
)
def test_parse_int_accepts_ints_whole_floats_and_text(value: object, expected: int) -> None:
    parsed = parse_int("k_min", value)
    assert parsed == expected and type(parsed) is int


@pytest.mark.parametrize("value", [True, 2.5, "two", "2.5", "", "nan", "inf", None, [3]])
def test_parse_int_errors_name_the_key_and_value(value: object) -> None:
    with pytest.raises(ValueError, match=rf"^k_min must be an integer, got {_escaped(value)}$"):
        parse_int("k_min", value)


@pytest.mark.parametrize("value", [None, False, "null", " None ", "off", "false", ""])
def test_means_none(value: object) -> None:
    assert means_none(value)


@pytest.mark.parametrize("value", [0, "0", True, "x"])
def test_means_none_only_for_none_false_and_none_words(value: object) -> None:
    assert not means_none(value)


# --- parse_float -----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(0.05, 0.05), (1, 1.0), (" 0.05 ", 0.05), ("1e-2", 0.01)])
def test_parse_float_accepts_numbers_and_text(value: object, expected: float) -> None:
    assert parse_float("min_segment_share", value) == expected


@pytest.mark.parametrize("value", [True, "five", None, [0.1]])
def test_parse_float_errors_name_the_key_and_value(value: object) -> None:
    with pytest.raises(ValueError, match=rf"^min_segment_share must be a number, got {_escaped(value)}$"):
        parse_float("min_segment_share", value)


@pytest.mark.parametrize("value", ["nan", float("inf"), "-inf"])
def test_parse_float_refuses_non_finite(value: object) -> None:
    pattern = rf"^min_segment_share must be a finite number, got {_escaped(value)}$"
    with pytest.raises(ValueError, match=pattern):
        parse_float("min_segment_share", value)


# --- parse_bool / parse_word -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("false", False),
        ("N", False),
        ("0", False),
    ],
)
def test_parse_bool_accepts_bools_zero_one_and_words(value: object, expected: bool) -> None:
    assert parse_bool("stability_all_k", value) is expected


@pytest.mark.parametrize("value", ["maybe", 2, 1.0, None, ""])
def test_parse_bool_errors_name_the_key_and_value(value: object) -> None:
    with pytest.raises(ValueError, match=rf"^stability_all_k must be true or false, got {_escaped(value)}$"):
        parse_bool("stability_all_k", value)


def test_parse_word_strips_and_lowercases() -> None:
    assert parse_word("transform", " NONE ") == "none"
    with pytest.raises(ValueError, match=r"^transform must be a string, got 3$"):
        parse_word("transform", 3)


# --- list text and name lists ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["a,b", "[a, b]", "['a', \"b\"]", "(a, b,)", " [ a , , b ] "])
def test_split_list_text_reads_every_spelling_of_a_list(text: str) -> None:
    assert split_list_text(text) == ["a", "b"]


def test_split_list_text_of_an_empty_list() -> None:
    assert split_list_text("[]") == [] and split_list_text("") == []


def test_parse_list_takes_text_or_sequences() -> None:
    assert parse_list("q", "[0.1, 0.9]", "two numbers") == ["0.1", "0.9"]
    assert parse_list("q", (0.1, 0.9), "two numbers") == [0.1, 0.9]
    with pytest.raises(ValueError, match=r"^q must be two numbers, got 0.5$"):
        parse_list("q", 0.5, "two numbers")


@pytest.mark.parametrize(
    "value", ["recency_days, Frequency", "['recency_days', 'Frequency']", [" recency_days", "Frequency "]]
)
def test_parse_name_list_accepts_text_and_lists(value: object) -> None:
    assert parse_name_list("features", value) == ("recency_days", "Frequency")
    assert parse_name_list("features", value, lowercase=True) == ("recency_days", "frequency")


def test_parse_name_list_errors_name_the_key_and_value() -> None:
    with pytest.raises(ValueError, match=r"^features must be a list of names, got 3$"):
        parse_name_list("features", 3)
    with pytest.raises(ValueError, match=r"^features must contain names \(strings\), got 3$"):
        parse_name_list("features", ["a", 3])


# --- settings declared as fields ------------------------------------------------------------

Colour = Literal["red", "green", "blue"]


def _no_x(names: tuple[str, ...]) -> None:
    if "x" in names:
        raise ValueError("x is reserved")


@dataclasses.dataclass(frozen=True)
class _Settings:
    size: int = setting(5, minimum=1)
    cap: int | None = setting(10, minimum=2)
    share: float = setting(0.5, minimum=0, below=1)
    colour: Colour = "red"
    colours: tuple[Colour, ...] = ("red",)
    names: tuple[str, ...] = setting(("a",), check=_no_x)
    bounds: tuple[float, float] | None = setting((0.1, 0.9), minimum=0, maximum=1)
    flag: bool = True

    def __post_init__(self) -> None:
        check_fields(self)


def test_settings_from_mapping_parses_values_by_field_type() -> None:
    assert settings_from_mapping(_Settings, None, var="demo") == _Settings()
    parsed = settings_from_mapping(
        _Settings,
        {
            "size": "7",
            "cap": "off",
            "share": "0.25",
            "colour": " BLUE ",
            "colours": "[Green, blue]",
            "names": "A, b",
            "bounds": "[0, 1]",
            "flag": "no",
        },
        var="demo",
    )
    assert parsed == _Settings(7, None, 0.25, "blue", ("green", "blue"), ("A", "b"), (0.0, 1.0), False)
    # None means "the default" unless the field is optional, where it switches the setting off.
    assert settings_from_mapping(_Settings, {"size": None, "flag": None}, var="demo") == _Settings()
    assert settings_from_mapping(_Settings, {"cap": None, "bounds": False}, var="demo") == _Settings(
        cap=None, bounds=None
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"siz": 3},
            r"^Bad input: unknown demo setting\(s\) \['siz'\]; allowed: \['bounds', 'cap', 'colour', ",
        ),
        ({"size": "big"}, r"^Bad input: var demo: size must be an integer, got 'big'$"),
        ({"size": 0}, r"^Bad input: var demo: size must be an integer >= 1, got 0$"),
        ({"cap": 1}, r"^Bad input: var demo: cap must be an integer >= 2 or none, got 1$"),
        ({"share": 1}, r"^Bad input: var demo: share must be a number in \[0, 1\), got 1.0$"),
        (
            {"colour": "pink"},
            r"^Bad input: var demo: colour must be one of \['red', 'green', 'blue'\], got 'pink'$",
        ),
        (
            {"colours": []},
            r"^Bad input: var demo: colours must be a non-empty list of distinct names .*, got \[\]$",
        ),
        ({"colours": "red, pink"}, r"colours must be .*, got \['red', 'pink'\] \(unknown: \['pink'\]\)$"),
        ({"colours": "red, red"}, r"colours must be .*, got \['red', 'red'\] \(repeated: \['red'\]\)$"),
        ({"names": "a, x"}, r"^Bad input: var demo: names: x is reserved$"),
        (
            {"bounds": "0.5"},
            r"^Bad input: var demo: bounds must be a list of 2 numbers in \[0, 1\] or none, got '0.5'$",
        ),
        (
            {"bounds": [0.5, 2]},
            r"^Bad input: var demo: bounds must be a list of 2 numbers in \[0, 1\] or none, got \(0.5, 2.0\)",
        ),
        ({"flag": "maybe"}, r"^Bad input: var demo: flag must be true or false, got 'maybe'$"),
    ],
)
def test_settings_from_mapping_errors_name_var_field_value_and_what_is_accepted(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        settings_from_mapping(_Settings, values, var="demo")


def test_settings_from_mapping_refuses_a_non_mapping() -> None:
    with pytest.raises(ValueError, match=r"^Bad input: demo settings must be a mapping, got 'size=3'$"):
        settings_from_mapping(_Settings, "size=3", var="demo")  # type: ignore[arg-type]


def test_direct_construction_is_checked_and_lists_become_tuples() -> None:
    built = _Settings(size=np.int64(3), colours=["blue"], names=["b"], bounds=[0, 1])  # type: ignore[arg-type]
    assert built.colours == ("blue",) and built.names == ("b",) and built.bounds == (0, 1)
    for bad in (
        {"size": True},
        {"size": 2.0},
        {"share": float("nan")},
        {"colour": "RED"},  # only vars are read case-insensitively
        {"names": "ab"},  # a string is not a list of names
        {"names": ("a", 3)},
        {"bounds": (0.1, 0.5, 0.9)},
        {"flag": 1},
    ):
        with pytest.raises(ValueError, match=rf"^{next(iter(bad))} must be "):
            _Settings(**bad)  # type: ignore[arg-type]

"""Tests for the shared dbt-var parsers and checks (segmentation/dbt_vars.py)."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from segmentation.dbt_vars import (
    as_name_tuple,
    as_tuple,
    check_int,
    means_none,
    parse_bool,
    parse_float,
    parse_int,
    parse_list,
    parse_name_list,
    parse_optional_int,
    parse_word,
    settings_from_mapping,
    split_list_text,
)


def _escaped(value: object) -> str:
    """repr(value) as a regex, for messages that quote the offending value."""
    return re.escape(repr(value))


# --- check_int ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [3, np.int64(3), 10**30])
def test_check_int_accepts_integers_at_or_above_the_minimum(value: object) -> None:
    check_int("n_init", value, 3)


@pytest.mark.parametrize("value", [True, 3.0, "3", None])
def test_check_int_refuses_non_integers(value: object) -> None:
    with pytest.raises(ValueError, match=rf"^n_init must be an integer, got {_escaped(value)}$"):
        check_int("n_init", value, 3)


@pytest.mark.parametrize("value", [2, np.int64(-1)])
def test_check_int_refuses_values_below_the_minimum(value: object) -> None:
    with pytest.raises(ValueError, match=rf"^n_init must be >= 3, got {_escaped(value)}$"):
        check_int("n_init", value, 3)


# --- as_tuple / as_name_tuple ---------------------------------------------------------------


@pytest.mark.parametrize("value", [["a", "b"], ("a", "b")])
def test_as_name_tuple_turns_sequences_into_tuples(value: object) -> None:
    assert as_name_tuple("features", value) == ("a", "b")


@pytest.mark.parametrize("value", ["a,b", 3, None, {"a", "b"}])
def test_as_name_tuple_refuses_strings_and_non_sequences(value: object) -> None:
    with pytest.raises(ValueError, match=rf"^features must be a list of column names, got {value!r}$"):
        as_name_tuple("features", value)


def test_as_tuple_words_the_message_with_expected() -> None:
    assert as_tuple("clip_quantiles", [0.1, 0.9], "two numbers or none") == (0.1, 0.9)
    with pytest.raises(ValueError, match=r"^clip_quantiles must be two numbers or none, got '0.1'$"):
        as_tuple("clip_quantiles", "0.1", "two numbers or none")


# --- parse_int / parse_optional_int ----------------------------------------------------------


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


@pytest.mark.parametrize("value", [None, "null", " None ", "off", ""])
def test_parse_optional_int_reads_none_words_as_none(value: object) -> None:
    assert parse_optional_int("fixed_k", value) is None


def test_parse_optional_int_parses_the_rest_as_int() -> None:
    assert parse_optional_int("fixed_k", "4") == 4
    with pytest.raises(ValueError, match=r"^fixed_k must be an integer, got 'four'$"):
        parse_optional_int("fixed_k", "four")


def test_means_none() -> None:
    assert means_none(None) and means_none(" NULL ") and means_none("false")
    assert not means_none(0) and not means_none(False) and not means_none("0")


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
    with pytest.raises(ValueError, match=r"^features must be a list of column names, got 3$"):
        parse_name_list("features", 3, noun="column names")
    with pytest.raises(ValueError, match=r"^features must contain feature names \(strings\), got 3$"):
        parse_name_list("features", ["a", 3], noun="feature names")
    with pytest.raises(ValueError, match=r"^features must contain names \(strings\), got \['a', 3\]$"):
        parse_name_list("features", ["a", 3], quote_value=True)


# --- settings_from_mapping -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Settings:
    size: int = 5
    cap: int | None = 10


_PARSERS = {"size": parse_int, "cap": parse_optional_int}


def test_settings_from_mapping_parses_values_and_uses_defaults() -> None:
    assert settings_from_mapping(_Settings, None, _PARSERS, label="demo") == _Settings()
    assert settings_from_mapping(_Settings, {"size": "7"}, _PARSERS, label="demo") == _Settings(size=7)
    # None means "the default" unless the key is nullable, where the parser decides.
    defaulted = settings_from_mapping(_Settings, {"size": None, "cap": None}, _PARSERS, label="demo")
    assert defaulted == _Settings()
    nulled = settings_from_mapping(_Settings, {"cap": None}, _PARSERS, label="demo", nullable={"cap"})
    assert nulled == _Settings(cap=None)


def test_settings_from_mapping_errors() -> None:
    unknown = r"^unknown demo setting\(s\) \['siz'\]; allowed: \['cap', 'size'\]$"
    with pytest.raises(ValueError, match=unknown):
        settings_from_mapping(_Settings, {"siz": 3}, _PARSERS, label="demo")
    with pytest.raises(ValueError, match=r"^demo settings must be a mapping, got 'size=3'$"):
        settings_from_mapping(_Settings, "size=3", _PARSERS, label="demo")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^size must be an integer, got 'big'$"):
        settings_from_mapping(_Settings, {"size": "big"}, _PARSERS, label="demo")
    with pytest.raises(AssertionError, match="parser table out of sync with _Settings"):
        settings_from_mapping(_Settings, {}, {"size": parse_int}, label="demo")

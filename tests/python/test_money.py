"""Money labels: the build's currency code, its symbol, and compact amounts."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation.money import CURRENCY_COLUMN, Currency, currency_of


def test_common_codes_have_their_symbol_and_others_are_written_as_the_code() -> None:
    assert Currency("GBP").symbol == "£"
    assert Currency("USD").symbol == "$"
    assert Currency("CHF").amount(1234.4) == "CHF 1,234"


@pytest.mark.parametrize(
    ("value", "amount", "tick"),
    [
        (1234.4, "$1,234", "$1,234"),
        (123_456, "$123k", "$123.456k"),
        (-1_234_567, "-$1.23m", "-$1.23457m"),
        (2_000_000, "$2.00m", "$2m"),
        (800_000, "$800k", "$800k"),
    ],
)
def test_amounts_are_compact_in_sentences_and_short_on_ticks(value: float, amount: str, tick: str) -> None:
    dollars = Currency("USD")
    assert dollars.amount(value) == amount
    assert dollars.tick(value) == tick


def test_the_currency_is_read_from_the_coverage_row() -> None:
    assert currency_of(pd.DataFrame({CURRENCY_COLUMN: ["EUR"]})) == Currency("EUR")


@pytest.mark.parametrize(
    "coverage",
    [pd.DataFrame({"snapshot_date": ["2011-12-10"]}), pd.DataFrame({CURRENCY_COLUMN: ["EUR", "USD"]})],
    ids=["no currency column", "two rows"],
)
def test_a_coverage_table_without_one_currency_is_refused(coverage: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="rebuild the warehouse"):
        currency_of(coverage)

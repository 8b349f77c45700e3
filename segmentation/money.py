"""Money as readers see it: amounts labelled with the build's currency.

The currency is dbt var `currency` (dbt_project.yml, an ISO 4217 code), which the build writes into
mart `data_coverage`; the summary, the report and the dashboard read it from there, so a dollar log
built with `--vars '{currency: USD}'` is labelled in dollars everywhere and nothing here assumes pounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# The coverage mart's column holding the code.
CURRENCY_COLUMN = "currency"
# Symbols of common codes; any other code is written as the code itself ("CHF 1,234").
CURRENCY_SYMBOLS = {
    "GBP": "£",
    "USD": "$",
    "EUR": "€",
    "JPY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "AUD": "A$",
    "CAD": "C$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "SGD": "S$",
}
THOUSAND, MILLION = 1e3, 1e6
# From this amount on, compact amounts are written in thousands (£12k), below it in full (£9,876).
COMPACT_FROM = 1e4


@dataclass(frozen=True)
class Currency:
    """An ISO 4217 code and how its amounts are written."""

    code: str

    @property
    def symbol(self) -> str:
        """The sign written before an amount: '£', '$', or the code and a space for uncommon codes."""
        return CURRENCY_SYMBOLS.get(self.code, f"{self.code} ")

    def amount(self, value: float) -> str:
        """Compact, for sentences and labels: £1,234, £123k, £1.23m (minus sign in front)."""
        return self._scaled(value, millions=".2f", thousands=",.0f")

    def tick(self, value: float) -> str:
        """For axis ticks, as short as exact: £2m, £2.5m, £800k, £8,000."""
        return self._scaled(value, millions="g", thousands="g")

    def _scaled(self, value: float, millions: str, thousands: str) -> str:
        value = float(value)
        sign = "-" if value < 0 else ""
        value = abs(value)
        if value >= MILLION:
            return f"{sign}{self.symbol}{value / MILLION:{millions}}m"
        if value >= COMPACT_FROM:
            return f"{sign}{self.symbol}{value / THOUSAND:{thousands}}k"
        return f"{sign}{self.symbol}{value:,.0f}"


def currency_of(coverage: pd.DataFrame) -> Currency:
    """The build's currency, from the one row of mart data_coverage."""
    if CURRENCY_COLUMN not in coverage or len(coverage) != 1:
        raise ValueError(
            f"data_coverage must be one row with a {CURRENCY_COLUMN} column (built by this project's dbt "
            "build); rebuild the warehouse"
        )
    return Currency(str(coverage[CURRENCY_COLUMN].iloc[0]))

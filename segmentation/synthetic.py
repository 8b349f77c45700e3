"""Deterministic synthetic retail transaction log shaped like UCI "Online Retail II".

Why this exists: the dbt pipeline must be developed, tested and load-tested without shipping
the real UCI file, and the segmentation needs data in which real segments exist. Everything
here is generated from scratch with a seeded numpy RNG: product names are invented from word
lists, no real row, description or customer is copied or sampled.

The output has the exact Online Retail II layout (``Invoice, StockCode, Description, Quantity,
InvoiceDate, Price, Customer ID, Country``) and carries the same kinds of flaws at roughly the
same rates, so the cleaning rules of the pipeline have something to do:

* cancellation invoices (``C`` prefix, negative quantities) that mostly reverse (part of) an
  earlier purchase line of the same customer (same stock code and price, later timestamp);
* guest invoices without a customer id (whole invoices, about 20% of rows);
* zero prices (free lines, stock adjustments) and negative prices on ``A`` bad-debt invoices;
* non-positive quantities on non-cancellation invoices (stock adjustments, price 0, no customer);
* non-product stock codes (POST, DOT, M, C2, D, S, BANK CHARGES, ADJUST, AMAZONFEE, PADS,
  CRUK, TEST001, gift vouchers);
* exact duplicate lines (a line repeated, adjacent, in the same invoice);
* missing descriptions (mostly on price-0 lines) and a few lower-case free-text descriptions;
* several countries, a handful of customers appearing in two countries;
* a Sep-Nov seasonal peak, no Saturdays, shop hours about 7:00-20:00;
* heavy-tailed spend (a few wholesalers buy hundreds or thousands of units).

Every identified customer has a latent ``customer_type`` (see :data:`CUSTOMER_TYPES`) with its own
purchase rhythm; :func:`generate_customers` exposes it for evaluation, the transaction file never
contains it.

Determinism contract
--------------------
Customers are generated in fixed internal blocks of :data:`BLOCK_CUSTOMERS` customers. Block
``b`` draws from its own RNG streams, derived with ``numpy.random.SeedSequence(seed,
spawn_key=(1, b, stream))``, so its content depends only on the config and ``b``, never on how
blocks are grouped into chunks. Invoice numbers are assigned in one global pass over the invoice
headers (cheap: one timestamp per invoice) in timestamp order. Hence the same config always gives
identical data, and :func:`iter_transaction_chunks` / :func:`write_transactions_chunked` produce
exactly the rows of :func:`generate_transactions`, for any ``chunk_customers``. Only the row
*order* differs: the non-chunked frame is globally sorted by (InvoiceDate, Invoice, line), the
chunked output is sorted that way within each chunk only. Changing :data:`BLOCK_CUSTOMERS` or
the generator code changes the data.

At the real data's scale invoice numbers are 6 digits (489434...) and customer ids 5 digits;
beyond roughly 6M rows (~510k invoices, ~88k customers) they get longer.

Usage
-----
``python -m segmentation.synthetic --out data/synthetic/online_retail_synthetic.csv.gz``
(default 3000 customers, ~210k rows), ``--rows 1000000`` or ``--customers N`` to size it,
``--seed S``; above 100k customers (or with ``--stream``) it writes chunk by chunk. From Python:
``write_transactions(generate_transactions(config_for_rows(1_000_000)), path)``.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "BLOCK_CUSTOMERS",
    "COLUMNS",
    "CUSTOMER_TYPES",
    "SyntheticConfig",
    "WriteSummary",
    "config_for_rows",
    "generate_customers",
    "generate_transactions",
    "iter_transaction_chunks",
    "main",
    "write_transactions",
    "write_transactions_chunked",
]

COLUMNS: tuple[str, ...] = (
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
)

#: Arrow schema of the written file; same logical types as the real parquet copy.
SCHEMA = pa.schema(
    [
        ("Invoice", pa.string()),
        ("StockCode", pa.string()),
        ("Description", pa.string()),
        ("Quantity", pa.int64()),
        ("InvoiceDate", pa.timestamp("us")),
        ("Price", pa.float64()),
        ("Customer ID", pa.float64()),
        ("Country", pa.string()),
    ]
)

#: Customers per internal generation block. Part of the determinism contract (see module doc).
BLOCK_CUSTOMERS = 1000
FIRST_INVOICE = 489434
FIRST_CUSTOMER_ID = 12346

CUSTOMER_TYPES: tuple[str, ...] = (
    "wholesaler",  # whole period, several invoices a month, big baskets, large quantities
    "loyal",  # regular, about monthly, until the end
    "occasional",  # a few invoices spread over the period
    "seasonal",  # gift buyers: only in Oct-Dec, one or more years
    "one_off",  # exactly one purchase invoice
    "churned",  # regular early on, then stop well before the end
    "new",  # first purchase in the last `new_customer_days`
)
(T_WHOLESALER, T_LOYAL, T_OCCASIONAL, T_SEASONAL, T_ONE_OFF, T_CHURNED, T_NEW) = range(7)

UK = "United Kingdom"
#: Non-UK countries with relative weights (rough shape of the real shop's export mix).
FOREIGN_COUNTRIES: tuple[tuple[str, float], ...] = (
    ("EIRE", 17.9),
    ("Germany", 17.6),
    ("France", 14.3),
    ("Netherlands", 5.1),
    ("Spain", 3.8),
    ("Switzerland", 3.2),
    ("Belgium", 3.1),
    ("Portugal", 2.6),
    ("Australia", 1.9),
    ("Channel Islands", 1.7),
    ("Italy", 1.5),
    ("Norway", 1.5),
    ("Sweden", 1.4),
    ("Cyprus", 1.2),
    ("Finland", 1.0),
    ("Austria", 0.9),
    ("Denmark", 0.8),
    ("Unspecified", 0.8),
    ("Greece", 0.7),
    ("Japan", 0.6),
    ("USA", 0.5),
    ("Poland", 0.5),
    ("Israel", 0.4),
    ("Canada", 0.3),
    ("Singapore", 0.3),
    ("Iceland", 0.2),
    ("Lithuania", 0.2),
    ("Malta", 0.2),
    ("Hong Kong", 0.2),
    ("RSA", 0.1),
    ("Brazil", 0.1),
    ("Bahrain", 0.1),
    ("European Community", 0.1),
)
COUNTRIES: tuple[str, ...] = (UK, *(name for name, _ in FOREIGN_COUNTRIES))
EIRE = COUNTRIES.index("EIRE")

# Non-product items: (stock code, description). Appended after the products in the catalog.
SPECIAL_ITEMS: tuple[tuple[str, str], ...] = (
    ("POST", "POSTAGE"),
    ("DOT", "DOTCOM POSTAGE"),
    ("M", "Manual"),
    ("C2", "CARRIAGE"),
    ("D", "Discount"),
    ("S", "SAMPLES"),
    ("BANK CHARGES", "Bank Charges"),
    ("ADJUST", "Adjustment"),
    ("AMAZONFEE", "AMAZON FEE"),
    ("PADS", "CUSHION PADS"),
    ("CRUK", "CRUK Commission"),
    ("TEST001", "TEST ITEM - DO NOT SHIP"),
    ("B", "Adjust bad debt"),
    *((f"gift_0001_{v}", f"GIFT VOUCHER £{v}.00") for v in (10, 20, 30, 40, 50)),
)
_SPECIAL = {code: i for i, (code, _) in enumerate(SPECIAL_ITEMS)}
N_GIFT = 5
# Lower-case free text that warehouse staff type on stock adjustment lines.
ADJUSTMENT_NOTES: tuple[str, ...] = (
    "damaged",
    "wet",
    "missing",
    "stock count",
    "found",
    "crushed",
    "faulty",
    "mixed up",
    "lost in transit",
    "sold as set",
    "?",
    "check",
)

# Invoice kinds (header level).
(
    K_PURCHASE,
    K_GUEST,
    K_CANCEL,
    K_DISCOUNT,
    K_CRUK,
    K_ADJ_STOCK,
    K_FOUND,
    K_BAD_DEBT,
    K_SAMPLES,
    K_BANK,
    K_AMAZON,
    K_ADJUST,
    K_TEST,
) = range(13)
PREFIXES: tuple[str, ...] = ("", "C", "A")

# Shop-hour profile for hours 7..20 (peak around lunch time, like the real shop).
HOUR_WEIGHTS = (1, 15, 65, 90, 115, 150, 140, 132, 127, 90, 55, 17, 9, 2)
FIRST_HOUR = 7
LAST_MINUTE_OF_DAY = 20 * 60 + 59
PACK_SIZES = (1, 2, 3, 4, 6, 8, 10, 12, 24, 25, 48)
PACK_WEIGHTS = (0.30, 0.12, 0.06, 0.10, 0.14, 0.03, 0.03, 0.15, 0.04, 0.02, 0.01)


@dataclass(frozen=True)
class SyntheticConfig:
    """All knobs of the generator. Frozen so a config can key caches and be logged as is.

    Rates are per row unless stated otherwise; the defaults follow the real Online Retail II
    file roughly. ``start``/``end`` are ISO dates, both inclusive.
    """

    n_customers: int = 3000
    seed: int = 42
    start: str = "2009-12-01"
    end: str = "2011-12-09"
    n_products: int = 4000
    #: Share of identified customers per type, aligned with :data:`CUSTOMER_TYPES`.
    type_shares: tuple[float, ...] = (0.01, 0.10, 0.25, 0.15, 0.255, 0.15, 0.085)
    #: Share of all rows on guest invoices (no customer id).
    guest_row_share: float = 0.20
    #: Probability that a purchase invoice is later (partly) cancelled by a ``C`` invoice.
    cancel_invoice_rate: float = 0.14
    #: Probability that a purchase invoice gets a separate ``C`` discount invoice (code D).
    discount_invoice_rate: float = 0.02
    #: Probability that a product line is repeated identically right after itself.
    duplicate_line_rate: float = 0.008
    #: Probability that a product line on a customer invoice is free (price 0).
    zero_price_line_rate: float = 0.0008
    #: Probability that a priced product line has no description.
    missing_description_rate: float = 0.0002
    #: Stock-adjustment lines (negative quantity, price 0, no customer) per row.
    stock_adjustment_rate: float = 0.003
    #: Found-stock lines (positive quantity, price 0, no customer) per row.
    found_stock_rate: float = 0.0015
    #: ``A`` bad-debt adjustment invoices (negative price) per row.
    bad_debt_rate: float = 3e-5
    #: House fee/charge invoices (S, BANK CHARGES, AMAZONFEE, ADJUST, TEST001) per row.
    house_fee_rate: float = 3e-4
    #: Share of identified customers that also order from a second country.
    multi_country_rate: float = 0.005
    #: Share of identified customers based in the UK.
    uk_customer_share: float = 0.885
    #: Share of guest invoices from the UK.
    guest_uk_share: float = 0.97
    #: Median number of product lines on a regular customer's invoice.
    basket_median: float = 10.0
    #: Relative daily volume per calendar month (Jan..Dec); the year-end peak lives here.
    month_weights: tuple[float, ...] = (
        0.9,
        0.85,
        1.0,
        0.9,
        0.95,
        0.95,
        0.95,
        0.9,
        1.2,
        1.4,
        1.7,
        1.3,
    )
    #: Relative volume of a Sunday versus a weekday (Saturdays are always closed).
    sunday_weight: float = 0.7
    #: "New" customers make their first purchase within this many days of ``end``.
    new_customer_days: int = 90

    def __post_init__(self) -> None:
        if self.n_customers < 1:
            raise ValueError("n_customers must be >= 1")
        if self.n_products < 10:
            raise ValueError("n_products must be >= 10")
        if np.datetime64(self.start, "D") > np.datetime64(self.end, "D"):
            raise ValueError("start must not be after end")
        if len(self.type_shares) != len(CUSTOMER_TYPES) or min(self.type_shares) < 0:
            raise ValueError(f"type_shares needs {len(CUSTOMER_TYPES)} non-negative values")
        if not np.isclose(sum(self.type_shares), 1.0):
            raise ValueError("type_shares must sum to 1")
        if len(self.month_weights) != 12 or min(self.month_weights) < 0:
            raise ValueError("month_weights needs 12 non-negative values")
        if not 0 <= self.guest_row_share < 0.95:
            raise ValueError("guest_row_share must be in [0, 0.95)")
        for f in fields(self):
            if f.name.endswith(("_rate", "_share")) and not 0 <= getattr(self, f.name) <= 1:
                raise ValueError(f"{f.name} must be in [0, 1]")


@dataclass(frozen=True)
class WriteSummary:
    """What :func:`write_transactions_chunked` wrote (the CLI prints it)."""

    path: Path
    rows: int
    customers: int
    invoices: int
    bytes: int
    seconds: float


# --------------------------------------------------------------------------------------------
# Global context: calendar and product catalog (shared by all blocks)
# --------------------------------------------------------------------------------------------


@dataclass
class _Catalog:
    codes: np.ndarray  # object: stock code per item (products, then SPECIAL_ITEMS)
    descriptions: np.ndarray  # object: items, then ADJUSTMENT_NOTES, then None (index -1)
    price: np.ndarray  # float: base price per product
    pack: np.ndarray  # int: pack size per product
    popularity_cdf: np.ndarray  # float: cumulative product popularity
    n_products: int

    def special(self, code: str) -> int:
        return self.n_products + _SPECIAL[code]

    def note(self, i: np.ndarray) -> np.ndarray:
        return self.n_products + len(SPECIAL_ITEMS) + i


@dataclass
class _Context:
    config: SyntheticConfig
    day0: int  # start date as days since 1970-01-01
    n_days: int
    day_weight: np.ndarray
    cdf: np.ndarray
    snap_open: np.ndarray  # day -> nearest trading day (itself if open)
    next_open: np.ndarray  # day -> first trading day >= day, or -1
    seasons: np.ndarray  # (n, 2) inclusive day windows of the Oct..Dec 20 gift seasons
    hour_cdf: np.ndarray
    foreign_cdf: np.ndarray
    type_p: np.ndarray
    catalog: _Catalog


def _rng(seed: int, *key: int) -> np.random.Generator:
    """Independent stream per (purpose, block, stream): blocks never share random numbers."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def _calendar(config: SyntheticConfig) -> tuple[int, np.ndarray]:
    """Daily volume weights: closed on Saturdays and Dec 24 - Jan 3, seasonal month factors."""
    days = np.arange(np.datetime64(config.start, "D"), np.datetime64(config.end, "D") + 1)
    day_num = days.astype(np.int64)
    weekday = (day_num + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    dom = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    weight = np.asarray(config.month_weights, dtype=np.float64)[month]
    weight = np.where(weekday == 6, weight * config.sunday_weight, weight)
    closed = (weekday == 5) | ((month == 11) & (dom >= 24)) | ((month == 0) & (dom <= 3))
    weight[closed] = 0.0
    if not (weight > 0).any():
        raise ValueError("the date range contains no trading day")
    return int(day_num[0]), weight


def _gift_seasons(day0: int, n_days: int) -> np.ndarray:
    """Oct 1 .. Dec 20 of every year, cut to the date range, kept when >= 7 days long."""
    first = np.datetime64(day0, "D").astype("datetime64[Y]").astype(int) + 1970
    last = np.datetime64(day0 + n_days - 1, "D").astype("datetime64[Y]").astype(int) + 1970
    out = []
    for year in range(first, last + 1):
        lo = int(np.datetime64(f"{year}-10-01", "D").astype(np.int64)) - day0
        hi = int(np.datetime64(f"{year}-12-20", "D").astype(np.int64)) - day0
        lo, hi = max(lo, 0), min(hi, n_days - 1)
        if hi - lo >= 6:
            out.append((lo, hi))
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


_COLOURS = (
    "RED",
    "PINK",
    "BLUE",
    "GREEN",
    "WHITE",
    "BLACK",
    "IVORY",
    "CREAM",
    "GOLD",
    "SILVER",
    "TEAL",
    "LILAC",
    "ORANGE",
    "YELLOW",
    "PURPLE",
    "GREY",
    "NAVY",
    "MINT",
    "CORAL",
    "SAGE",
)
_STYLES = (
    "VINTAGE",
    "RETRO",
    "RUSTIC",
    "FLORAL",
    "POLKADOT",
    "STRIPY",
    "SPOTTY",
    "GINGHAM",
    "PAISLEY",
    "ENAMEL",
    "WOODEN",
    "GLASS",
    "CERAMIC",
    "TIN",
    "WIRE",
    "FELT",
    "KNITTED",
    "LACE",
    "ZINC",
    "BAMBOO",
    "CHRISTMAS",
    "EASTER",
    "GARDEN",
    "KITCHEN",
    "PARTY",
    "FAIRY",
    "WOODLAND",
    "NORDIC",
    "OWL",
    "STAR",
    "HEART",
    "FLOWER",
    "BUTTERFLY",
    "CHERRY",
    "ROSE",
    "DAISY",
    "SEASIDE",
    "CIRCUS",
    "SPACEBOY",
    "DOLLY",
    "ROBOT",
    "HEN",
    "LLAMA",
    "CACTUS",
    "LEMON",
)
_NOUNS = (
    "MUG",
    "TEA CUP AND SAUCER",
    "CAKE STAND",
    "T-LIGHT HOLDER",
    "LANTERN",
    "PHOTO FRAME",
    "CUSHION COVER",
    "DOORMAT",
    "BUNTING",
    "NAPKINS",
    "PAPER PLATES",
    "GIFT BAG",
    "GIFT WRAP",
    "NOTEBOOK",
    "PENCIL CASE",
    "LUNCH BOX",
    "WATER BOTTLE",
    "HOT WATER BOTTLE",
    "CANDLE",
    "PURSE",
    "TOTE BAG",
    "SHOPPING BAG",
    "WALL CLOCK",
    "METAL SIGN",
    "HOOK",
    "COAT RACK",
    "STORAGE JAR",
    "TRINKET BOX",
    "JEWELLERY BOX",
    "KEYRING",
    "FRIDGE MAGNET",
    "BAUBLE",
    "GARLAND",
    "WREATH",
    "HANGING DECORATION",
    "DOORSTOP",
    "PLANTER",
    "WATERING CAN",
    "APRON",
    "OVEN GLOVE",
    "TEA TOWEL",
    "BISCUIT TIN",
    "CAKE CASES",
    "COOKIE CUTTER",
    "JIGSAW",
    "SKIPPING ROPE",
    "MONEY BOX",
    "SNOW GLOBE",
    "STRING LIGHTS",
    "BIRD HOUSE",
    "HAND WARMER",
    "PARASOL",
    "BUCKET",
    "CHALKBOARD",
    "RECIPE BOX",
    "EGG CUP",
    "BOWL",
    "SERVING TRAY",
    "PICNIC BASKET",
    "STICKER SHEET",
    "GREETING CARD",
    "WASHI TAPE",
    "RIBBON REEL",
    'RECORD FRAME 7"',
    "DRAWER KNOB",
    "MIRROR",
    "BOOKEND",
    "PEG BAG",
    "SOAP DISH",
)
_SIZES = (
    "",
    "",
    "",
    "",
    "SMALL",
    "LARGE",
    "JUMBO",
    "MINI",
    "SET OF 3",
    "SET OF 6",
    "SET/12",
    "PACK OF 20",
    "SET 2",
)


def _make_catalog(config: SyntheticConfig) -> _Catalog:
    """Invented product names, 5-digit stock codes (some with a variant letter), prices, packs.

    Drawn from its own RNG stream so every block sees the same catalog.
    """
    rng = _rng(config.seed, 0)
    n = config.n_products
    names: dict[str, None] = {}
    while len(names) < n:
        k = 4 * n
        size = rng.integers(0, len(_SIZES), k)
        style = rng.integers(0, len(_STYLES), k)
        colour = rng.integers(0, len(_COLOURS) + 6, k)  # >= len: no colour
        noun = rng.integers(0, len(_NOUNS), k)
        for s, t, c, w in zip(size, style, colour, noun, strict=True):
            parts = (_SIZES[s], _COLOURS[c] if c < len(_COLOURS) else "", _STYLES[t], _NOUNS[w])
            names.setdefault(" ".join(p for p in parts if p))
            if len(names) == n:
                break
        if len(names) < n and len(names) >= len(_SIZES) * len(_STYLES) * len(_NOUNS):
            raise ValueError("n_products is larger than the invented name space")
    desc = np.array(list(names), dtype=object)
    # A few sloppy names, like the real file: trailing or leading blanks.
    sloppy = rng.random(n) < 0.01
    desc[sloppy] = np.where(rng.random(int(sloppy.sum())) < 0.5, desc[sloppy] + " ", " " + desc[sloppy])
    base = rng.choice(np.arange(10002, 90000), size=n, replace=False)
    letters = np.array(list("ABCDEFGLMNPRSW"), dtype=object)
    suffix = np.where(rng.random(n) < 0.12, letters[rng.integers(0, len(letters), n)], "")
    codes = np.array([f"{b}{s}" for b, s in zip(base, suffix, strict=True)], dtype=object)
    pack = rng.choice(np.asarray(PACK_SIZES), size=n, p=np.asarray(PACK_WEIGHTS))
    raw = np.exp(rng.normal(np.log(3.0), 0.7, n)) * pack**-0.35
    raw = np.where(rng.random(n) < 0.01, raw * 10, raw)  # a few furniture-sized items
    price = np.where(raw >= 1, np.round(raw * 20) / 20, np.round(raw, 2))
    price = np.maximum(price, 0.1)
    popularity = np.exp(rng.normal(0.0, 1.2, n))
    cdf = np.cumsum(popularity)
    specials = np.array([c for c, _ in SPECIAL_ITEMS], dtype=object)
    special_desc = np.array([d for _, d in SPECIAL_ITEMS], dtype=object)
    return _Catalog(
        codes=np.concatenate([codes, specials]),
        descriptions=np.concatenate(
            [desc, special_desc, np.array(ADJUSTMENT_NOTES, dtype=object), np.array([None], dtype=object)]
        ),
        price=price,
        pack=pack.astype(np.int64),
        popularity_cdf=cdf / cdf[-1],
        n_products=n,
    )


def _context(config: SyntheticConfig) -> _Context:
    day0, weight = _calendar(config)
    n_days = len(weight)
    open_days = np.flatnonzero(weight > 0)
    idx = np.searchsorted(open_days, np.arange(n_days))  # first open day >= d
    next_open = np.where(idx < len(open_days), open_days[np.minimum(idx, len(open_days) - 1)], -1)
    prev_open = open_days[np.maximum(np.searchsorted(open_days, np.arange(n_days), "right") - 1, 0)]
    snap = np.where(prev_open <= np.arange(n_days), prev_open, next_open)
    hour = np.cumsum(HOUR_WEIGHTS, dtype=np.float64)
    foreign = np.cumsum([w for _, w in FOREIGN_COUNTRIES])
    return _Context(
        config=config,
        day0=day0,
        n_days=n_days,
        day_weight=weight,
        cdf=np.cumsum(weight),
        snap_open=snap,
        next_open=next_open,
        seasons=_gift_seasons(day0, n_days),
        hour_cdf=hour / hour[-1],
        foreign_cdf=foreign / foreign[-1],
        type_p=np.asarray(config.type_shares, dtype=np.float64) / sum(config.type_shares),
        catalog=_make_catalog(config),
    )


# --------------------------------------------------------------------------------------------
# Small samplers
# --------------------------------------------------------------------------------------------


def _draw_days(ctx: _Context, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Day index in [lo, hi] following the seasonal daily weights (never a closed day)."""
    before = ctx.cdf[lo] - ctx.day_weight[lo]
    u = before + rng.random(len(lo)) * (ctx.cdf[hi] - before)
    day = np.clip(np.searchsorted(ctx.cdf, u, side="right"), lo, hi)
    return ctx.snap_open[day]


def _draw_minute_of_day(ctx: _Context, rng: np.random.Generator, n: int) -> np.ndarray:
    hour = np.searchsorted(ctx.hour_cdf, rng.random(n), side="right") + FIRST_HOUR
    return hour * 60 + rng.integers(0, 60, n)


def _draw_timestamps(ctx: _Context, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Minutes since the epoch, on a trading day in [lo, hi], within shop hours."""
    day = _draw_days(ctx, rng, lo, hi)
    return (ctx.day0 + day) * 1440 + _draw_minute_of_day(ctx, rng, len(lo))


def _draw_later(ctx: _Context, rng: np.random.Generator, minute: np.ndarray) -> np.ndarray:
    """A strictly later timestamp: same day (40%) or a few trading days after, within range."""
    n = len(minute)
    day = minute // 1440 - ctx.day0
    mod = minute % 1440
    gap = np.where(rng.random(n) < 0.4, 0, rng.geometric(0.3, n))
    later = ctx.next_open[np.minimum(day + gap, ctx.n_days - 1)]
    later = np.where(later < 0, day, later)
    same_day = later == day
    bumped = np.minimum(mod + 1 + rng.integers(0, 120, n), np.maximum(mod + 1, LAST_MINUTE_OF_DAY))
    new_mod = np.where(same_day, bumped, _draw_minute_of_day(ctx, rng, n))
    return (ctx.day0 + later) * 1440 + new_mod


def _draw_foreign(ctx: _Context, rng: np.random.Generator, n: int) -> np.ndarray:
    return 1 + np.searchsorted(ctx.foreign_cdf, rng.random(n), side="right")


def _draw_products(ctx: _Context, rng: np.random.Generator, n: int) -> np.ndarray:
    cat = ctx.catalog
    idx = np.searchsorted(cat.popularity_cdf, rng.random(n), side="right")
    return np.minimum(idx, cat.n_products - 1)


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return np.exp(rng.normal(np.log(median), sigma, n))


def _ranks_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2... within runs of equal values of a sorted array."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.r_[True, groups[1:] != groups[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    return np.arange(n) - first


# --------------------------------------------------------------------------------------------
# Invoice headers (one block of customers)
# --------------------------------------------------------------------------------------------

_HEADER_FIELDS = (
    "kind",
    "prefix",
    "cust",
    "minute",
    "country",
    "n_prod",
    "n_dup",
    "post",
    "dot",
    "manual",
    "c2",
    "pads",
    "gift",
    "ref",
    "qscale",
)


@dataclass
class _Headers:
    """One row per invoice. Everything that decides the row count lives here, so a header-only
    pass gives exact row counts (for invoice numbering, progress and :func:`config_for_rows`).
    """

    kind: np.ndarray
    prefix: np.ndarray  # index into PREFIXES
    cust: np.ndarray  # local customer index in the block, -1 = none
    minute: np.ndarray  # minutes since the epoch
    country: np.ndarray
    n_prod: np.ndarray  # product lines (purchase/guest) or reversed lines (cancel)
    n_dup: np.ndarray
    post: np.ndarray
    dot: np.ndarray
    manual: np.ndarray
    c2: np.ndarray
    pads: np.ndarray
    gift: np.ndarray
    ref: np.ndarray  # cancel/discount: index of the purchase invoice it refers to
    qscale: np.ndarray  # quantity multiplier of the buyer

    @property
    def n_rows(self) -> np.ndarray:
        shopping = (self.kind == K_PURCHASE) | (self.kind == K_GUEST)
        extra = self.n_dup + self.post + self.dot + self.manual + self.c2 + self.pads + self.gift
        return np.where(
            shopping, self.n_prod + extra, np.where(self.kind == K_CANCEL, self.n_prod, 1)
        ).astype(np.int64)

    def take(self, idx: np.ndarray) -> _Headers:
        return _Headers(**{f: getattr(self, f)[idx] for f in _HEADER_FIELDS})

    @staticmethod
    def concat(parts: list[_Headers]) -> _Headers:
        return _Headers(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in _HEADER_FIELDS})

    @staticmethod
    def make(n: int, **values: np.ndarray | int | float) -> _Headers:
        """Headers of n invoices; fields not given are 0/False (-1 for cust and ref)."""
        defaults: dict[str, object] = {"cust": -1, "ref": -1, "qscale": 1.0}
        out = {}
        for f in _HEADER_FIELDS:
            v = values.get(f, defaults.get(f, 0))
            dtype = (
                np.float64
                if f == "qscale"
                else bool
                if f in ("post", "dot", "manual", "c2", "pads", "gift")
                else np.int64
            )
            out[f] = np.broadcast_to(np.asarray(v), (n,)).astype(dtype)
        return _Headers(**out)


@dataclass
class _Customers:
    ctype: np.ndarray
    country: np.ndarray
    second: np.ndarray  # second country or -1
    basket: np.ndarray
    qscale: np.ndarray


def _draw_customers(ctx: _Context, rng: np.random.Generator, n: int) -> _Customers:
    cfg = ctx.config
    ctype = rng.choice(len(CUSTOMER_TYPES), size=n, p=ctx.type_p)
    country = np.where(rng.random(n) < cfg.uk_customer_share, 0, _draw_foreign(ctx, rng, n))
    other = (country + rng.integers(1, len(COUNTRIES), n)) % len(COUNTRIES)
    second = np.where(rng.random(n) < cfg.multi_country_rate, other, -1)
    basket_factor = np.select(
        [ctype == T_WHOLESALER, (ctype == T_ONE_OFF) | (ctype == T_NEW)], [1.5, 0.8], 1.0
    )
    basket = _lognormal(rng, cfg.basket_median, 0.55, n) * basket_factor
    wholesale = _lognormal(rng, 5.0, 0.6, n)
    qscale = _lognormal(rng, 1.0, 0.35, n) * np.where(ctype == T_WHOLESALER, wholesale, 1.0)
    return _Customers(ctype, country, second, basket, qscale)


def _purchase_episodes(
    ctx: _Context, rng: np.random.Generator, cust: _Customers
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per customer type, windows of activity and invoice counts: (customer, lo, hi, count).

    Seasonal buyers get one episode per gift season they are active in, everybody else one.
    """
    cfg = ctx.config
    n, last = len(cust.ctype), ctx.n_days - 1
    t = cust.ctype
    u0, u1 = rng.random(n), rng.random(n)
    u0 = np.where(rng.random(n) < 0.5, 0.0, u0)  # half were customers before the log starts
    lo = np.select(
        [t == T_WHOLESALER, t == T_LOYAL, t == T_OCCASIONAL, t == T_CHURNED, t == T_NEW],
        [
            u0 * 0.15 * last,
            u0 * 0.5 * last,
            u0 * 0.6 * last,
            u0 * 0.35 * last,
            np.full(n, max(0, last - cfg.new_customer_days + 1)),
        ],
        0,
    ).astype(np.int64)
    churn_end = lo + 60 + (u1 * 0.3 * last).astype(np.int64)
    hi = np.where(t == T_CHURNED, np.minimum(churn_end, last - 180), last)
    hi = np.clip(hi, lo, last)
    monthly = np.select(
        [t == T_WHOLESALER, t == T_LOYAL, t == T_OCCASIONAL, t == T_CHURNED],
        [
            _lognormal(rng, 2.0, 0.6, n),
            _lognormal(rng, 0.6, 0.4, n),
            _lognormal(rng, 0.15, 0.5, n),
            _lognormal(rng, 0.9, 0.4, n),
        ],
        0.0,
    )
    count = np.maximum(1, rng.poisson(monthly * (hi - lo + 1) / 30.0))
    count = np.where(t == T_NEW, 1 + rng.poisson(1.0, n), count)
    count = np.where(cust.second >= 0, np.maximum(count, 2), count)  # so both countries show
    count = np.where(t == T_ONE_OFF, 1, count)
    count = np.minimum(count, 2000)

    seasons = ctx.seasons
    seasonal = np.flatnonzero(t == T_SEASONAL)
    s = len(seasons)
    if s == 0:  # no gift season in range: seasonal buyers behave like one-off buyers
        return np.arange(n), lo, hi, count
    active = rng.random((len(seasonal), s)) < 0.6
    active[np.arange(len(seasonal)), rng.integers(0, s, len(seasonal))] = True
    per_season = (1 + rng.poisson(0.7, (len(seasonal), s))) * active
    regular = np.flatnonzero(t != T_SEASONAL)
    ep_cust = np.concatenate([regular, np.repeat(seasonal, s)])
    ep_lo = np.concatenate([lo[regular], np.tile(seasons[:, 0], len(seasonal))])
    ep_hi = np.concatenate([hi[regular], np.tile(seasons[:, 1], len(seasonal))])
    ep_n = np.concatenate([count[regular], per_season.ravel()])
    return ep_cust, ep_lo, ep_hi, ep_n


def _customer_headers(ctx: _Context, rng: np.random.Generator, cust: _Customers) -> _Headers:
    """Purchase invoices of identified customers plus the C invoices that refer to them."""
    cfg = ctx.config
    ep_cust, ep_lo, ep_hi, ep_n = _purchase_episodes(ctx, rng, cust)
    c = np.repeat(ep_cust, ep_n)
    minute = _draw_timestamps(ctx, rng, np.repeat(ep_lo, ep_n), np.repeat(ep_hi, ep_n))
    order = np.lexsort((minute, c))
    c, minute = c[order], minute[order]
    m = len(c)
    # Customers with a second country use it for the later half of their invoices.
    rank = _ranks_within(c)
    n_of = np.bincount(c, minlength=len(cust.ctype))[c]
    moved = (cust.second[c] >= 0) & (rank >= (n_of + 1) // 2)
    country = np.where(moved, cust.second[c], cust.country[c])
    basket = cust.basket[c]
    n_prod = 1 + rng.poisson(rng.gamma(1.3, np.maximum(basket - 1, 0.1) / 1.3))
    n_prod = np.minimum(n_prod, 800)
    r = rng.random((5, m))
    is_uk, is_eire = country == 0, country == EIRE
    purchases = _Headers.make(
        m,
        kind=K_PURCHASE,
        cust=c,
        minute=minute,
        country=country,
        n_prod=n_prod,
        n_dup=rng.binomial(n_prod, cfg.duplicate_line_rate),
        post=np.where(is_uk, r[0] < 0.004, np.where(is_eire, r[0] < 0.1, r[0] < 0.55)),
        c2=is_eire & (r[1] < 0.35),
        manual=r[2] < 0.012,
        pads=r[3] < 0.002,
        qscale=cust.qscale[c] * _lognormal(rng, 1.0, 0.25, m),
    )
    # Cancellations reverse 1..n lines of the purchase, discounts/CRUK are single lines.
    cancel = np.flatnonzero(r[4] < cfg.cancel_invoice_rate)
    discount = np.flatnonzero(rng.random(m) < cfg.discount_invoice_rate)
    cruk = np.flatnonzero(rng.random(m) < 0.002)
    parts = [purchases]
    for kind, idx in ((K_CANCEL, cancel), (K_DISCOUNT, discount), (K_CRUK, cruk)):
        k = len(idx)
        lines = np.minimum(rng.geometric(0.45, k), n_prod[idx]) if kind == K_CANCEL else 0
        parts.append(
            _Headers.make(
                k,
                kind=kind,
                prefix=1,
                cust=c[idx],
                country=country[idx],
                ref=idx,
                minute=_draw_later(ctx, rng, minute[idx]),
                n_prod=lines,
            )
        )
    return _Headers.concat(parts)


def _guest_headers(ctx: _Context, rng: np.random.Generator, target_rows: float) -> _Headers:
    """Guest invoices (no customer id) until about ``target_rows`` rows are reached.

    Half are tiny, half are big web-shop orders (heavy tail, with a DOTCOM POSTAGE line).
    Invoices are drawn from a pool and cut at the target so the row count tracks it closely.
    """
    cfg = ctx.config
    if target_rows <= 0:
        return _Headers.make(0)
    pool = int(target_rows / 8) + 20
    while True:
        big = rng.random(pool) < 0.5
        n_prod = np.where(big, np.round(_lognormal(rng, 35.0, 0.8, pool)), 1 + rng.poisson(1.0, pool))
        n_prod = np.clip(n_prod, 1, 800).astype(np.int64)
        n_dup = rng.binomial(n_prod, cfg.duplicate_line_rate)
        r = rng.random((4, pool))
        country = np.where(r[0] < cfg.guest_uk_share, 0, _draw_foreign(ctx, rng, pool))
        dot = big & (n_prod >= 15) & (r[1] < 0.8)
        gift = r[2] < 0.01
        post = (country != 0) & (r[3] < 0.3)
        rows = np.cumsum(n_prod + n_dup + dot + gift + post)
        if rows[-1] >= target_rows:
            break
        pool *= 2
    k = int(np.searchsorted(rows, target_rows, side="left")) + 1
    if k > 1 and abs(rows[k - 2] - target_rows) < abs(rows[k - 1] - target_rows):
        k -= 1
    full = np.zeros(k, dtype=np.int64)
    return _Headers.make(
        k,
        kind=K_GUEST,
        country=country[:k],
        n_prod=n_prod[:k],
        n_dup=n_dup[:k],
        dot=dot[:k],
        gift=gift[:k],
        post=post[:k],
        manual=rng.random(k) < 0.005,
        minute=_draw_timestamps(ctx, rng, full, full + ctx.n_days - 1),
        qscale=_lognormal(rng, 1.0, 0.5, k),
    )


def _house_headers(ctx: _Context, rng: np.random.Generator, rows: float) -> _Headers:
    """Single-line invoices of the shop itself: adjustments, fees, bad debt (no customer)."""
    cfg = ctx.config
    fee = cfg.house_fee_rate
    rates = (
        (K_ADJ_STOCK, cfg.stock_adjustment_rate),
        (K_FOUND, cfg.found_stock_rate),
        (K_BAD_DEBT, cfg.bad_debt_rate),
        (K_SAMPLES, fee * 0.3),
        (K_BANK, fee * 0.3),
        (K_AMAZON, fee * 0.1),
        (K_ADJUST, fee * 0.2),
        (K_TEST, fee * 0.1),
    )
    counts = rng.poisson([rate * rows for _, rate in rates])
    kind = np.repeat([k for k, _ in rates], counts)
    n = len(kind)
    coin = rng.random(n) < 0.5
    prefix = np.select(
        [
            kind == K_BAD_DEBT,
            (kind == K_SAMPLES) | (kind == K_AMAZON),
            ((kind == K_BANK) | (kind == K_ADJUST)) & coin,
        ],
        [2, 1, 1],
        0,
    )
    full = np.zeros(n, dtype=np.int64)
    return _Headers.make(
        n,
        kind=kind,
        prefix=prefix,
        minute=_draw_timestamps(ctx, rng, full, full + ctx.n_days - 1),
    )


def _block_headers(ctx: _Context, block: int, n_cust: int) -> tuple[_Headers, _Customers]:
    """Headers of the first ``n_cust`` customers of a block (plus its guests and house lines).

    The block's customers and their invoices are always drawn for the full block and then cut,
    so a partial block is an exact prefix of the full one: the row count grows monotonically
    with ``n_cust``, which :func:`config_for_rows` relies on.
    """
    seed = ctx.config.seed
    rng = _rng(seed, 1, block, 0)
    cust = _draw_customers(ctx, rng, BLOCK_CUSTOMERS)
    ident = _customer_headers(ctx, rng, cust)
    keep = ident.cust < n_cust
    new_index = np.cumsum(keep) - 1
    ident = ident.take(np.flatnonzero(keep))
    ident.ref = np.where(ident.ref >= 0, new_index[np.maximum(ident.ref, 0)], -1)
    ident_rows = float(ident.n_rows.sum())
    share = ctx.config.guest_row_share
    guests = _guest_headers(ctx, _rng(seed, 1, block, 1), ident_rows * share / (1 - share))
    house = _house_headers(ctx, _rng(seed, 1, block, 2), ident_rows + guests.n_rows.sum())
    kept = _Customers(**{f.name: getattr(cust, f.name)[:n_cust] for f in fields(_Customers)})
    return _Headers.concat([ident, guests, house]), kept


# --------------------------------------------------------------------------------------------
# Lines (one block)
# --------------------------------------------------------------------------------------------

_LINE_FIELDS = (
    "number",
    "prefix",
    "minute",
    "cust_id",
    "country",
    "item",
    "desc",
    "qty",
    "price",
    "pos",
    "sub",
)


@dataclass
class _Lines:
    """Rows in coded form (dictionary indices instead of strings) until the very end."""

    number: np.ndarray
    prefix: np.ndarray
    minute: np.ndarray
    cust_id: np.ndarray
    country: np.ndarray
    item: np.ndarray  # index into catalog.codes
    desc: np.ndarray  # index into catalog.descriptions, -1 = missing
    qty: np.ndarray
    price: np.ndarray
    pos: np.ndarray  # position in the invoice (-1 = postage first)
    sub: np.ndarray  # 1 = duplicate copy of the line at the same position

    def __len__(self) -> int:
        return len(self.number)

    def take(self, idx: np.ndarray) -> _Lines:
        return _Lines(**{f: getattr(self, f)[idx] for f in _LINE_FIELDS})

    def sorted(self) -> _Lines:
        """Order by invoice number (which follows InvoiceDate), then line position."""
        key = (self.number << 12) | ((self.pos + 1) << 1) | self.sub
        return self.take(np.argsort(key, kind="stable"))

    @staticmethod
    def concat(parts: list[_Lines]) -> _Lines:
        return _Lines(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in _LINE_FIELDS})


@dataclass
class _Piece:
    """Lines of one kind before invoice-level fields are attached."""

    inv: np.ndarray  # header index
    item: np.ndarray
    desc: np.ndarray
    qty: np.ndarray
    price: np.ndarray
    pos: np.ndarray
    sub: np.ndarray | None = None


def _special_price(rng: np.random.Generator, kind: int, n: int) -> np.ndarray:
    median, sigma, decimals = {
        K_DISCOUNT: (12.0, 1.0, 2),
        K_CRUK: (150.0, 0.6, 2),
        K_BAD_DEBT: (15000.0, 0.9, 2),
        K_SAMPLES: (40.0, 1.0, 2),
        K_BANK: (15.0, 1.0, 3),
        K_AMAZON: (3000.0, 0.8, 2),
        K_ADJUST: (40.0, 1.2, 2),
        K_TEST: (2.0, 0.5, 2),
    }[kind]
    price = np.round(_lognormal(rng, median, sigma, n), decimals)
    return -price if kind == K_BAD_DEBT else price


_KIND_ITEM = {
    K_DISCOUNT: "D",
    K_CRUK: "CRUK",
    K_BAD_DEBT: "B",
    K_SAMPLES: "S",
    K_BANK: "BANK CHARGES",
    K_AMAZON: "AMAZONFEE",
    K_ADJUST: "ADJUST",
    K_TEST: "TEST001",
}


def _block_lines(ctx: _Context, block: int, h: _Headers, numbers: np.ndarray, cust_offset: int) -> _Lines:
    """All rows of one block: product lines, duplicates, extra charges, cancellations, house."""
    cfg, cat = ctx.config, ctx.catalog
    rng = _rng(cfg.seed, 1, block, 3)
    n_head = len(h.kind)
    pieces: list[_Piece] = []

    # Product lines of purchase and guest invoices.
    shop = np.flatnonzero((h.kind == K_PURCHASE) | (h.kind == K_GUEST))
    n_prod = h.n_prod[shop]
    total = int(n_prod.sum())
    inv = np.repeat(shop, n_prod)
    starts = np.zeros(n_head, dtype=np.int64)
    starts[shop] = np.cumsum(n_prod) - n_prod
    pos = np.arange(total) - starts[inv]
    prod = _draw_products(ctx, rng, total)
    for _ in range(4):  # the same product twice in a basket: draw again (uniformly)
        key = inv * cat.n_products + prod
        order = np.argsort(key, kind="stable")
        repeated = np.zeros(total, dtype=bool)
        repeated[order[1:]] = key[order][1:] == key[order][:-1]
        if not repeated.any():
            break
        prod[repeated] = rng.integers(0, cat.n_products, int(repeated.sum()))
    qty = cat.pack[prod] * np.ceil(rng.geometric(0.55, total) * h.qscale[inv]).astype(np.int64)
    year = (h.minute[inv] // 1440 - ctx.day0) // 365
    tier = np.where(qty >= 100, 0.8, np.where(qty >= 24, 0.9, 1.0))  # bulk discounts
    price = np.maximum(np.round(cat.price[prod] * tier * (1 + 0.04 * year), 2), 0.01)
    price[(h.kind[inv] == K_PURCHASE) & (rng.random(total) < cfg.zero_price_line_rate)] = 0.0
    desc = np.where(rng.random(total) < cfg.missing_description_rate, -1, prod)
    pieces.append(_Piece(inv, prod, desc, qty, price, pos))

    # Exact duplicates: a product line repeated right after itself.
    dup_inv = np.repeat(shop, h.n_dup[shop])
    src = starts[dup_inv] + (rng.random(len(dup_inv)) * h.n_prod[dup_inv]).astype(np.int64)
    pieces.append(
        _Piece(
            dup_inv, prod[src], desc[src], qty[src], price[src], pos[src], np.ones(len(src), dtype=np.int64)
        )
    )

    # Non-product lines on shopping invoices.
    value = np.bincount(inv, weights=qty * price, minlength=n_head)
    for flag, code, offset in (
        (h.post, "POST", 0),
        (h.dot, "DOT", 0),
        (h.manual, "M", 1),
        (h.c2, "C2", 2),
        (h.pads, "PADS", 3),
        (h.gift, "gift", 4),
    ):
        idx = np.flatnonzero(flag)
        k = len(idx)
        item = np.full(k, cat.special(code if code != "gift" else "gift_0001_10"))
        qty_x = np.ones(k, dtype=np.int64)
        if code == "POST":
            qty_x = rng.geometric(0.4, k)
            price_x = rng.choice([15.0, 18.0, 28.0, 40.0, 60.0], k)
        elif code == "DOT":
            price_x = np.round(np.maximum(value[idx] * rng.uniform(0.05, 0.15, k), 4.0), 2)
        elif code == "M":
            qty_x = np.where(rng.random(k) < 0.8, 1, rng.integers(2, 25, k))
            price_x = np.round(_lognormal(rng, 4.0, 1.5, k), 2)
        elif code == "C2":
            price_x = rng.choice([25.0, 50.0, 50.0, 100.0], k)
        elif code == "PADS":
            price_x = np.full(k, 0.001)
        else:
            voucher = rng.integers(0, N_GIFT, k)
            item = item + voucher
            qty_x = rng.integers(1, 4, k)
            price_x = (10.0 * (voucher + 1)).astype(np.float64)
        desc_x = np.where((code == "gift") & (rng.random(k) < 0.3), -1, item)
        line = np.full(k, -1) if code == "POST" else h.n_prod[idx] + offset  # postage first
        pieces.append(_Piece(idx, item, desc_x, qty_x, price_x, line))

    # Cancellations: reverse a run of lines of the referenced purchase (same code and price).
    cancel = np.flatnonzero(h.kind == K_CANCEL)
    n_rev = h.n_prod[cancel]
    c_inv = np.repeat(cancel, n_rev)
    orig = h.ref[c_inv]
    j = np.arange(len(c_inv)) - np.repeat(np.cumsum(n_rev) - n_rev, n_rev)
    first = np.repeat(rng.integers(0, h.n_prod[h.ref[cancel]]), n_rev)
    src = starts[orig] + (first + j) % h.n_prod[orig]
    part = rng.random(len(src)) < 0.25
    undo = np.where(
        part, np.maximum(1, (qty[src] * rng.uniform(0.1, 1.0, len(src))).astype(np.int64)), qty[src]
    )
    pieces.append(_Piece(c_inv, prod[src], desc[src], -undo, price[src], j))

    # Single-line invoices: discounts, CRUK, stock adjustments, fees, bad debt.
    for kind in range(K_DISCOUNT, K_TEST + 1):
        idx = np.flatnonzero(h.kind == kind)
        k = len(idx)
        sign = np.where(h.prefix[idx] == 1, -1, 1)
        if kind in (K_ADJ_STOCK, K_FOUND):
            item = _draw_products(ctx, rng, k)
            note = cat.note(rng.integers(0, len(ADJUSTMENT_NOTES), k))
            desc_x = np.where(rng.random(k) < (0.85 if kind == K_ADJ_STOCK else 0.75), -1, note)
            qty_x = rng.geometric(0.04 if kind == K_ADJ_STOCK else 0.05, k)
            qty_x = -qty_x if kind == K_ADJ_STOCK else qty_x
            price_x = np.zeros(k)
        else:
            item = np.full(k, cat.special(_KIND_ITEM[kind]))
            desc_x = item
            qty_x = rng.integers(1, 6, k) if kind == K_TEST else sign
            price_x = _special_price(rng, kind, k)
        pieces.append(_Piece(idx, item, desc_x, qty_x, price_x, np.zeros(k, dtype=np.int64)))

    inv = np.concatenate([p.inv for p in pieces])
    cust_id = np.where(h.cust >= 0, h.cust + cust_offset, np.nan).astype(np.float64)
    return _Lines(
        number=numbers[inv],
        prefix=h.prefix[inv],
        minute=h.minute[inv],
        cust_id=cust_id[inv],
        country=h.country[inv],
        item=np.concatenate([p.item for p in pieces]).astype(np.int64),
        desc=np.concatenate([p.desc for p in pieces]).astype(np.int64),
        qty=np.concatenate([p.qty for p in pieces]).astype(np.int64),
        price=np.concatenate([p.price for p in pieces]).astype(np.float64),
        pos=np.concatenate([p.pos for p in pieces]).astype(np.int64),
        sub=np.concatenate(
            [np.zeros(len(p.inv), dtype=np.int64) if p.sub is None else p.sub for p in pieces]
        ),
    )


# --------------------------------------------------------------------------------------------
# Plan, invoice numbers, conversion
# --------------------------------------------------------------------------------------------


def _block_plan(n_customers: int) -> list[tuple[int, int]]:
    """(block index, customers in it); only the last block may be partial."""
    full, rest = divmod(n_customers, BLOCK_CUSTOMERS)
    plan = [(b, BLOCK_CUSTOMERS) for b in range(full)]
    return plan + [(full, rest)] if rest else plan


def _cust_offset(block: int) -> int:
    return FIRST_CUSTOMER_ID + block * BLOCK_CUSTOMERS


def _number_invoices(minutes: list[np.ndarray]) -> list[np.ndarray]:
    """Invoice numbers in timestamp order over all blocks (ties: block, then local order)."""
    sizes = np.cumsum([len(m) for m in minutes])[:-1]
    allm = np.concatenate(minutes) if minutes else np.zeros(0, dtype=np.int64)
    numbers = np.empty(len(allm), dtype=np.int64)
    numbers[np.argsort(allm, kind="stable")] = FIRST_INVOICE + np.arange(len(allm))
    return np.split(numbers, sizes)


def _invoice_strings(lines: _Lines) -> tuple[np.ndarray, np.ndarray]:
    """Distinct invoice strings of the rows and each row's index into them."""
    uniq, first, inverse = np.unique(lines.number, return_index=True, return_inverse=True)
    prefix = lines.prefix[first]
    labels = np.array([PREFIXES[p] + str(n) for p, n in zip(prefix, uniq, strict=True)], dtype=object)
    return labels, inverse


def _to_frame(ctx: _Context, lines: _Lines) -> pd.DataFrame:
    cat = ctx.catalog
    labels, inverse = _invoice_strings(lines)
    return pd.DataFrame(
        {
            "Invoice": labels[inverse],
            "StockCode": cat.codes[lines.item],
            "Description": cat.descriptions[lines.desc],  # -1 -> trailing None
            "Quantity": lines.qty,
            "InvoiceDate": (lines.minute * 60_000_000_000).astype("datetime64[ns]"),
            "Price": lines.price,
            "Customer ID": lines.cust_id,
            "Country": np.asarray(COUNTRIES, dtype=object)[lines.country],
        }
    )


def _dict_array(
    indices: np.ndarray, dictionary: np.ndarray | list, mask: np.ndarray | None = None
) -> pa.Array:
    arr = pa.DictionaryArray.from_arrays(
        pa.array(indices.astype(np.int32), mask=mask), pa.array(dictionary, type=pa.string())
    )
    return arr.dictionary_decode()


def _to_arrow(ctx: _Context, lines: _Lines) -> pa.Table:
    """Same content as :func:`_to_frame`, built from the codes without Python string objects."""
    cat = ctx.catalog
    labels, inverse = _invoice_strings(lines)
    missing = lines.desc < 0
    return pa.Table.from_arrays(
        [
            _dict_array(inverse, labels),
            _dict_array(lines.item, cat.codes),
            _dict_array(np.where(missing, 0, lines.desc), cat.descriptions[:-1], missing),
            pa.array(lines.qty, type=pa.int64()),
            pa.array(lines.minute * 60_000_000, type=pa.timestamp("us")),
            pa.array(lines.price, type=pa.float64()),
            pa.array(lines.cust_id, type=pa.float64(), from_pandas=True),
            _dict_array(lines.country, list(COUNTRIES)),
        ],
        schema=SCHEMA,
    )


def _all_headers(ctx: _Context) -> list[_Headers]:
    return [_block_headers(ctx, b, n)[0] for b, n in _block_plan(ctx.config.n_customers)]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def config_for_rows(n_rows: int, seed: int = 42, **overrides: object) -> SyntheticConfig:
    """Config whose output has about ``n_rows`` rows (off by about one customer's rows).

    Works on header-only passes (exact row counts without generating lines): whole blocks are
    added while they fit, then the number of customers of the last block is found by bisection;
    a partial block is a prefix of the full one, so its rows grow (nearly) monotonically with
    its customers. ``overrides`` are other :class:`SyntheticConfig` fields.
    """
    if n_rows < 1:
        raise ValueError("n_rows must be >= 1")
    base = SyntheticConfig(seed=seed, **overrides)  # type: ignore[arg-type]
    ctx = _context(base)

    def rows(block: int, n: int) -> int:
        return int(_block_headers(ctx, block, n)[0].n_rows.sum()) if n else 0

    total, block = 0, 0
    while True:
        full = rows(block, BLOCK_CUSTOMERS)
        if total + full >= n_rows:
            break
        total, block = total + full, block + 1
    need = n_rows - total
    lo, hi = 1, BLOCK_CUSTOMERS
    while lo < hi:
        mid = (lo + hi) // 2
        if rows(block, mid) >= need:
            hi = mid
        else:
            lo = mid + 1
    best = min((m for m in (lo - 1, lo) if m > 0 or block > 0), key=lambda m: abs(rows(block, m) - need))
    return replace(base, n_customers=block * BLOCK_CUSTOMERS + best)


def generate_customers(config: SyntheticConfig) -> pd.DataFrame:
    """The identified customers with their latent type, for tests and segment evaluation.

    Columns: customer_id (int, equals the file's ``Customer ID``), customer_type, country,
    second_country (None for most), n_purchases, first_purchase, last_purchase.
    """
    ctx = _context(config)
    frames = []
    for block, n in _block_plan(config.n_customers):
        h, cust = _block_headers(ctx, block, n)
        buy = h.kind == K_PURCHASE
        c = h.cust[buy]
        first = np.full(n, np.iinfo(np.int64).max)
        last = np.full(n, np.iinfo(np.int64).min)
        np.minimum.at(first, c, h.minute[buy])
        np.maximum.at(last, c, h.minute[buy])
        countries = np.asarray((*COUNTRIES, None), dtype=object)
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": _cust_offset(block) + np.arange(n),
                    "customer_type": np.asarray(CUSTOMER_TYPES, dtype=object)[cust.ctype],
                    "country": countries[cust.country],
                    "second_country": countries[cust.second],
                    "n_purchases": np.bincount(c, minlength=n),
                    "first_purchase": (first * 60_000_000_000).astype("datetime64[ns]"),
                    "last_purchase": (last * 60_000_000_000).astype("datetime64[ns]"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def generate_transactions(config: SyntheticConfig | None = None) -> pd.DataFrame:
    """The whole transaction log as one DataFrame, sorted by (InvoiceDate, Invoice, line).

    Invoice numbers increase with InvoiceDate. Use :func:`iter_transaction_chunks` or
    :func:`write_transactions_chunked` for sizes that do not fit in memory.
    """
    config = config or SyntheticConfig()
    ctx = _context(config)
    plan = _block_plan(config.n_customers)
    headers = _all_headers(ctx)
    numbers = _number_invoices([h.minute for h in headers])
    parts = [
        _block_lines(ctx, b, h, num, _cust_offset(b))
        for (b, _), h, num in zip(plan, headers, numbers, strict=True)
    ]
    return _to_frame(ctx, _Lines.concat(parts).sorted())


def _iter_chunk_lines(
    config: SyntheticConfig, chunk_customers: int
) -> Iterator[tuple[_Context, _Lines, int]]:
    """Yield (context, sorted lines, total rows) per chunk of whole blocks.

    Pass 1 builds every block's headers to number invoices globally; pass 2 rebuilds them
    per block (deterministic, cheap) and generates the lines.
    """
    if chunk_customers < 1:
        raise ValueError("chunk_customers must be >= 1")
    ctx = _context(config)
    plan = _block_plan(config.n_customers)
    minutes, total = [], 0
    for b, n in plan:
        h = _block_headers(ctx, b, n)[0]
        minutes.append(h.minute)
        total += int(h.n_rows.sum())
    numbers = _number_invoices(minutes)
    del minutes
    per_chunk = max(1, -(-chunk_customers // BLOCK_CUSTOMERS))
    for i in range(0, len(plan), per_chunk):
        parts = []
        for (b, n), num in zip(plan[i : i + per_chunk], numbers[i : i + per_chunk], strict=True):
            parts.append(_block_lines(ctx, b, _block_headers(ctx, b, n)[0], num, _cust_offset(b)))
        yield ctx, _Lines.concat(parts).sorted(), total


def iter_transaction_chunks(config: SyntheticConfig, chunk_customers: int = 50_000) -> Iterator[pd.DataFrame]:
    """The rows of :func:`generate_transactions` in chunks of about ``chunk_customers``.

    ``chunk_customers`` is rounded up to whole blocks of :data:`BLOCK_CUSTOMERS`. Each chunk
    holds all rows of its customers (guest and house invoices are spread over the blocks) and is
    sorted by (InvoiceDate, Invoice, line); chunks are not globally ordered. The union of the
    chunks equals :func:`generate_transactions` for any ``chunk_customers``.
    """
    for ctx, lines, _ in _iter_chunk_lines(config, chunk_customers):
        yield _to_frame(ctx, lines)


def _output_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    raise ValueError(f"unsupported output suffix (use .csv, .csv.gz or .parquet): {path}")


#: gzip level of ``.csv.gz`` output: 6 is gzip's default (a 1M-row file takes ~3 s to compress).
GZIP_LEVEL = 6


class _ParquetSink:
    """Appends tables to one zstd parquet file (one row group per table or so)."""

    def __init__(self, path: Path) -> None:
        self._writer = pq.ParquetWriter(path, SCHEMA, compression="zstd")

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()


class _CsvSink:
    """Appends tables to one CSV file formatted like the real one (optionally gzipped).

    DuckDB does the formatting (header, ',' delimiter, ``YYYY-MM-DD HH:MM:SS`` timestamps,
    doubles as ``12345.0``, empty field = missing, quotes only where needed) into a scratch file
    per table; Python's zlib compresses, which is about twice as fast as DuckDB's gzip writer
    and lets chunks go into one continuous gzip stream.
    """

    def __init__(self, path: Path) -> None:
        # Long-lived handles, closed in close(); callers use try/finally. The gzip header gets
        # no file name and mtime 0 so the same config gives a byte-identical file.
        self._raw = open(path, "wb")  # noqa: SIM115
        self._out: BinaryIO = self._raw
        if path.name.lower().endswith(".gz"):
            self._out = gzip.GzipFile(
                filename="", mode="wb", fileobj=self._raw, compresslevel=GZIP_LEVEL, mtime=0
            )
        self._scratch = path.with_name(f".{path.name}.part.csv")
        self._con = duckdb.connect()
        self._header = True

    def write(self, table: pa.Table) -> None:
        self._con.register("synthetic_chunk", table)
        target = str(self._scratch).replace("'", "''")
        self._con.execute(
            f"COPY (SELECT * FROM synthetic_chunk) TO '{target}' (FORMAT csv, "
            f"HEADER {str(self._header).lower()}, DELIMITER ',', "
            "TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S')"
        )
        self._con.unregister("synthetic_chunk")
        self._header = False
        with open(self._scratch, "rb") as part:
            shutil.copyfileobj(part, self._out, 1 << 22)

    def close(self) -> None:
        self._out.close()
        self._raw.close()
        self._con.close()
        self._scratch.unlink(missing_ok=True)


def _open_sink(path: Path) -> _ParquetSink | _CsvSink:
    fmt = _output_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _ParquetSink(path) if fmt == "parquet" else _CsvSink(path)


def write_transactions(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a transaction frame as ``.csv``, ``.csv.gz`` or ``.parquet`` (zstd), by suffix.

    Parent directories are created. Types follow the real parquet copy: Customer ID DOUBLE,
    InvoiceDate TIMESTAMP; in CSV, missing values are empty fields.
    """
    path = Path(path)
    sink = _open_sink(path)
    try:
        sink.write(pa.Table.from_pandas(df[list(COLUMNS)], schema=SCHEMA, preserve_index=False, safe=False))
    finally:
        sink.close()
    return path


def write_transactions_chunked(
    config: SyntheticConfig, path: str | Path, progress: bool = True, chunk_customers: int = 50_000
) -> WriteSummary:
    """Stream the log to ``path`` chunk by chunk, so memory stays bounded at any size.

    Parquet goes through a pyarrow ``ParquetWriter`` (zstd), CSV through DuckDB plus zlib. A
    background thread writes chunk i while chunk i+1 is generated (at most two chunks in
    memory). Rows equal :func:`generate_transactions` as a multiset; order is by (InvoiceDate,
    Invoice, line) within each chunk only. Progress lines (rows generated / total, elapsed
    seconds) go to stderr.
    """
    path = Path(path)
    started = time.perf_counter()
    rows = customers = invoices = 0
    if progress:
        print(
            f"synthetic: {config.n_customers:,} customers -> {path} (numbering invoices first)",
            file=sys.stderr,
            flush=True,
        )
    sink = _open_sink(path)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: Future[None] | None = None
            for ctx, lines, total in _iter_chunk_lines(config, chunk_customers):
                table = _to_arrow(ctx, lines)
                rows += len(lines)
                customers += len(np.unique(lines.cust_id[~np.isnan(lines.cust_id)]))
                invoices += len(np.unique(lines.number))
                if pending is not None:
                    pending.result()
                pending = pool.submit(sink.write, table)
                if progress:
                    print(
                        f"synthetic: {rows:,} / {total:,} rows ({100 * rows / max(total, 1):.0f}%)"
                        f", {time.perf_counter() - started:.1f}s",
                        file=sys.stderr,
                        flush=True,
                    )
            if pending is not None:
                pending.result()
    finally:
        sink.close()
    return WriteSummary(path, rows, customers, invoices, path.stat().st_size, time.perf_counter() - started)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

#: Above this many customers the CLI streams chunks instead of building one frame.
STREAM_ABOVE_CUSTOMERS = 100_000


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m segmentation.synthetic",
        description="Write a synthetic Online-Retail-II-shaped transaction log.",
    )
    parser.add_argument("--out", required=True, type=Path, help=".csv, .csv.gz or .parquet")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--customers", type=int, help="number of identified customers")
    size.add_argument("--rows", type=int, help="approximate number of rows")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk-customers", type=int, default=50_000)
    parser.add_argument(
        "--stream",
        action="store_true",
        help=f"write chunk by chunk (default above {STREAM_ABOVE_CUSTOMERS:,} "
        "customers); rows are then ordered within chunks only",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--types-out",
        type=Path,
        help="also write each identified customer's planted customer_type (parquet), for "
        "the dbt var planted_types_path",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; prints a one-line summary (rows, customers, invoices, file size)."""
    args = _parse_args(argv)
    started = time.perf_counter()
    if args.rows is not None:
        config = config_for_rows(args.rows, seed=args.seed)
    elif args.customers is not None:
        config = SyntheticConfig(n_customers=args.customers, seed=args.seed)
    else:
        config = SyntheticConfig(seed=args.seed)
    if args.stream or config.n_customers > STREAM_ABOVE_CUSTOMERS:
        s = write_transactions_chunked(
            config, args.out, progress=not args.quiet, chunk_customers=args.chunk_customers
        )
        rows, customers, invoices, path = s.rows, s.customers, s.invoices, s.path
    else:
        df = generate_transactions(config)
        path = write_transactions(df, args.out)
        rows, customers, invoices = (len(df), df["Customer ID"].nunique(), df["Invoice"].nunique())
    if args.types_out is not None:
        types = generate_customers(config).loc[:, ["customer_id", "customer_type"]]
        types.assign(customer_id=types["customer_id"].astype(str)).to_parquet(args.types_out, index=False)
    size_mb = path.stat().st_size / 1e6
    print(
        f"wrote {path}: {rows:,} rows, {customers:,} customers, {invoices:,} invoices, "
        f"{size_mb:.1f} MB (seed {config.seed}, {time.perf_counter() - started:.1f}s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

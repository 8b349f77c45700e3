"""Product categories from descriptions, and each customer's spend share per category.

The two dbt Python models ``product_categories`` and ``customer_category_shares`` wrap
:func:`categorise_products` and :func:`category_shares`; the segment models add the shares to
the customers (:func:`with_category_shares`), so ``spend_share_<category>`` can be features.
How a product gets its category:

1. **Keywords.** The description, upper-cased and split into words, is matched against
   :data:`CATEGORY_KEYWORDS` in order; the first category with a keyword among the words wins
   (``assigned_by = 'keyword'``). The lists were written from the most sold descriptions of
   the UCI files (bags, cake cases, T-light holders, Christmas decorations, ...).
2. **Nearest neighbour.** A product no keyword matches is compared, as a TF-IDF vector of its
   description's words, with every keyword-matched product; it takes the category of the most
   similar one when their cosine similarity reaches ``min_similarity`` (``assigned_by =
   'similarity'``), so "RED RETROSPOT PEG" joins the category of "RED RETROSPOT CAKE CASES"
   through the words they share. Otherwise the product is ``other`` (``assigned_by = 'none'``).

A product sold under several descriptions takes its most frequent one (ties: the first in
sort order), so every stock code has one category.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from segmentation.dbt_vars import check_fields, setting

__all__ = [
    "CATEGORIES",
    "CATEGORY_KEYWORDS",
    "OTHER",
    "CategoryConfig",
    "categorise_products",
    "category_shares",
    "category_spend_sums",
    "share_column",
    "shares_of_category_spend",
    "with_category_shares",
]

OTHER: Final = "other"
# (category, keywords): the first category with a keyword among a description's words wins.
CATEGORY_KEYWORDS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("christmas", ("CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWFLAKE", "NATIVITY", "TREE")),
    ("bags", ("BAG", "BAGS", "SHOPPER", "TOTE", "PURSE", "HANDBAG", "BACKPACK")),
    (
        "kitchen",
        (
            "CAKE", "CAKES", "CAKESTAND", "MUG", "MUGS", "CUP", "CUPS", "PLATE", "PLATES", "BOWL",
            "BOWLS", "JAR", "TEA", "TEACUP", "TEAPOT", "BAKING", "LUNCH", "BOX", "TIN", "TINS",
            "SPOON", "SPOONS", "NAPKINS", "APRON", "BOTTLE", "JUG", "RECIPE", "CASES", "TRAY",
        ),
    ),
    (
        "home_decor",
        (
            "T-LIGHT", "CANDLE", "CANDLES", "HOLDER", "LANTERN", "LIGHT", "LIGHTS", "FRAME", "SIGN",
            "CLOCK", "CUSHION", "DOORMAT", "HEART", "WICKER", "MIRROR", "VASE", "ORNAMENT",
            "DECORATION", "HOOK", "HOOKS", "DRAWER", "CHALKBOARD", "BUNTING", "GARLAND", "WREATH",
        ),
    ),
    (
        "stationery_gifts",
        (
            "CARD", "CARDS", "PAPER", "NOTEBOOK", "PEN", "PENCIL", "PENCILS", "WRAP", "STICKER",
            "STICKERS", "RIBBON", "RIBBONS", "TAPE", "ENVELOPE", "CHAIN", "GIFT", "BOOK",
        ),
    ),
    (
        "toys_party",
        ("TOY", "TOYS", "GAME", "PARTY", "BALLOON", "BALLOONS", "DOLL", "PUZZLE", "SNAP", "BLOCK", "KIT"),
    ),
    (
        "fashion",
        (
            "NECKLACE", "BRACELET", "EARRINGS", "RING", "HAIR", "UMBRELLA", "SCARF", "GLOVES",
            "JEWELLERY", "BROOCH", "CHARM", "KEYRING", "WATER",
        ),
    ),
)  # fmt: skip
CATEGORIES: Final = (*(name for name, _ in CATEGORY_KEYWORDS), OTHER)
PRODUCT_COLUMNS: Final = ("stock_code", "description", "category", "assigned_by", "similarity")
_WORD: Final = re.compile(r"[A-Z0-9][A-Z0-9'+-]*")


@dataclass(frozen=True)
class CategoryConfig:
    """Settings of the categorisation (declared once; see segmentation.dbt_vars)."""

    # An unmatched description takes its nearest matched neighbour's category only when this
    # similar (cosine of TF-IDF vectors); lower puts fewer products in "other", more astray.
    min_similarity: float = setting(0.5, minimum=0, maximum=1)

    def __post_init__(self) -> None:
        check_fields(self)


def share_column(category: str) -> str:
    """The customer feature holding the spend share of ``category``."""
    return f"spend_share_{category}"


def _words(description: str) -> list[str]:
    return _WORD.findall(str(description).upper())


def _keyword_category(description: str) -> str | None:
    words = set(_words(description))
    return next((name for name, keywords in CATEGORY_KEYWORDS if words & set(keywords)), None)


def _main_descriptions(lines: pd.DataFrame) -> pd.DataFrame:
    """One description per stock code: its most frequent one, ties to the first in sort order.

    `lines` are purchase lines, or (with a ``line_count`` column) counts of them per stock code and
    description, as the warehouse sums them.
    """
    grouped = lines.groupby(["stock_code", "description"], dropna=False)
    counts = (
        (grouped["line_count"].sum() if "line_count" in lines else grouped.size()).rename("n").reset_index()
    )
    counts["description"] = counts["description"].fillna("").astype(str)
    ordered = counts.sort_values(["stock_code", "n", "description"], ascending=[True, False, True])
    return ordered.drop_duplicates("stock_code").loc[:, ["stock_code", "description"]].reset_index(drop=True)


def _nearest_categories(
    descriptions: Sequence[str], matched: Sequence[str | None]
) -> tuple[list[str | None], np.ndarray]:
    """For unmatched descriptions: the category of the most similar keyword-matched description
    (cosine of TF-IDF word vectors) and that similarity; matched ones keep theirs (similarity 1)."""
    unmatched = np.array([category is None for category in matched])
    if unmatched.all() or not unmatched.any():
        return list(matched), np.where(unmatched, 0.0, 1.0)
    vectors = TfidfVectorizer(tokenizer=_words, lowercase=False, token_pattern=None).fit_transform(
        descriptions
    )
    labelled = np.flatnonzero(~unmatched)
    similarity = (vectors[unmatched] @ vectors[labelled].T).toarray()
    best = similarity.argmax(axis=1)
    nearest, scores = list(matched), np.ones(len(matched))
    for row, (i, j) in enumerate(zip(np.flatnonzero(unmatched), best, strict=True)):
        nearest[i], scores[i] = matched[labelled[j]], similarity[row, j]
    return nearest, scores


def categorise_products(lines: pd.DataFrame, config: CategoryConfig | None = None) -> pd.DataFrame:
    """Model ``product_categories``: one row per stock code (PRODUCT_COLUMNS), see module doc."""
    config = CategoryConfig() if config is None else config
    # A log without product codes has no products to categorise.
    columns = [c for c in ("stock_code", "description", "line_count") if c in lines]
    products = _main_descriptions(lines.loc[lines["stock_code"].notna(), columns])
    matched = [_keyword_category(d) for d in products["description"]]
    nearest, similarity = _nearest_categories(products["description"].tolist(), matched)
    by_keyword = np.array([c is not None for c in matched], dtype=bool)
    close = similarity >= config.min_similarity
    products["category"] = [
        c if (k or ok) else OTHER for c, k, ok in zip(nearest, by_keyword, close, strict=True)
    ]
    products["assigned_by"] = np.select([by_keyword, close], ["keyword", "similarity"], "none")
    products["similarity"] = np.where(by_keyword, 1.0, similarity).astype("float64")
    return products.loc[:, list(PRODUCT_COLUMNS)]


def category_shares(lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Model ``customer_category_shares``: per customer, the share of purchase value per category.

    One row per customer with a ``spend_share_<category>`` column for every category in
    :data:`CATEGORIES` (0 where the customer bought none); each row sums to 1 unless the
    customer's purchases sum to 0 (then every share is 0).
    """
    category = products.set_index("stock_code")["category"]
    lines = lines.loc[lines["stock_code"].notna()]
    value = lines.assign(category=lines["stock_code"].map(category).fillna(OTHER))
    spend = value.pivot_table(
        index="customer_id", columns="category", values="line_value", aggfunc="sum", fill_value=0
    ).reindex(columns=list(CATEGORIES), fill_value=0)
    return shares_of_category_spend(spend.reset_index())


def category_spend_sums(category: str, value: str) -> str:
    """The SQL select list of one sum of ``value`` per category of :data:`CATEGORIES`, each named
    after its category (0 where ``category`` is another), for :func:`shares_of_category_spend`."""
    return ", ".join(
        f"sum(case when {category} = '{name}' then {value} else 0 end) as {name}" for name in CATEGORIES
    )


def shares_of_category_spend(spend: pd.DataFrame) -> pd.DataFrame:
    """:func:`category_shares` from one row per customer with the value spent per category (a
    column per category of :data:`CATEGORIES`, as :func:`category_spend_sums` sums them in the
    warehouse): pandas gets one row per customer, not one per product bought (at 200M lines, over
    100M rows) nor one per customer and category (summing those beside the rest of a one-day build
    ran DuckDB out of its 2 GB)."""
    by_category = spend.set_index("customer_id").sort_index().loc[:, list(CATEGORIES)].astype("float64")
    total = by_category.sum(axis=1)
    shares = by_category.div(total.where(total > 0), axis=0).fillna(0.0)
    shares.columns = [share_column(c) for c in shares.columns]
    shares.columns.name = None
    return shares.reset_index().astype({"customer_id": str})


def with_category_shares(customers: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """The customers mart with the spend-share columns beside it (0 for a customer without)."""
    columns = [share_column(c) for c in CATEGORIES]
    table = shares.set_axis(shares["customer_id"].astype(str).to_numpy(), axis=0).loc[:, columns]
    values = table.reindex(customers["customer_id"].astype(str).to_numpy()).fillna(0.0).to_numpy()
    out = customers.drop(columns=[c for c in columns if c in customers.columns])
    return out.assign(**dict(zip(columns, values.T, strict=True)))

"""Features a log can give: a column the raw log lacks leaves its features null for everyone.

A log without product codes has no distinct-product count, one without quantities no units; the
customer features are then null in every row (the SQL says "unknown", not 0). The Python models
drop such features, saying so, and use the rest, rather than failing on a null or learning from
a constant.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd


def present_features(frame: pd.DataFrame, features: Sequence[str]) -> tuple[str, ...]:
    """``features`` without those whose column is null in every row of a non-empty ``frame``."""
    if frame.empty:
        return tuple(features)
    return tuple(f for f in features if f not in frame.columns or frame[f].notna().any())


def drop_absent_features(frame: pd.DataFrame, features: Sequence[str], purpose: str) -> tuple[str, ...]:
    """:func:`present_features`, with a warning naming what was left out and why."""
    kept = present_features(frame, features)
    dropped = [f for f in features if f not in kept]
    if dropped:
        warnings.warn(
            f"{purpose}: feature(s) {', '.join(dropped)} left out: null for every customer, because the "
            "raw log lacks the column they are computed from (see the customers mart's column docs)",
            stacklevel=2,
        )
    if not kept:
        raise ValueError(
            f"{purpose}: no feature is left; every one of {list(features)} is null for every customer"
        )
    return kept

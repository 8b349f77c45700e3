"""Parse and check settings that arrive as dbt vars.

dbt hands a Python model its ``vars`` as whatever YAML or ``--vars`` produced: ``"3"``, ``3``,
``3.0``, ``"[a, b]"``, ``["a", "b"]``, ``"false"``, ``None``. The config dataclasses in
:mod:`segmentation.clustering` and :mod:`segmentation.prediction` are built from such values
through :func:`settings_from_mapping` with one ``parse_*`` function per key, and validate
themselves with :func:`check_int` and :func:`as_name_tuple`, so a bad var fails early with a
message that names the key and the offending value instead of deep inside scikit-learn.

Every parser has the signature ``(key, value) -> parsed`` and raises ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Final, TypeVar, cast

import numpy as np

__all__ = [
    "FALSE_WORDS",
    "NONE_WORDS",
    "TRUE_WORDS",
    "Parser",
    "as_name_tuple",
    "as_tuple",
    "check_int",
    "means_none",
    "parse_bool",
    "parse_float",
    "parse_int",
    "parse_list",
    "parse_name_list",
    "parse_optional_int",
    "parse_word",
    "settings_from_mapping",
    "split_list_text",
]

# Text that means "no value" where a setting may be switched off (``fixed_k: none``).
NONE_WORDS: Final = frozenset({"", "none", "null", "off", "false", "no"})
TRUE_WORDS: Final = frozenset({"true", "1", "yes", "y", "on"})
FALSE_WORDS: Final = frozenset({"false", "0", "no", "n", "off"})

Parser = Callable[[str, object], object]
_Settings = TypeVar("_Settings")


# --------------------------------------------------------------------------------------------
# Checks on constructed configs
# --------------------------------------------------------------------------------------------


def check_int(name: str, value: object, minimum: int) -> None:
    """Raise unless ``value`` is an integer (not a bool) that is at least ``minimum``.

    Why: configs can also be built directly in Python, where nothing parsed the value; a bool
    is an int to Python but never a meaningful count, and numpy integers come from frames.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")


def as_tuple(name: str, value: object, expected: str) -> tuple[object, ...]:
    """``value`` as a tuple, for a dataclass field that must be a list (``expected`` says what).

    Why: frozen configs must be hashable and comparable, so lists become tuples; a bare string
    is a Sequence too, but ``"abc"`` would silently become ``('a', 'b', 'c')``, so it is refused.
    """
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return tuple(value)


def as_name_tuple(name: str, value: object) -> tuple[str, ...]:
    """:func:`as_tuple` for a list of column names (the ``features`` field of both configs).

    The items are not checked here: each config validates its names against its own allowed
    columns (with its own message), right after this coercion.
    """
    return cast("tuple[str, ...]", as_tuple(name, value, "a list of column names"))


# --------------------------------------------------------------------------------------------
# Parsers for values as dbt delivers them
# --------------------------------------------------------------------------------------------


def means_none(value: object) -> bool:
    """True for ``None`` and for text such as ``'null'`` or ``'off'`` (see :data:`NONE_WORDS`).

    Why: ``--vars '{fixed_k: null}'`` and a YAML ``none`` both reach Python, depending on the
    route, as ``None`` or as the string; both mean "switched off".
    """
    return value is None or (isinstance(value, str) and value.strip().lower() in NONE_WORDS)


def parse_int(key: str, value: object) -> int:
    """An integer from an int, a whole float (``7.0``) or text (``' 3 '``, ``'1e3'``).

    Why: YAML and ``--vars`` give ``3``, ``"3"`` or ``3.0`` for the same setting. Text is read
    exactly as an int first, so large values are not rounded through a float; bools and
    fractional numbers are refused rather than truncated.
    """
    if isinstance(value, bool):
        raise ValueError(f"{key} must be an integer, got {value!r}")
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if number.is_integer():
                return int(number)
    raise ValueError(f"{key} must be an integer, got {value!r}")


def parse_optional_int(key: str, value: object) -> int | None:
    """``None`` where :func:`means_none`, else :func:`parse_int` (e.g. ``fixed_k``)."""
    if means_none(value):
        return None
    return parse_int(key, value)


def parse_float(key: str, value: object) -> float:
    """A finite float from a number or text.

    Why: ``'0.05'`` is as common as ``0.05`` in dbt vars; NaN and infinities are refused since
    no share or quantile setting means anything with them (and they slip through comparisons).
    """
    if isinstance(value, bool):
        raise ValueError(f"{key} must be a number, got {value!r}")
    try:
        text = value.strip() if isinstance(value, str) else value
        number = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{key} must be a finite number, got {value!r}")
    return number


def parse_bool(key: str, value: object) -> bool:
    """A bool from a bool, 0/1 or text (:data:`TRUE_WORDS`, :data:`FALSE_WORDS`, any case).

    Why: ``bool('false')`` is True, so text must be read word by word; anything else (``2``,
    ``'maybe'``) is refused instead of being guessed.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
    raise ValueError(f"{key} must be true or false, got {value!r}")


def parse_word(key: str, value: object) -> str:
    """A choice word such as ``'log1p'``, stripped and lower-cased (``'NONE'`` == ``'none'``).

    Only the type is checked here; the config checks the word against its allowed choices.
    """
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, got {value!r}")
    return value.strip().lower()


def split_list_text(value: str) -> list[str]:
    """'[a, b]', 'a,b' and "['a', 'b']" all mean the same list (dbt vars are often text).

    Brackets or parentheses around the list, quotes around items and empty items are dropped.
    """
    text = value.strip().strip("[]()")
    return [part.strip().strip("'\"").strip() for part in text.split(",") if part.strip()]


def parse_list(key: str, value: object, expected: str) -> list[object]:
    """The items of list text (:func:`split_list_text`) or of a real list, unchecked.

    Why: one var may arrive as ``'[a, b]'`` from ``--vars`` or as a YAML list; anything else
    (a number, a mapping) is refused with ``expected`` saying what was wanted.
    """
    if isinstance(value, str):
        return list(split_list_text(value))
    if isinstance(value, Sequence):
        return list(value)
    raise ValueError(f"{key} must be {expected}, got {value!r}")


def parse_name_list(
    key: str,
    value: object,
    *,
    noun: str = "names",
    lowercase: bool = False,
    quote_value: bool = False,
) -> tuple[str, ...]:
    """A tuple of stripped names from list text or a real list (see :func:`parse_list`).

    ``noun`` words the messages (``'feature names'``, ``'column names'``); ``lowercase`` folds
    case (for names matched case-insensitively); a non-string item is quoted in the message,
    or the whole ``value`` with ``quote_value=True``. Whether the names are allowed is left to
    the config, which checks directly built configs the same way.
    """
    names: list[str] = []
    for item in parse_list(key, value, f"a list of {noun}"):
        if not isinstance(item, str):
            shown = value if quote_value else item
            raise ValueError(f"{key} must contain {noun} (strings), got {shown!r}")
        name = item.strip()
        names.append(name.lower() if lowercase else name)
    return tuple(names)


# --------------------------------------------------------------------------------------------
# A whole settings mapping
# --------------------------------------------------------------------------------------------


def settings_from_mapping(
    cls: type[_Settings],
    values: Mapping[str, object] | None,
    parsers: Mapping[str, Parser],
    *,
    label: str,
    nullable: Collection[str] = frozenset(),
) -> _Settings:
    """Build the dataclass ``cls`` from a mapping of dbt vars, one parser per field.

    ``values=None`` (the var is not set) gives the defaults. Unknown keys are rejected, since a
    typo would otherwise be silently ignored; ``label`` names the settings in that message
    (``'unknown segmentation setting(s) [...]'``). A ``None`` value means "use the default",
    except for the keys in ``nullable``, whose parser receives it (there ``None`` switches the
    setting off). Range checks are left to ``cls`` itself, so direct construction gets them too.
    """
    values = {} if values is None else values
    if not isinstance(values, Mapping):
        raise ValueError(f"{label} settings must be a mapping, got {values!r}")
    field_names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    assert field_names == set(parsers), f"parser table out of sync with {cls.__name__}"
    unknown = sorted(str(key) for key in values if key not in field_names)
    if unknown:
        raise ValueError(f"unknown {label} setting(s) {unknown}; allowed: {sorted(parsers)}")
    kwargs = {
        key: parsers[key](key, raw) for key, raw in values.items() if raw is not None or key in nullable
    }
    return cls(**kwargs)

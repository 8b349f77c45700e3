"""Settings declared once, as dataclass fields, and read from dbt vars.

dbt hands a Python model its ``vars`` as whatever YAML or ``--vars`` produced: ``"3"``, ``3``,
``3.0``, ``"[a, b]"``, ``["a", "b"]``, ``"false"``, ``None``. A config dataclass declares each
setting exactly once, as a field with its default; the field's type hint says how a var is
parsed and which values are accepted, and :func:`setting` adds what a type cannot say (a range,
a custom check)::

    k_min: int = setting(2, minimum=2)
    transform: Literal["log1p", "none"] = "log1p"

:func:`settings_from_mapping` builds such a dataclass from a dbt var and :func:`check_fields`
(called from ``__post_init__``) validates it however it was built, so a bad var fails early
with a message naming the var, the field, the bad value and what is accepted, instead of deep
inside scikit-learn.

Types understood:

* ``int``, ``float``, ``bool``; a range from :func:`setting` applies to the number(s);
* ``Literal[...]``: a choice word, read stripped and case-insensitively from vars;
* ``tuple[str, ...]``: a list of names; ``tuple[Literal[...], ...]``: a selection of choices,
  non-empty and without repeats;
* ``tuple[float, float]`` (any fixed length, int or float items): exactly that many numbers;
* ``X | None``: ``None``, ``False`` or a word such as ``'off'`` (:data:`NONE_WORDS`) switch the
  setting off; for every other field a ``None`` var means "the default".

Every parser has the signature ``(key, value) -> parsed`` and raises ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import numpy as np

__all__ = [
    "BAD_INPUT_MARKER",
    "FALSE_WORDS",
    "NONE_WORDS",
    "TRUE_WORDS",
    "check_fields",
    "means_none",
    "parse_bool",
    "parse_float",
    "parse_int",
    "parse_list",
    "parse_name_list",
    "parse_word",
    "setting",
    "settings_from_mapping",
    "split_list_text",
]

# Text that means "no value" where a setting may be switched off (``fixed_k: none``).
NONE_WORDS: Final = frozenset({"", "none", "null", "off", "false", "no"})
TRUE_WORDS: Final = frozenset({"true", "1", "yes", "y", "on"})
FALSE_WORDS: Final = frozenset({"false", "0", "no", "n", "off"})

_Parser = Callable[[str, object], object]
# A custom check of one field's value: raises ValueError, returns nothing.
Check = Callable[[Any], object]
_Settings = TypeVar("_Settings")

# Field metadata keys written by setting().
_MINIMUM: Final = "minimum"
_MAXIMUM: Final = "maximum"
_BELOW: Final = "below"
_CHECK: Final = "check"

# How numbers are named in messages: (one, several).
_NUMBER_NOUNS: Final = {int: ("an integer", "integers"), float: ("a number", "numbers")}

# The words every message about unusable input starts with (as macro bad_input_prefix in dbt): the
# main job exits 2, not 1, when dbt's output holds them.
BAD_INPUT_MARKER: Final = "Bad input: "


# --------------------------------------------------------------------------------------------
# Declaring a setting
# --------------------------------------------------------------------------------------------


def setting(
    default: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    below: float | None = None,
    check: Check | None = None,
) -> Any:
    """A dataclass field with ``default`` and what its type cannot say.

    ``minimum`` and ``maximum`` are inclusive bounds, ``below`` an exclusive upper bound; for a
    tuple of numbers they bound every item. ``check`` validates the whole value (after the
    type) and raises ``ValueError``; its message is prefixed with the field name.
    Typed ``Any`` (as :func:`dataclasses.field` is, in effect) so the annotation stays the
    field's real type.
    """
    rules = {_MINIMUM: minimum, _MAXIMUM: maximum, _BELOW: below, _CHECK: check}
    return dataclasses.field(default=default, metadata={k: v for k, v in rules.items() if v is not None})


@functools.cache
def _fields(cls: type) -> tuple[tuple[dataclasses.Field[Any], Any], ...]:
    """Each field of the dataclass ``cls`` with its evaluated type hint, in declaration order."""
    hints = get_type_hints(cls)
    return tuple((f, hints[f.name]) for f in dataclasses.fields(cls))


def _split_optional(hint: Any) -> tuple[Any, bool]:
    """(``X``, True) for ``X | None`` / ``Optional[X]``, else (``hint``, False)."""
    if get_origin(hint) in (Union, types.UnionType):
        rest = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(rest) == 1:  # a union holds two or more types, so None was one of them
            return rest[0], True
        raise TypeError(f"unsupported setting type {hint!r}")
    return hint, False


def _tuple_parts(hint: Any) -> tuple[Any, int | None]:
    """(item type, length) of a tuple hint; length None for ``tuple[X, ...]``."""
    args = get_args(hint)
    if len(args) == 2 and args[1] is Ellipsis:
        return args[0], None
    if not args or len(set(args)) != 1:
        raise TypeError(f"unsupported setting type {hint!r}: tuple items must share one type")
    return args[0], len(args)


# --------------------------------------------------------------------------------------------
# What is accepted, in words
# --------------------------------------------------------------------------------------------


def _range_text(rules: Mapping[str, object]) -> str:
    low, high, below = rules.get(_MINIMUM), rules.get(_MAXIMUM), rules.get(_BELOW)
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    if low is not None and below is not None:
        return f" in [{low}, {below})"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    if below is not None:
        return f" < {below}"
    return ""


def _describe_plain(hint: Any, rules: Mapping[str, object]) -> str:
    if hint is bool:
        return "true or false"
    if hint in _NUMBER_NOUNS:
        return _NUMBER_NOUNS[hint][0] + _range_text(rules)
    if get_origin(hint) is Literal:
        return f"one of {list(get_args(hint))}"
    if get_origin(hint) is tuple:
        item, length = _tuple_parts(hint)
        if length is not None and item in _NUMBER_NOUNS:
            return f"a list of {length} {_NUMBER_NOUNS[item][1]}{_range_text(rules)}"
        if length is None and get_origin(item) is Literal:
            return f"a non-empty list of distinct names from {list(get_args(item))}"
        if length is None and item is str:
            return "a list of names"
    raise TypeError(f"unsupported setting type {hint!r}")


def _describe(hint: Any, rules: Mapping[str, object]) -> str:
    """What a field of type ``hint`` with ``rules`` (its metadata) accepts, for messages."""
    plain, optional = _split_optional(hint)
    text = _describe_plain(plain, rules)
    return f"{text} or none" if optional else text


# --------------------------------------------------------------------------------------------
# Checks on constructed configs
# --------------------------------------------------------------------------------------------


def _in_range(number: float, rules: Mapping[str, Any]) -> bool:
    """False for NaN, which fails every comparison (and so every range)."""
    if _MINIMUM in rules and not number >= rules[_MINIMUM]:
        return False
    if _MAXIMUM in rules and not number <= rules[_MAXIMUM]:
        return False
    return not (_BELOW in rules and not number < rules[_BELOW])


def _is_number(value: object, kind: type) -> bool:
    """A bool is an int to Python but never a meaningful count or share; numpy integers come
    from frames and count as integers."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int | np.integer) if kind is int else isinstance(value, int | float)


def _valid_scalar(value: object, hint: Any, rules: Mapping[str, Any]) -> bool:
    if hint is bool:
        return isinstance(value, bool)
    if hint in _NUMBER_NOUNS:
        return _is_number(value, hint) and _in_range(value, rules)  # type: ignore[arg-type]
    return value in get_args(hint)  # a Literal


def _checked_tuple(name: str, value: object, hint: Any, rules: Mapping[str, Any], accepted: str) -> tuple:
    """``value`` as a tuple (frozen configs must be hashable), or a ValueError saying why not.

    A bare string is a Sequence too, but ``"abc"`` would silently become ``('a', 'b', 'c')``,
    so it is refused.
    """
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be {accepted}, got {value!r}")
    items = tuple(value)
    item, length = _tuple_parts(hint)
    if length is not None:
        if len(items) != length or not all(_valid_scalar(v, item, rules) for v in items):
            raise ValueError(f"{name} must be {accepted}, got {value!r}")
    elif item is str:
        if not all(isinstance(v, str) for v in items):
            raise ValueError(f"{name} must be {accepted}, got {value!r}")
    else:
        unknown = [v for v in items if v not in get_args(item)]
        repeated = sorted({v for v in items if items.count(v) > 1}, key=items.index)
        detail = f" (unknown: {unknown})" if unknown else f" (repeated: {repeated})" if repeated else ""
        if not items or detail:
            raise ValueError(f"{name} must be {accepted}, got {list(items)!r}{detail}")
    return items


def _checked(name: str, value: object, hint: Any, rules: Mapping[str, Any]) -> object:
    """``value`` validated against the field's type and rules (lists become tuples)."""
    plain, optional = _split_optional(hint)
    if optional and value is None:
        return None
    accepted = _describe(hint, rules)
    if get_origin(plain) is tuple:
        value = _checked_tuple(name, value, plain, rules, accepted)
    elif not _valid_scalar(value, plain, rules):
        raise ValueError(f"{name} must be {accepted}, got {value!r}")
    if _CHECK in rules:
        try:
            rules[_CHECK](value)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
    return value


def check_fields(config: object) -> None:
    """Validate every field of the frozen dataclass ``config`` by its type and :func:`setting`.

    Call it first in ``__post_init__``, then check what relates fields to each other. Why here
    and not only when parsing: configs are also built directly in Python, where nothing parsed
    the values.
    """
    for field, hint in _fields(type(config)):
        value = _checked(field.name, getattr(config, field.name), hint, field.metadata)
        object.__setattr__(config, field.name, value)


# --------------------------------------------------------------------------------------------
# Parsers for values as dbt delivers them
# --------------------------------------------------------------------------------------------


def means_none(value: object) -> bool:
    """True for ``None``, ``False`` and text such as ``'null'`` or ``'off'`` (:data:`NONE_WORDS`).

    Why: ``--vars '{fixed_k: null}'``, ``clip_quantiles: false`` and a YAML ``none`` all reach
    Python, depending on the route, as ``None``, ``False`` or a string; all mean "switched off".
    """
    if value is None or value is False:
        return True
    return isinstance(value, str) and value.strip().lower() in NONE_WORDS


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


def parse_name_list(key: str, value: object, *, lowercase: bool = False) -> tuple[str, ...]:
    """A tuple of stripped names from list text or a real list (see :func:`parse_list`).

    ``lowercase`` folds case, for choice names (matched case-insensitively, as choice words
    are). Whether the names are allowed is left to the config, which checks directly built
    configs the same way.
    """
    names: list[str] = []
    for item in parse_list(key, value, "a list of names"):
        if not isinstance(item, str):
            raise ValueError(f"{key} must contain names (strings), got {item!r}")
        name = item.strip()
        names.append(name.lower() if lowercase else name)
    return tuple(names)


def _plain_parser(hint: Any, rules: Mapping[str, object], accepted: str) -> _Parser:
    """The parser of a type without ``| None``; ``accepted`` words the whole field's values."""
    if hint is bool:
        return parse_bool
    if hint is int:
        return parse_int
    if hint is float:
        return parse_float
    if get_origin(hint) is Literal:
        return parse_word
    item, length = _tuple_parts(hint)  # only tuples are left
    if length is None:
        return functools.partial(parse_name_list, lowercase=get_origin(item) is Literal)
    parse_item = _plain_parser(item, rules, accepted)

    def parse_fixed(key: str, value: object) -> tuple[object, ...]:
        parts = parse_list(key, value, accepted)
        if len(parts) != length:
            raise ValueError(f"{key} must be {accepted}, got {value!r}")
        return tuple(parse_item(key, part) for part in parts)

    return parse_fixed


def _parser(hint: Any, rules: Mapping[str, object]) -> _Parser:
    """The parser a field's type implies; optional fields read :func:`means_none` as None."""
    plain, optional = _split_optional(hint)
    parse = _plain_parser(plain, rules, _describe(hint, rules))
    if not optional:
        return parse
    return lambda key, value: None if means_none(value) else parse(key, value)


# --------------------------------------------------------------------------------------------
# A whole settings mapping
# --------------------------------------------------------------------------------------------


def settings_from_mapping(
    cls: type[_Settings], values: Mapping[str, object] | None, *, var: str
) -> _Settings:
    """Build the dataclass ``cls`` from the dbt var ``var`` (a mapping of settings).

    ``values=None`` (the var is not set) gives the defaults. Unknown keys are rejected, since a
    typo would otherwise be silently ignored. A ``None`` value means "use the default", except
    for optional fields (``X | None``), where it switches the setting off. Errors from parsing
    or from ``cls``' own checks are prefixed with ``var <var>:``; every error starts with
    BAD_INPUT_MARKER, so the main job exits 2 on a mistyped setting as on any bad input.
    """
    values = {} if values is None else values
    if not isinstance(values, Mapping):
        raise ValueError(f"{BAD_INPUT_MARKER}{var} settings must be a mapping, got {values!r}")
    fields = {field.name: (field, hint) for field, hint in _fields(cls)}
    unknown = sorted(str(key) for key in values if key not in fields)
    if unknown:
        raise ValueError(f"{BAD_INPUT_MARKER}unknown {var} setting(s) {unknown}; allowed: {sorted(fields)}")
    try:
        kwargs = {}
        for key, raw in values.items():
            field, hint = fields[key]
            if raw is not None or _split_optional(hint)[1]:
                kwargs[key] = _parser(hint, field.metadata)(key, raw)
        return cls(**kwargs)
    except ValueError as error:
        raise ValueError(f"{BAD_INPUT_MARKER}var {var}: {error}") from None

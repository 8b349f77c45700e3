"""Stand-in for dbt's `adapter` while sqlfluff renders models.

`adapter.dispatch(name, 'customer_segmentation')` gives the DuckDB implementation of the project's
cross-database macros (macros/cross_db/) in the same shape: sqlfluff lints DuckDB SQL, and dbt
renders the real thing for each warehouse.
"""

from collections.abc import Callable, Iterable


def _literal(text: object) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _format_list(formats: object) -> str:
    # sqlfluff's var() returns a placeholder object, not the list in dbt_project.yml.
    items = list(formats) if isinstance(formats, Iterable) and not isinstance(formats, str) else []
    return ", ".join(_literal(item) for item in items) or _literal("%Y-%m-%d")


_DUCKDB: dict[str, Callable[..., str]] = {
    "try_cast_iso_timestamp": lambda expression: f"try_cast({expression} as timestamp)",
    "try_parse_timestamp": lambda expression, formats: f"try_strptime({expression}, [{_format_list(formats)}])",
    "regexp_replace_all": lambda expression, pattern, replacement: (
        f"regexp_replace({expression}, {_literal(pattern)}, {_literal(replacement)}, 'g')"
    ),
    "regexp_full_match": lambda expression, pattern: f"regexp_full_match({expression}, {_literal(pattern)})",
    "iso_day_of_week": lambda expression: f"extract(isodow from {expression})",
    "median": lambda expression: f"median({expression})",
    "raise_error": lambda message, data_type: f"cast(error({message}) as {data_type})",
    "integer_divide": lambda numerator, denominator: f"(({numerator}) // ({denominator}))",
}


def dispatch(macro_name: str, macro_namespace: str | None = None) -> Callable[..., str]:
    return _DUCKDB[macro_name]

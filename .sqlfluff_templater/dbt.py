"""Stand-ins for dbt's cross-database macros, so sqlfluff's jinja templater can render models.

They only need to produce valid DuckDB SQL of the same shape; dbt renders the real thing.
"""


def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
    return f"({from_date_or_timestamp} + interval ({interval}) {datepart})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def type_string() -> str:
    return "varchar"


def date_spine(datepart: str, start_date: str, end_date: str) -> str:
    return (
        f"select cast(range as date) as date_{datepart}"
        f" from range({start_date}, {end_date}, interval 1 {datepart})"
    )

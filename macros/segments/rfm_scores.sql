{% macro quintile_score(column, higher_is_better=true) -%}
    least(
        5,
        1 + cast(floor(5 * percent_rank() over (order by {{ column }} {{ 'asc' if higher_is_better else 'desc' }})) as integer)
    )
{%- endmacro %}

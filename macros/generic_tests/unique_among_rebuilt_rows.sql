{% test unique_among_rebuilt_rows(model, combination_of_columns, rebuilt_after='last_source_row_number') %}
{#- unique_combination_of_columns, for an incremental table whose appended builds replace rows
    (delete+insert) and mark each with the highest source_row_number it was built from
    (`rebuilt_after`): on such a build only the keys of the rows it rebuilt are counted, against the
    whole table. Every other row is as the build that wrote it left it and tested it, so the table
    stays unique without grouping every key: at 200M lines, grouping every invoice ran DuckDB out
    of memory beside the other steps of a one-day build. A full build counts every key. -#}
{%- set keys = combination_of_columns | join(', ') -%}
{%- set watermark = this_build_watermark() -%}
select
    {{ keys }},
    count(*) as occurrences
from {{ model }} as checked
{%- if watermark is not none %}
where exists (
    select 1
    from {{ model }} as rebuilt
    where
        {{ lines_after(watermark, 'rebuilt.' ~ rebuilt_after) }}
        {%- for column in combination_of_columns %}
        and rebuilt.{{ column }} = checked.{{ column }}
        {%- endfor %}
)
{%- endif %}
group by {{ keys }}
having count(*) > 1
{% endtest %}

{% test unique_among_rebuilt_rows(model, combination_of_columns, rebuilt_after='last_source_row_number') %}
{#- unique_combination_of_columns, for an incremental table whose appended builds replace rows
    (delete+insert) and mark each with the highest source_row_number it was built from
    (`rebuilt_after`): on such a build only the keys of the rows it rebuilt are counted, against the
    whole table. Every other row is as the build that wrote it left it and tested it, so the table
    stays unique without grouping every key: at 200M lines, grouping every invoice ran DuckDB out
    of memory beside the other steps of a one-day build. The rebuilt keys are joined to the table,
    not tested with a correlated `exists`: over 137M customer products that took 38.8 s and ran out
    of memory beside the invoices, the join 1.9 s. A full build counts every key. -#}
{%- set keys = combination_of_columns | join(', ') -%}
{%- set watermark = this_build_watermark() -%}
{%- if watermark is none %}
select
    {{ keys }},
    count(*) as occurrences
from {{ model }}
group by {{ keys }}
having count(*) > 1
{%- else %}
with

rebuilt_keys as (
    select distinct {{ keys }}
    from {{ model }}
    where {{ lines_after(watermark, rebuilt_after) }}
)

select
    {%- for column in combination_of_columns %}
    checked.{{ column }},
    {%- endfor %}
    count(*) as occurrences
from {{ model }} as checked
inner join rebuilt_keys
    on
    {%- for column in combination_of_columns %}
        {% if not loop.first %}and {% endif %}checked.{{ column }} = rebuilt_keys.{{ column }}
    {%- endfor %}
group by {% for column in combination_of_columns %}checked.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
having count(*) > 1
{%- endif %}
{% endtest %}

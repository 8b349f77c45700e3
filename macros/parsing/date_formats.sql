{#- Which date format a text date column is in, decided from the data once per build.

    Trying formats line by line (the first that fits wins) reads 05/03/2011 as 3 May and 25/03/2011
    as 25 March in one file: a silent mix. Here each field order (a family of formats) is tried on
    every distinct value, and the family that reads the most values is the file's; ISO is always
    read too, being unambiguous. When day-first and month-first read the same values (every day is
    12 or less) the data cannot tell, and the build stops and names the choices. -#}

{% macro date_format_families() %}
    {{ return({
        'yyyymmdd': ['%Y%m%d', '%Y%m%d %H:%M', '%Y%m%d %H:%M:%S', '%Y%m%d%H%M%S', '%Y/%m/%d %H:%M', '%Y/%m/%d %H:%M:%S', '%Y/%m/%d'],
        'day-first': ['%d/%m/%Y %H:%M', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y', '%d-%m-%Y %H:%M', '%d-%m-%Y %H:%M:%S', '%d-%m-%Y', '%d.%m.%Y %H:%M', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y'],
        'month-first': ['%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y', '%m-%d-%Y %H:%M', '%m-%d-%Y %H:%M:%S', '%m-%d-%Y'],
    }) }}
{% endmacro %}


{% macro iso_date_family() -%}
    {{- return('ISO') -}}
{%- endmacro %}


{% macro detect_date_format(relation, column, kind) %}
    {#- {family, formats}: the var raw_date_formats when set, else the family the data reads best. -#}
    {%- if kind in ['timestamp', 'date'] -%}
        {{ return({'family': 'typed ' ~ kind, 'formats': []}) }}
    {%- endif -%}
    {%- set chosen = var('raw_date_formats') -%}
    {%- if chosen is not none -%}
        {{ return({'family': 'var raw_date_formats', 'formats': raw_date_formats()}) }}
    {%- endif -%}
    {%- set families = date_format_families() -%}
    {%- if not execute -%}
        {{ return({'family': iso_date_family(), 'formats': []}) }}
    {%- endif -%}
    {%- set value = "dated.value" -%}
    {%- set counts -%}
        select
            count(*) as distinct_values,
            sum(case when {{ try_cast_iso_timestamp(value) }} is not null then 1 else 0 end) as {{ adapter.quote(iso_date_family()) }},
            {%- for family, formats in families.items() %}
            sum(case when {{ try_parse_timestamp(value, formats) }} is not null then 1 else 0 end) as {{ adapter.quote(family) }},
            {%- endfor %}
            min(dated.value) as example
        from (
            select distinct {{ clean_text(as_text(column, kind)) }} as value
            from {{ relation }}
        ) as dated
        where dated.value is not null
    {%- endset -%}
    {%- set row = run_query(counts).rows[0] -%}
    {%- set ns = namespace(best=iso_date_family(), best_count=row[iso_date_family()] or 0) -%}
    {%- for family in families -%}
        {%- if (row[family] or 0) > ns.best_count -%}
            {%- set ns.best = family -%}
            {%- set ns.best_count = row[family] -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ns.best in ['day-first', 'month-first'] and row['day-first'] == row['month-first'] -%}
        {{ exceptions.raise_compiler_error(
            bad_input_prefix() ~ "The dates in column " ~ column ~ " of " ~ relation ~ " are ambiguous: all "
            ~ ns.best_count ~ " distinct values read both day-first and month-first (every day is 12 or less, e.g. '"
            ~ row['example'] ~ "'). Say which with the var raw_date_formats: --vars '{raw_date_formats: [\""
            ~ families['day-first'][0] ~ "\"]}' (day-first) or '{raw_date_formats: [\"" ~ families['month-first'][0]
            ~ "\"]}' (month-first)."
        ) }}
    {%- endif -%}
    {{ return({'family': ns.best, 'formats': families.get(ns.best, [])}) }}
{% endmacro %}

{#-
    Casts that must turn bad text into null instead of failing the build: a bad value is quarantined
    with a reason in int_transaction_lines_classified, on every warehouse alike.

    dbt.safe_cast is no help here: on Spark it is a plain `cast`, which raises under ANSI mode (the
    Spark 4 default) at the first bad row.
-#}

{% macro try_cast_as(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}


{% macro try_cast_iso_timestamp(expression) -%}
    {{ return(adapter.dispatch('try_cast_iso_timestamp', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__try_cast_iso_timestamp(expression) -%}
    try_cast({{ expression }} as timestamp)
{%- endmacro %}

{% macro spark__try_cast_iso_timestamp(expression) -%}
    case
        when {{ regexp_full_match(expression, iso_date_pattern()) }}
            then try_cast({{ expression }} as timestamp)
    end
{%- endmacro %}

{% macro iso_date_pattern() -%}
    {{- return('[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?') -}}
{%- endmacro %}


{% macro try_parse_timestamp(expression, formats) -%}
    {{ return(adapter.dispatch('try_parse_timestamp', 'customer_segmentation')(expression, formats)) }}
{%- endmacro %}

{% macro default__try_parse_timestamp(expression, formats) -%}
    try_strptime({{ expression }}, [
        {%- for date_format in formats -%}
            {{ sql_string_literal(date_format) }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    ])
{%- endmacro %}

{% macro spark__try_parse_timestamp(expression, formats) -%}
    coalesce(
        {%- for date_format in formats %}
        try_to_timestamp({{ expression }}, {{ string_literal(java_datetime_pattern(date_format)) }})
        {{- ', ' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro java_datetime_pattern(strftime_format) -%}
    {%- set directives = {
        '%Y': 'yyyy', '%m': 'M', '%d': 'd', '%H': 'H', '%M': 'm', '%S': 's', '%y': 'yy', '%%': '%',
    } -%}
    {#- Java reads a one-letter field as "one or more digits", so two fields with no separator
        (yyyymmdd) need the fixed two-digit form of the first, or it swallows the next. -#}
    {%- set fixed_width = {'%m': 'MM', '%d': 'dd', '%H': 'HH', '%M': 'mm', '%S': 'ss'} -%}
    {%- set ns = namespace(pattern='', position=0, after_field=false) -%}
    {%- for _ in range(strftime_format | length) -%}
        {%- if ns.position < strftime_format | length -%}
            {%- set char = strftime_format[ns.position] -%}
            {%- if char == '%' -%}
                {%- set directive = strftime_format[ns.position:ns.position + 2] -%}
                {%- if directive not in directives -%}
                    {{ exceptions.raise_compiler_error(
                        "Date format '" ~ strftime_format ~ "' (var raw_date_formats) uses " ~ directive
                        ~ ", which has no Spark equivalent here; use " ~ directives.keys() | join(', ') ~ "."
                    ) }}
                {%- endif -%}
                {%- set next_to_field = ns.after_field or strftime_format[ns.position + 2:ns.position + 3] == '%' -%}
                {%- set ns.pattern = ns.pattern ~ (fixed_width.get(directive, directives[directive])
                    if next_to_field else directives[directive]) -%}
                {%- set ns.after_field = true -%}
                {%- set ns.position = ns.position + 2 -%}
            {%- elif char.isalpha() or char == "'" -%}
                {#- Letters are pattern symbols in Java: quote them to keep them literal. -#}
                {%- set ns.pattern = ns.pattern ~ ("''" if char == "'" else "'" ~ char ~ "'") -%}
                {%- set ns.position = ns.position + 1 -%}
                {%- set ns.after_field = false -%}
            {%- else -%}
                {%- set ns.pattern = ns.pattern ~ char -%}
                {%- set ns.position = ns.position + 1 -%}
                {%- set ns.after_field = false -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(ns.pattern) -}}
{%- endmacro %}

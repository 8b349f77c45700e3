{#-
    Casts that must turn bad text into null instead of failing the build: a bad value is quarantined
    with a reason in int_transaction_lines_classified, on every warehouse alike.

    dbt.safe_cast is no help here: on Spark it is a plain `cast`, which raises under ANSI mode (the
    Spark 4 default) at the first bad row.
-#}

{#- try_cast(text as type): null when the text is not a value of the type. -#}
{% macro try_cast_as(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast_as', 'customer_segmentation')(expression, data_type)) }}
{%- endmacro %}

{#- DuckDB, Spark (3.2+), Databricks and Snowflake all spell it the same way. -#}
{% macro default__try_cast_as(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}


{#-
    An ISO 8601 date or timestamp (yyyy-mm-dd[ hh:mm[:ss[.fff]]]) as a timestamp, its wall-clock
    time kept (Spark's session runs in UTC, see profiles.yml); null for anything else.
-#}
{% macro try_cast_iso_timestamp(expression) -%}
    {{ return(adapter.dispatch('try_cast_iso_timestamp', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__try_cast_iso_timestamp(expression) -%}
    try_cast({{ expression }} as timestamp)
{%- endmacro %}

{#- Spark's cast also accepts partial dates ('2010' is 2010-01-01) that DuckDB rejects, so the text
    must look like a date first. -#}
{% macro spark__try_cast_iso_timestamp(expression) -%}
    case
        when {{ regexp_full_match(expression, iso_date_pattern()) }}
            then try_cast({{ expression }} as timestamp)
    end
{%- endmacro %}

{#- yyyy-mm-dd, then optionally a time after a space or a T. -#}
{% macro iso_date_pattern() -%}
    {{- return('[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?') -}}
{%- endmacro %}


{#-
    The first of `formats` (strftime patterns such as '%m/%d/%Y %H:%M') that parses the text, as a
    timestamp; null when none does.
-#}
{% macro try_parse_timestamp(expression, formats) -%}
    {{ return(adapter.dispatch('try_parse_timestamp', 'customer_segmentation')(expression, formats)) }}
{%- endmacro %}

{#- DuckDB tries a list of formats in one call. -#}
{% macro default__try_parse_timestamp(expression, formats) -%}
    try_strptime({{ expression }}, [
        {%- for date_format in formats -%}
            {{ sql_string_literal(date_format) }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    ])
{%- endmacro %}

{#- Spark takes one Java DateTimeFormatter pattern per call: one try_to_timestamp per format. -#}
{% macro spark__try_parse_timestamp(expression, formats) -%}
    coalesce(
        {%- for date_format in formats %}
        try_to_timestamp({{ expression }}, {{ string_literal(java_datetime_pattern(date_format)) }})
        {{- ', ' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#-
    strftime -> Java DateTimeFormatter. Single letters (M, d, H) read one or two digits, as strftime's
    %m, %d and %H do ('12/1/2010 8:26' is a valid UCI date). Fails on a directive it does not know, so a
    format is never silently misread.
-#}
{% macro java_datetime_pattern(strftime_format) -%}
    {%- set directives = {
        '%Y': 'yyyy', '%m': 'M', '%d': 'd', '%H': 'H', '%M': 'm', '%S': 's', '%y': 'yy', '%%': '%',
    } -%}
    {%- set ns = namespace(pattern='', position=0) -%}
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
                {%- set ns.pattern = ns.pattern ~ directives[directive] -%}
                {%- set ns.position = ns.position + 2 -%}
            {%- elif char.isalpha() or char == "'" -%}
                {#- Letters are pattern symbols in Java: quote them to keep them literal. -#}
                {%- set ns.pattern = ns.pattern ~ ("''" if char == "'" else "'" ~ char ~ "'") -%}
                {%- set ns.position = ns.position + 1 -%}
            {%- else -%}
                {%- set ns.pattern = ns.pattern ~ char -%}
                {%- set ns.position = ns.position + 1 -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(ns.pattern) -}}
{%- endmacro %}

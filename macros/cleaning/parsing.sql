{#- Casting rules used by staging. Each exists once so every layout is parsed the same way. -#}

{#- Text that means "no value": empty or whitespace, and the "nan" some pandas exports write. -#}
{% macro clean_text(column) -%}
    case when lower(trim({{ column }})) in ('', 'nan', 'none', 'null') then null else trim({{ column }}) end
{%- endmacro %}


{#- ISO timestamps first, then the formats in var raw_date_formats (Excel CSV exports use m/d/yyyy). -#}
{% macro parse_invoice_timestamp(column) -%}
    coalesce(
        try_cast({{ clean_text(column) }} as timestamp),
        try_strptime({{ clean_text(column) }}, [
            {%- for date_format in var('raw_date_formats') -%}
                {{ sql_string_literal(date_format) }}{{ ', ' if not loop.last }}
            {%- endfor -%}
        ])
    )
{%- endmacro %}


{#- Customer ids arrive as 12345, 12345.0 (a float column) or ' 12345 '; all mean customer 12345. -#}
{% macro normalize_customer_id(column) -%}
    regexp_replace({{ clean_text(column) }}, '\.0+$', '')
{%- endmacro %}


{#- Money is exact decimal so that raw, clean and quarantined values reconcile to the cent. -#}
{% macro money_type() -%}
    decimal(18, 4)
{%- endmacro %}


{% macro parse_money(column) -%}
    try_cast({{ clean_text(column) }} as {{ money_type() }})
{%- endmacro %}


{#- Whole units only: '1.5' items is not a quantity this shop sells, so it is quarantined. -#}
{% macro parse_quantity(column) -%}
    try_cast({{ clean_text(column) }} as bigint)
{%- endmacro %}

{#- Cleaning rules on the values of a line, shared by every model that needs them. -#}

{% macro is_cancellation_invoice(invoice_no) -%}
    (upper({{ invoice_no }}) like 'C%')
{%- endmacro %}


{% macro is_adjustment_invoice(invoice_no) -%}
    (upper({{ invoice_no }}) like 'A%')
{%- endmacro %}


{% macro unknown_description_label() -%}
    'Unknown'
{%- endmacro %}


{% macro unknown_country_label() -%}
    'Unspecified'
{%- endmacro %}


{% macro is_repeated_header_row(raw_quantity, raw_invoiced_at, raw_unit_price) -%}
    {%- set aliases = retail_layout_aliases() -%}
    (
        lower({{ raw_quantity }}) in ({{ lowered_name_list(aliases['quantity']) }})
        and lower({{ raw_invoiced_at }}) in ({{ lowered_name_list(aliases['invoiced_at']) }})
        and lower({{ raw_unit_price }}) in ({{ lowered_name_list(aliases['unit_price']) }})
    )
{%- endmacro %}


{% macro lowered_name_list(names) -%}
    {%- for name in names -%}
        {{ sql_string_literal(name | lower) }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

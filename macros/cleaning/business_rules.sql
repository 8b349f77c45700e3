{#- Business rules on invoice numbers, shared by every model that needs them. -#}

{#- UCI convention: an invoice number starting with 'C' is a cancellation (credit note). -#}
{% macro is_cancellation_invoice(invoice_no) -%}
    (upper({{ invoice_no }}) like 'C%')
{%- endmacro %}


{#- An invoice number starting with 'A' is a bad-debt adjustment, not a sale. -#}
{% macro is_adjustment_invoice(invoice_no) -%}
    (upper({{ invoice_no }}) like 'A%')
{%- endmacro %}


{#- Label shown for products whose description is missing. -#}
{% macro unknown_description_label() -%}
    'Unknown'
{%- endmacro %}


{#- Snapshot date given by the user, validated (yyyy-mm-dd, digits only) before it reaches SQL so a
    hostile value cannot inject SQL; none when not set. -#}
{% macro snapshot_date_literal() %}
    {%- set value = var('snapshot_date') -%}
    {%- if value is none or value == '' or value | string | lower in ('none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string -%}
    {%- if not (text | length == 10 and text[4] == '-' and text[7] == '-'
        and (text | replace('-', '')).isdigit()) -%}
        {{ exceptions.raise_compiler_error(
            "var snapshot_date='" ~ value ~ "' is not a date in yyyy-mm-dd form."
        ) }}
    {%- endif -%}
    {{ return("date '" ~ value ~ "'") }}
{% endmacro %}


{#- Country shown when the raw line has none (the label UCI itself uses). -#}
{% macro unknown_country_label() -%}
    'Unspecified'
{%- endmacro %}


{#- KMeans names repeat as "At risk (2)" when two segments share a profile; actions key on the base name. -#}
{% macro segment_base_name(segment_name) -%}
    regexp_replace({{ segment_name }}, ' \(\d+\)$', '')
{%- endmacro %}

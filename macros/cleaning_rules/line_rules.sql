{#- Cleaning rules on the values of a line, shared by every model that needs them. -#}

{% macro is_cancellation_invoice(invoice_no) -%}
    (upper({{ invoice_no }}) like 'C%')
{%- endmacro %}


{% macro is_cancellation_line(relation, layout) -%}
    {#- Invoice lines: the C prefix. Orders and customer/date/amount logs number no cancellations: a
        refund is a negative amount. -#}
    {%- if retail_layout_grain(layout) == 'invoice lines' -%}
        {{ is_cancellation_invoice(relation ~ '.invoice_no') }}
    {%- else -%}
        coalesce({{ line_amount(relation, layout) }} < 0, false)
    {%- endif -%}
{%- endmacro %}


{% macro distinct_product_count(stock_code) -%}
    {#- A log without product codes cannot count products: null, not 0. -#}
    {{- value_if_in_layout('stock_code', 'count(distinct ' ~ stock_code ~ ')') -}}
{%- endmacro %}


{% macro value_if_in_layout(layout_column, expression, data_type='bigint') -%}
    {#- A value computed from a raw column is unknown (null) in a log without that column. -#}
    {{- expression if layout_column in retail_layout_columns() else 'cast(null as ' ~ data_type ~ ')' -}}
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


{% macro absent_country_label() -%}
    'Unknown'
{%- endmacro %}


{% macro is_repeated_header_row(relation, layout) -%}
    {#- Every number and date field of the line holds one of its own column's names. -#}
    {%- set aliases = retail_layout_aliases() -%}
    {%- set fields = ['quantity', 'invoiced_at', 'unit_price', 'line_total'] | select('in', layout) | list -%}
    (
        {%- for field in fields %}
        lower({{ relation }}.raw_{{ field }}) in ({{ lowered_name_list(aliases[field]) }})
        {{- ' and' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}


{% macro retail_layout_grain(layout=none) -%}
    {#- Invoice lines carry an invoice number and products; orders an order id; the minimal log
        neither (it may still name products). -#}
    {%- set columns = layout if layout is not none else retail_layout_columns() -%}
    {%- if 'invoice_no' in columns and 'stock_code' in columns -%}
        {{ return('invoice lines') }}
    {%- elif 'invoice_no' in columns -%}
        {{ return('orders') }}
    {%- endif -%}
    {{ return('customer/date/amount') }}
{%- endmacro %}


{% macro line_amount(relation, layout) -%}
    {#- The money of a line as given: its total when the log has one (never rounded through a unit
        price), else quantity times unit price. -#}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {%- if 'line_total' in layout -%}
        {{ prefix }}line_total
    {%- else -%}
        {{ prefix }}quantity * {{ prefix }}unit_price
    {%- endif -%}
{%- endmacro %}


{% macro implied_order_id(customer_id, invoiced_at) -%}
    {#- A log without order ids: one order per customer per timestamp (a guest's lines per timestamp). -#}
    {{ dbt.concat([
        "coalesce(" ~ customer_id ~ ", 'guest')",
        "' at '",
        "cast(" ~ invoiced_at ~ " as " ~ dbt.type_string() ~ ")",
    ]) }}
{%- endmacro %}


{% macro lowered_name_list(names) -%}
    {%- for name in names -%}
        {{ sql_string_literal(name | lower) }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

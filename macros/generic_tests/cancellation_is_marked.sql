{% test cancellation_is_marked(model, column_name, value_column) %}
{#- Invoice lines mark a cancellation by a C invoice (written out here, not through macro
    is_cancellation_invoice, which this checks); orders and customer/date/amount logs by a negative
    amount, so the cancelled value is positive. -#}
select {{ column_name }}
from {{ model }}
where
    {% if retail_layout_grain() == 'invoice lines' -%}
        not ({{ column_name }} like 'C%' or {{ column_name }} like 'c%')
    {%- else -%}
        not ({{ value_column }} > 0)
    {%- endif %}
{% endtest %}

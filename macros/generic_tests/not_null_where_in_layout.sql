{% test not_null_where_in_layout(model, column_name, layout_column) %}
{#- Not null when the raw log has `layout_column`; null everywhere when it does not, since the
    value cannot be known (macro retail_layout_columns). -#}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is {{ 'null' if layout_column in retail_layout_columns() else 'not null' }}
{% endtest %}

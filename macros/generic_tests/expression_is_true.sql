{#- Fails for rows where the SQL expression is not true (null counts as a failure). column_name is
    accepted so the test can sit under the column it is about. -#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}
select *
from {{ model }}
where
    not coalesce(({{ expression }}), false)
    {%- if where_clause %}
    and ({{ where_clause }})
    {%- endif %}
{% endtest %}

{% test exactly_one_row(model, where_clause='true') %}
select count(*) as row_count
from {{ model }}
where {{ where_clause }}
having count(*) <> 1
{% endtest %}

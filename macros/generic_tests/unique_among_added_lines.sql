{% test unique_among_added_lines(model, column_name) %}
{#- unique, over the lines this build appended to an append-only line table (macro
    tested_lines_after): their row numbers are all above the earlier lines', which the builds
    that added them tested, so the whole table stays unique without reading it whole. -#}
select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ tested_lines_after() }} and {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{% endtest %}

{#
    RFM score 1-5 by quintile of `column`: 1 + floor(5 × percent_rank), capped at 5.
    percent_rank gives tied values the rank of the first of them, so ties always share a score
    (the lower one) and no customer is split from an identical one by an arbitrary order; the
    price is uneven quintiles where many customers tie (e.g. every one-invoice customer scores
    F = 1). `higher_is_better=false` reverses the order, so the most recent customers score R = 5.
#}
{% macro quintile_score(column, higher_is_better=true) -%}
    least(
        5,
        1 + cast(floor(5 * percent_rank() over (order by {{ column }} {{ 'asc' if higher_is_better else 'desc' }})) as integer)
    )
{%- endmacro %}

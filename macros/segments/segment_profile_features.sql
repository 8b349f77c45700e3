{% macro segment_profile_features() %}
    {{ return([
        'recency_days', 'frequency', 'monetary', 'tenure_days', 'average_order_value',
        'distinct_products',
    ]) }}
{% endmacro %}


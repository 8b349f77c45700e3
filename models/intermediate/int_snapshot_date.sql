{%- set snapshot_override = snapshot_date_literal() -%}

with

transactions as (

    select invoiced_at from {{ ref('stg_retail__transactions') }}

),

data_bounds as (

    select
        cast(min(invoiced_at) as date) as data_start_date,
        cast(max(invoiced_at) as date) as data_end_date
    from transactions

),

final as (

    select
        data_start_date,
        data_end_date,
        {%- if snapshot_override %}
        {{ snapshot_override }} as snapshot_date,
        {%- else %}
        cast({{ dbt.dateadd('day', 1, 'data_end_date') }} as date) as snapshot_date,
        {%- endif %}
        {{ 'true' if snapshot_override else 'false' }} as is_snapshot_date_from_var
    from data_bounds

)

select * from final

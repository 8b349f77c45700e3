{%- set snapshot_override = snapshot_date_literal() -%}
{%- set day_after_last_invoice = "cast(" ~ dbt.dateadd('day', 1, 'data_end_date') ~ " as date)" -%}

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
        {{ snapshot_override or day_after_last_invoice }} as snapshot_date,
        {{ 'true' if snapshot_override else 'false' }} as is_snapshot_date_from_var
    from data_bounds

)

select * from final

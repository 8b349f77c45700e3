{#-
    One row per identified customer: features of the first purchase invoice only (nothing after
    it), the next-year targets, and whether a full year after the first purchase is observed.
-#}
{%- set horizon_days = integer_var('prediction_horizon_days', 1) -%}
{%- set left_censoring_days = integer_var('prediction_left_censoring_days', 0) -%}
{#- A full year after the first purchase lies inside the data: the training rule, stated once. -#}
{%- set has_full_horizon = "cast(" ~ dbt.dateadd('day', horizon_days, 'first_invoices.invoice_date')
    ~ " as date) < snapshot.snapshot_date" -%}

with

purchase_invoices as (

    select * from {{ ref('int_purchase_invoices') }}
    where not is_guest

),

purchase_lines as (

    select * from {{ ref('int_purchase_lines') }}
    where not is_guest

),

cancellation_lines as (

    select * from {{ ref('int_cancellation_lines') }}
    where not is_guest

),

snapshot as (

    select * from {{ ref('int_snapshot_date') }}

),

customer_segments as (

    select * from {{ ref('customer_segments') }}

),

-- The shop's home market: the country with the most purchase invoices.
home_country as (

    select country
    from purchase_invoices
    group by country
    order by count(*) desc, country asc
    limit 1

),

ranked_invoices as (

    select
        *,
        row_number() over (partition by customer_id order by invoiced_at asc, invoice_no asc) as purchase_rank
    from purchase_invoices

),

first_invoices as (

    select * from ranked_invoices
    where purchase_rank = 1

),

-- Distinct products are counted here, for first invoices only: per invoice for every invoice
-- it was a third of the time of int_purchase_invoices, for a feature only this model uses.
first_invoice_products as (

    select
        first_invoices.customer_id,
        {{ distinct_product_count('purchase_lines.stock_code') }} as distinct_products,
        avg(purchase_lines.unit_price) as mean_unit_price

    from first_invoices
    inner join purchase_lines
        on first_invoices.invoice_no = purchase_lines.invoice_no
    group by first_invoices.customer_id

),

earlier_cancellations as (

    select distinct first_invoices.customer_id
    from first_invoices
    inner join cancellation_lines
        on
            first_invoices.customer_id = cancellation_lines.customer_id
            and first_invoices.invoiced_at >= cancellation_lines.invoiced_at

),

next_year_purchases as (

    select
        first_invoices.customer_id,
        count(later_invoices.invoice_no) as purchase_count,
        coalesce(sum(later_invoices.invoice_value), 0) as purchase_value

    from first_invoices
    left join ranked_invoices as later_invoices
        on
            first_invoices.customer_id = later_invoices.customer_id
            and later_invoices.purchase_rank > 1
            and later_invoices.invoice_date
            <= cast({{ dbt.dateadd('day', horizon_days, 'first_invoices.invoice_date') }} as date)
    group by first_invoices.customer_id

),

final as (

    select
        first_invoices.customer_id,
        first_invoices.invoiced_at as first_invoiced_at,
        first_invoices.invoice_date as first_invoice_date,
        {{ has_full_horizon }} as is_training,
        cast(first_invoices.invoice_value as double) as first_invoice_value,
        first_invoices.line_count as first_invoice_lines,
        first_invoice_products.distinct_products as first_invoice_distinct_products,
        first_invoices.total_units as first_invoice_units,
        cast(first_invoice_products.mean_unit_price as double) as first_invoice_mean_unit_price,
        first_invoices.country as first_invoice_country,
        first_invoices.country = home_country.country as first_invoice_is_home_country,
        cast(extract(month from first_invoices.invoiced_at) as integer) as first_invoice_month,
        cast({{ iso_day_of_week('first_invoices.invoiced_at') }} - 1 as integer) as first_invoice_weekday,
        cast(extract(hour from first_invoices.invoiced_at) as integer) as first_invoice_hour,
        earlier_cancellations.customer_id is not null as had_cancellation_before_first_invoice,
        case when {{ has_full_horizon }} then next_year_purchases.purchase_count end as next_year_purchase_count,
        case
            when {{ has_full_horizon }} then cast(next_year_purchases.purchase_value as double)
        end as next_year_purchase_value,
        customer_segments.segment_id as final_segment_id,
        customer_segments.segment_name as final_segment_name

    from first_invoices
    cross join snapshot
    cross join home_country
    inner join first_invoice_products
        on first_invoices.customer_id = first_invoice_products.customer_id
    inner join next_year_purchases
        on first_invoices.customer_id = next_year_purchases.customer_id
    inner join customer_segments
        on first_invoices.customer_id = customer_segments.customer_id
    left join earlier_cancellations
        on first_invoices.customer_id = earlier_cancellations.customer_id
    -- Customers first seen right at the start of the data are mostly old customers whose earlier
    -- purchases predate the file: their "first" invoice is not a first purchase.
    where
        first_invoices.invoice_date
        >= cast({{ dbt.dateadd('day', left_censoring_days, 'snapshot.data_start_date') }} as date)

)

select * from final

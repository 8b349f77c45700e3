with

-- Invoices, not lines (see monthly_sales); an invoice's lines share its country
-- (tests/dbt/assert_one_customer_per_purchase_invoice.sql).
purchase_invoices as (

    select * from {{ ref('int_purchase_invoices') }}

),

by_country as (

    select
        country,
        sum(invoice_value) as purchase_value,
        count(*) as purchase_invoices,
        count(distinct customer_id) as customers

    from purchase_invoices
    group by country

),

final as (

    select
        country,
        purchase_value,
        purchase_invoices,
        customers,
        -- In doubles: Spark would divide the decimals and round the share to 6 places.
        cast(purchase_value as double) / cast(sum(purchase_value) over () as double) as value_share

    from by_country

)

select * from final

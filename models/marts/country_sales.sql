with

purchase_lines as (

    select * from {{ ref('int_purchase_lines') }}

),

by_country as (

    select
        country,
        sum(line_value) as purchase_value,
        count(distinct invoice_no) as purchase_invoices,
        count(distinct customer_id) as customers

    from purchase_lines
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

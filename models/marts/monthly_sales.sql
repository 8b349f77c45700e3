with

-- Invoices, not lines: the 10M invoices of a 200M-line log are counted in seconds, where distinct
-- invoices and customers over every line took two minutes. An invoice counts in the month of its
-- first line (in the UCI files no invoice spans two months).
purchase_invoices as (

    select * from {{ ref('int_purchase_invoices') }}

),

cancellation_lines as (

    select * from {{ ref('int_cancellation_lines') }}

),

monthly_purchases as (

    select
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date) as sales_month,
        sum(invoice_value) as purchase_value,
        count(*) as purchase_invoices,
        cast(sum(line_count) as bigint) as purchase_lines,
        sum(case when is_guest then invoice_value else 0 end) as guest_purchase_value,
        cast(sum(case when is_guest then line_count else 0 end) as bigint) as guest_purchase_lines,
        count(distinct customer_id) as active_customers

    from purchase_invoices
    group by cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)

),

monthly_cancellations as (

    select
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date) as sales_month,
        sum(cancelled_value) as cancelled_value,
        count(*) as cancellation_lines

    from cancellation_lines
    group by cast({{ dbt.date_trunc('month', 'invoice_date') }} as date)

),

final as (

    select
        coalesce(monthly_purchases.sales_month, monthly_cancellations.sales_month) as sales_month,
        coalesce(monthly_purchases.purchase_value, 0) as purchase_value,
        coalesce(monthly_purchases.purchase_invoices, 0) as purchase_invoices,
        coalesce(monthly_purchases.purchase_lines, 0) as purchase_lines,
        coalesce(monthly_purchases.active_customers, 0) as active_customers,
        coalesce(monthly_purchases.guest_purchase_value, 0) as guest_purchase_value,
        coalesce(
            cast(monthly_purchases.guest_purchase_lines as double) / nullif(monthly_purchases.purchase_lines, 0),
            0
        ) as guest_line_share,
        coalesce(monthly_cancellations.cancelled_value, 0) as cancelled_value,
        coalesce(monthly_cancellations.cancellation_lines, 0) as cancellation_lines

    from monthly_purchases
    full outer join monthly_cancellations
        on monthly_purchases.sales_month = monthly_cancellations.sales_month

)

select * from final

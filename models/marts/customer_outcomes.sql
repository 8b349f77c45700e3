-- Every customer id the raw file holds, counted once, with why it is or is not in the customers
-- mart: so no customer disappears silently (a customer whose every line is worth 0 is quarantined,
-- one who only cancelled bought before the file starts).
with

classified_lines as (

    select
        customer_id,
        line_status,
        exclusion_reason
    from {{ ref('int_transaction_lines_classified') }}
    where not is_guest

),

customer_lines as (

    select
        customer_id,
        sum(case when line_status = 'purchase' then 1 else 0 end) as purchase_line_count,
        sum(case when line_status = 'cancellation' then 1 else 0 end) as cancellation_line_count,
        count(*) as line_count
    from classified_lines
    group by customer_id

),

exclusion_reason_counts as (

    select
        customer_id,
        exclusion_reason,
        count(*) as reason_line_count
    from classified_lines
    where line_status = 'excluded'
    group by customer_id, exclusion_reason

),

-- The reason most of a customer's quarantined lines got, ties to the first reason in name order.
main_exclusion_reasons as (

    select
        customer_id,
        exclusion_reason
    from (
        select
            customer_id,
            exclusion_reason,
            row_number() over (
                partition by customer_id order by reason_line_count desc, exclusion_reason asc
            ) as reason_rank
        from exclusion_reason_counts
    ) as ranked_reasons
    where reason_rank = 1

),

customer_outcomes as (

    select
        customer_lines.customer_id,
        customer_lines.line_count,
        case
            when customer_lines.purchase_line_count > 0 then 'in_customers'
            when customer_lines.cancellation_line_count > 0 then 'only_cancellations'
            else 'only_excluded_lines'
        end as customer_outcome,
        main_exclusion_reasons.exclusion_reason as main_exclusion_reason
    from customer_lines
    left join main_exclusion_reasons
        on customer_lines.customer_id = main_exclusion_reasons.customer_id

),

final as (

    select
        customer_outcome,
        case
            when customer_outcome = 'only_excluded_lines' then main_exclusion_reason else 'none'
        end as main_exclusion_reason,
        count(*) as customer_count,
        cast(sum(line_count) as bigint) as line_count
    from customer_outcomes
    group by
        customer_outcome,
        case
            when customer_outcome = 'only_excluded_lines' then main_exclusion_reason else 'none'
        end

)

select * from final

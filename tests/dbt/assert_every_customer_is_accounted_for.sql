-- Every customer of the customers mart is counted as `in_customers` in customer_outcomes, and every
-- identified line is counted once there: fails with the two figures when they disagree.
with

outcomes as (

    select
        sum(case when customer_outcome = 'in_customers' then customer_count else 0 end) as outcome_customers,
        sum(line_count) as outcome_lines
    from {{ ref('customer_outcomes') }}

),

customers as (

    select count(*) as mart_customers from {{ ref('customers') }}

),

identified_lines as (

    select count(*) as classified_lines
    from {{ ref('int_transaction_lines_classified') }}
    where not is_guest

)

select
    outcomes.outcome_customers,
    customers.mart_customers,
    outcomes.outcome_lines,
    identified_lines.classified_lines
from outcomes
cross join customers
cross join identified_lines
where
    outcomes.outcome_customers <> customers.mart_customers
    or outcomes.outcome_lines <> identified_lines.classified_lines

with

classified_lines as (

    select * from {{ ref('int_transaction_lines_classified') }}

),

final as (

    select
        line_status,
        coalesce(exclusion_reason, 'none') as exclusion_reason,
        is_guest,
        count(*) as line_count,
        count(line_value) as valued_line_count,
        coalesce(sum(line_value), 0) as line_value

    from classified_lines
    group by line_status, coalesce(exclusion_reason, 'none'), is_guest

)

select * from final

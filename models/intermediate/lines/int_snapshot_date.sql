{%- set snapshot_override = snapshot_date_literal() -%}
{%- set day_after_last_invoice = "cast(" ~ dbt.dateadd('day', 1, 'data_end_date') ~ " as date)" -%}
{#- On an appended build the bounds are the earlier build's (this table, read before it is replaced)
    widened by the new lines (macro built_lines_watermark), instead of a scan of every line. -#}
{%- set watermark = built_lines_watermark() -%}
{%- set previous = adapter.get_relation(this.database, this.schema, this.identifier)
    if watermark is not none else none -%}

with

transactions as (

    select
        invoiced_at,
        raw_invoiced_at
    from {{ ref('stg_retail__transactions') }}
    where {{ lines_after(watermark) }}

),

new_line_bounds as (

    select
        cast(min(invoiced_at) as date) as data_start_date,
        cast(max(invoiced_at) as date) as data_end_date,
        count(*) as line_count,
        count(invoiced_at) as dated_line_count,
        max(raw_invoiced_at) as undated_example
    from transactions

),

{% if previous is not none -%}
-- The earlier lines had a parseable date (or that build would have stopped), so they count as one.
data_bounds as (

    select
        least(coalesce(new_line_bounds.data_start_date, earlier.data_start_date), earlier.data_start_date)
            as data_start_date,
        greatest(coalesce(new_line_bounds.data_end_date, earlier.data_end_date), earlier.data_end_date)
            as data_end_date,
        new_line_bounds.data_start_date as earliest_new_line_date,
        new_line_bounds.line_count + 1 as line_count,
        new_line_bounds.dated_line_count + 1 as dated_line_count,
        new_line_bounds.undated_example
    from new_line_bounds
    cross join {{ previous }} as earlier

),
{%- else -%}
data_bounds as (

    select
        data_start_date,
        data_end_date,
        data_start_date as earliest_new_line_date,
        line_count,
        dated_line_count,
        undated_example
    from new_line_bounds

),
{%- endif %}

-- Either failure would otherwise build "successfully" into empty marts, or fail much later in a
-- Python model with no word about the cause. Both stop the build here, on every warehouse.
final as (

    select
        data_start_date,
        data_end_date,
        case
            when dated_line_count = 0
                then {{ raise_error(
                    "'" ~ bad_input_prefix() ~ "None of the ' || cast(line_count as " ~ dbt.type_string()
                    ~ ") || ' landed lines has an "
                    ~ "invoice date that parses (e.g. ''' || coalesce(undated_example, '') || '''). Add its format "
                    ~ "to the var raw_date_formats (strptime, e.g. [''%Y.%m.%d'']); ISO, yyyymmdd, day-first and "
                    ~ "month-first dates are detected.'",
                    'date'
                ) }}
            {%- if snapshot_override %}
            when {{ snapshot_override }} <= data_start_date
                then {{ raise_error(
                    "'" ~ bad_input_prefix() ~ "var snapshot_date=' || cast(" ~ snapshot_override ~ " as "
                    ~ dbt.type_string()
                    ~ ") || ' is on or before the first invoice (' || cast(data_start_date as "
                    ~ dbt.type_string() ~ ") || '): every line would be quarantined as after_snapshot_date "
                    ~ "and no customer would remain. Use a date after the first invoice (the file ends on ' || "
                    ~ "cast(data_end_date as " ~ dbt.type_string() ~ ") || '), or leave it unset to use the day "
                    ~ "after the last invoice.'",
                    'date'
                ) }}
            {%- endif %}
            else {{ snapshot_override or day_after_last_invoice }}
        end as snapshot_date,
        {{ 'true' if snapshot_override else 'false' }} as is_snapshot_date_from_var,
        earliest_new_line_date,
        cast({{ watermark if watermark is not none else 0 }} as bigint) as built_through_source_row_number
    from data_bounds

)

select * from final

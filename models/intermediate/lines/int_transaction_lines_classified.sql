{#- The rules a layout cannot support are left out, not failed: a log without stock codes has no
    non-product lines, one without quantities no quantity to check (macro retail_layout_columns). -#}
{%- set layout = retail_layout_columns() -%}
{%- set invoice_line_grain = retail_layout_grain() == 'invoice lines' -%}
{#- Appended lines only (macro this_build_watermark): a line's outcome depends on its own fields,
    the copies before it (int_duplicate_lines, which looks back across loads) and the snapshot
    date, which only moves later as lines are appended, so no earlier line changes its outcome. -#}
{{ config(**line_model_config('append')) }}
{%- set watermark = this_build_watermark() -%}
with

transactions as (

    select * from {{ ref('stg_retail__transactions') }}
    where {{ lines_after(watermark) }}

),

-- A second import of the same view: one shared import would make the warehouse hold every parsed
-- line for the length of the query (at 200M lines it spilled 34 GB to disk); reading the one
-- column again costs a second or two per 20M lines.
transaction_stock_codes as (

    select stock_code from {{ ref('stg_retail__transactions') }}
    where {{ lines_after(watermark) }}

),

duplicate_lines as (

    select source_row_number from {{ ref('int_duplicate_lines') }}
    where {{ lines_after(watermark) }}

),

snapshot as (

    select snapshot_date from {{ ref('int_snapshot_date') }}

),

non_product_stock_code_patterns as (

    select
        upper(stock_code_pattern) as stock_code_pattern,
        match_type
    from {{ ref('non_product_stock_codes') }}

),

-- Matching the few thousand distinct codes, not every line, keeps the pattern join cheap.
distinct_stock_codes as (

    select distinct stock_code
    from transaction_stock_codes
    where stock_code is not null

),

non_product_stock_codes as (

    select distinct distinct_stock_codes.stock_code
    from distinct_stock_codes
    inner join non_product_stock_code_patterns as patterns
        on
            (
                patterns.match_type = 'exact'
                and upper(distinct_stock_codes.stock_code) = patterns.stock_code_pattern
            )
            or (
                patterns.match_type = 'prefix'
                and left(upper(distinct_stock_codes.stock_code), length(patterns.stock_code_pattern))
                = patterns.stock_code_pattern
            )

),

flagged as (

    select
        transactions.*,
        non_product_stock_codes.stock_code is not null as is_non_product_stock_code,
        {{ is_cancellation_line('transactions', layout) }} as is_cancellation,
        {{ is_adjustment_invoice('transactions.invoice_no') if invoice_line_grain else 'false' }} as is_adjustment,
        duplicate_lines.source_row_number is not null as is_duplicate_row

    from transactions
    left join non_product_stock_codes
        on transactions.stock_code = non_product_stock_codes.stock_code
    left join duplicate_lines
        on transactions.source_row_number = duplicate_lines.source_row_number

),

classified as (

    -- The first matching rule wins; the order is the one documented in seed exclusion_reasons.
    select
        flagged.*,
        case
            -- A header's date field never parses; asking that first spares writing out every typed
            -- value of a parquet file as text.
            when flagged.invoiced_at is null and {{ is_repeated_header_row('flagged', layout) }}
                then 'repeated_header_row'
            when flagged.invoiced_at is null then 'unparseable_invoice_date'
            {% if 'quantity' in layout -%}
            when flagged.quantity is null then 'unparseable_quantity'
            {% endif -%}
            {% if 'unit_price' in layout -%}
            when flagged.unit_price is null then 'unparseable_unit_price'
            {% endif -%}
            {% if 'line_total' in layout -%}
            when flagged.line_total is null then 'unparseable_line_total'
            {% endif -%}
            {% if invoice_line_grain -%}
            when flagged.invoice_no is null or flagged.stock_code is null
                then 'missing_invoice_or_stock_code'
            {% elif 'invoice_no' in layout or 'stock_code' in layout -%}
            when flagged.{{ 'invoice_no' if 'invoice_no' in layout else 'stock_code' }} is null
                then 'missing_invoice_or_stock_code'
            {% endif -%}
            when flagged.is_duplicate_row then 'duplicate_row'
            when cast(flagged.invoiced_at as date) >= snapshot.snapshot_date then 'after_snapshot_date'
            when flagged.is_adjustment then 'bad_debt_adjustment'
            when flagged.is_non_product_stock_code then 'non_product_stock_code'
            {% if 'unit_price' in layout -%}
            when flagged.unit_price <= 0 then 'non_positive_unit_price'
            {% endif -%}
            {% if 'quantity' in layout -%}
            when flagged.is_cancellation and flagged.quantity >= 0
                then 'cancellation_with_non_negative_quantity'
            when not flagged.is_cancellation and flagged.quantity <= 0 then 'non_positive_quantity'
            {% endif -%}
            {% if 'line_total' in layout -%}
            when flagged.is_cancellation and flagged.line_total >= 0 then 'cancellation_with_non_negative_line_total'
            when not flagged.is_cancellation and flagged.line_total <= 0 then 'non_positive_line_total'
            {% endif %}
        end as exclusion_reason

    from flagged
    cross join snapshot

),

final as (

    select
        source_row_number,
        case
            when exclusion_reason is not null then 'excluded'
            when is_cancellation then 'cancellation'
            else 'purchase'
        end as line_status,
        exclusion_reason,
        {{ 'invoice_no' if 'invoice_no' in layout else implied_order_id('customer_id', 'invoiced_at') }} as invoice_no,
        stock_code,
        coalesce(description, {{ unknown_description_label() }}) as description,
        quantity,
        unit_price,
        {{ line_amount(none, layout) }} as line_value,
        invoiced_at,
        cast(invoiced_at as date) as invoice_date,
        customer_id,
        customer_id is null as is_guest,
        coalesce(country, {{ unknown_country_label() if 'country' in layout else absent_country_label() }}) as country,
        is_cancellation,
        is_adjustment,
        is_non_product_stock_code,
        is_duplicate_row,
        -- Kept where the parsed value is not the whole story: a clean line's parsed value is exact,
        -- and storing the text of every line doubled the cost of writing this table at scale.
        case when exclusion_reason is not null then raw_quantity end as raw_quantity,
        case when exclusion_reason is not null then raw_invoiced_at end as raw_invoiced_at,
        case when exclusion_reason is not null then raw_unit_price end as raw_unit_price,
        case when exclusion_reason is not null then raw_line_total end as raw_line_total

    from classified

)

select * from final

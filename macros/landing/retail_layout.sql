{#
    The raw layouts the staging model understands. Each canonical column lists the raw column names
    it may arrive under, in order of preference: UCI "Online Retail II" first, then UCI "Online
    Retail". To read another export, add its column names here; nothing downstream changes.
#}
{% macro retail_layout_aliases() %}
    {{ return({
        'invoice_no': ['Invoice', 'InvoiceNo'],
        'stock_code': ['StockCode'],
        'description': ['Description'],
        'quantity': ['Quantity'],
        'invoiced_at': ['InvoiceDate'],
        'unit_price': ['Price', 'UnitPrice'],
        'customer_id': ['Customer ID', 'CustomerID'],
        'country': ['Country'],
    }) }}
{% endmacro %}


{#
    Maps each canonical column to the quoted raw column present in `relation`. Fails with the list
    of missing columns, what was found instead and which names are accepted, so a renamed export is
    fixed in one edit rather than debugged from a binder error.
#}
{% macro resolve_retail_layout(relation) %}
    {%- set aliases = retail_layout_aliases() -%}
    {#- While dbt parses (and while sqlfluff lints) nothing can be queried: any valid layout will do. -#}
    {%- if not execute -%}
        {%- set placeholder = {} -%}
        {%- for canonical, names in aliases.items() -%}
            {%- do placeholder.update({canonical: '"' ~ names[0] ~ '"'}) -%}
        {%- endfor -%}
        {{ return(placeholder) }}
    {%- endif -%}

    {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- set present_lower = present | map('lower') | list -%}
    {%- set resolved = {} -%}
    {%- set missing = [] -%}
    {%- for canonical, names in aliases.items() -%}
        {%- set ns = namespace(found=none) -%}
        {%- for name in names -%}
            {%- if ns.found is none and name | lower in present_lower -%}
                {%- set ns.found = present[present_lower.index(name | lower)] -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if ns.found is none -%}
            {%- do missing.append(canonical ~ ' (one of: ' ~ names | join(', ') ~ ')') -%}
        {%- else -%}
            {%- do resolved.update({canonical: adapter.quote(ns.found)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "Unknown raw transaction layout in " ~ relation ~ " (file: " ~ raw_transactions_path()
            ~ "). Missing required columns: " ~ missing | join('; ')
            ~ ". Columns found: " ~ present | reject('equalto', 'source_row_number') | join(', ')
            ~ ". Add the export's column names to retail_layout_aliases() in macros/landing/retail_layout.sql."
        ) }}
    {%- endif -%}
    {{ return(resolved) }}
{% endmacro %}

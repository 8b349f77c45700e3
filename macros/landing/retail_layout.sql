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
    {{ return(resolve_retail_layout_columns(present, relation ~ " (file: " ~ raw_transactions_path() ~ ")")) }}
{% endmacro %}


{#- The landed kind of each canonical column of `layout` (see landed_value_kind): 'text' for a CSV,
    the column's own type for a parquet file or a warehouse table. -#}
{% macro retail_layout_kinds(relation, layout) %}
    {%- set types = {} -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do types.update({column.name: column.dtype}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(retail_layout_kinds_of_types(types, layout)) }}
{% endmacro %}


{#- The same from {column name: type name}; the landing hook has them from the file itself. -#}
{% macro retail_layout_kinds_of_types(types, layout) %}
    {%- set quoted_types = {} -%}
    {%- for name, data_type in types.items() -%}
        {%- do quoted_types.update({adapter.quote(name): data_type}) -%}
    {%- endfor -%}
    {%- set kinds = {} -%}
    {%- for canonical, quoted_name in layout.items() -%}
        {%- do kinds.update({canonical: landed_value_kind(quoted_types.get(quoted_name))}) -%}
    {%- endfor -%}
    {{ return(kinds) }}
{% endmacro %}


{#- The same mapping from a list of column names; `where` names the file in the message. The landing
    hook calls it before the raw view is replaced, so an unknown layout never reaches the warehouse. -#}
{% macro resolve_retail_layout_columns(present, where) %}
    {%- set aliases = retail_layout_aliases() -%}
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
            "Unknown raw transaction layout in " ~ where
            ~ ". Missing required columns: " ~ missing | join('; ')
            ~ ". Columns found: " ~ present | reject('equalto', 'source_row_number') | join(', ')
            ~ ". Add the export's column names to retail_layout_aliases() in macros/landing/retail_layout.sql."
        ) }}
    {%- endif -%}
    {{ return(resolved) }}
{% endmacro %}


{#- A copy of the header line inside the data, as left by concatenating exports with `cat`: its
    quantity, date and price fields hold column names. Quarantined under its own reason so that it
    is not mistaken for a line with an unparseable date. -#}
{% macro is_repeated_header_row(raw_quantity, raw_invoiced_at, raw_unit_price) -%}
    {%- set aliases = retail_layout_aliases() -%}
    (
        lower({{ raw_quantity }}) in ({{ lowered_name_list(aliases['quantity']) }})
        and lower({{ raw_invoiced_at }}) in ({{ lowered_name_list(aliases['invoiced_at']) }})
        and lower({{ raw_unit_price }}) in ({{ lowered_name_list(aliases['unit_price']) }})
    )
{%- endmacro %}


{% macro lowered_name_list(names) -%}
    {%- for name in names -%}
        {{ sql_string_literal(name | lower) }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

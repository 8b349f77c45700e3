{% macro retail_layout_aliases() %}
    {%- set aliases = {
        'invoice_no': ['Invoice', 'InvoiceNo'],
        'stock_code': ['StockCode'],
        'description': ['Description'],
        'quantity': ['Quantity'],
        'invoiced_at': ['InvoiceDate'],
        'unit_price': ['Price', 'UnitPrice'],
        'customer_id': ['Customer ID', 'CustomerID'],
        'country': ['Country'],
    } -%}
    {#- The user's own names (var raw_columns) come first, so an export is read with no macro edited. -#}
    {%- set mapped = var('raw_columns') or {} -%}
    {#- sqlfluff's var() gives a placeholder, not the var: lint the built-in layout. -#}
    {%- if mapped is not mapping and not execute -%}
        {%- set mapped = {} -%}
    {%- endif -%}
    {%- if mapped is not mapping -%}
        {{ exceptions.raise_compiler_error(
            bad_input_prefix() ~ "var raw_columns=" ~ mapped ~ " must map canonical columns to the export's column "
            ~ "names, e.g. {customer_id: cust, invoiced_at: date}; canonical columns: " ~ aliases.keys() | join(', ') ~ "."
        ) }}
    {%- endif -%}
    {%- for canonical, name in mapped.items() -%}
        {%- if canonical not in aliases -%}
            {{ exceptions.raise_compiler_error(
                bad_input_prefix() ~ "var raw_columns names '" ~ canonical ~ "', which is not a canonical column; use "
                ~ aliases.keys() | join(', ') ~ "."
            ) }}
        {%- endif -%}
        {%- do aliases.update({canonical: [name | string] + aliases[canonical]}) -%}
    {%- endfor -%}
    {{ return(aliases) }}
{% endmacro %}


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
            bad_input_prefix() ~ "Unknown raw transaction layout in " ~ relation ~ " (landed file: " ~ landed_transactions_path()
            ~ "). Missing required columns: " ~ missing | join('; ')
            ~ ". Columns found: " ~ present | reject('equalto', 'source_row_number') | join(', ')
            ~ ". Name the export's columns with the var raw_columns, e.g. --vars '{raw_columns: {quantity: Qty}}'."
        ) }}
    {%- endif -%}
    {{ return(resolved) }}
{% endmacro %}


{% macro retail_layout_kinds(relation, layout) %}
    {%- set types = {} -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do types.update({adapter.quote(column.name): column.dtype}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set kinds = {} -%}
    {%- for canonical, quoted_name in layout.items() -%}
        {%- do kinds.update({canonical: landed_value_kind(types.get(quoted_name))}) -%}
    {%- endfor -%}
    {{ return(kinds) }}
{% endmacro %}


{% macro landed_value_kind(data_type) %}
    {%- set type_name = (data_type or '') | lower | trim -%}
    {%- if type_name in ['tinyint', 'smallint', 'integer', 'int', 'bigint', 'hugeint', 'int2', 'int4', 'int8',
        'long', 'short', 'byte', 'utinyint', 'usmallint', 'uinteger', 'ubigint'] -%}
        {{ return('integer') }}
    {%- elif type_name in ['real', 'float', 'float4', 'float8', 'double', 'double precision'] -%}
        {{ return('float') }}
    {%- elif type_name.startswith('decimal') or type_name.startswith('numeric') -%}
        {{ return('decimal') }}
    {%- elif type_name.startswith('timestamp') -%}
        {{ return('timestamp') }}
    {%- elif type_name == 'date' -%}
        {{ return('date') }}
    {%- endif -%}
    {{ return('text') }}
{% endmacro %}

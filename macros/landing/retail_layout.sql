{% macro retail_layout_aliases() %}
    {#- Built-in names, in order of preference: Online Retail II, Online Retail, then the orders and
        customer/date/amount logs of dbt's jaffle-shop, lifetimes and PyMC-Marketing. -#}
    {%- set aliases = {
        'invoice_no': ['Invoice', 'InvoiceNo', 'order_id'],
        'stock_code': ['StockCode'],
        'description': ['Description'],
        'quantity': ['Quantity'],
        'invoiced_at': ['InvoiceDate', 'ordered_at', 'date'],
        'unit_price': ['Price', 'UnitPrice'],
        'line_total': ['LineTotal', 'order_total', 'amount'],
        'customer_id': ['Customer ID', 'CustomerID', 'customer_id'],
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
            ~ "names, e.g. {customer_id: cust, invoiced_at: date, line_total: dollars}; canonical columns: "
            ~ aliases.keys() | join(', ') ~ "."
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


{% macro retail_layout_requirements() %}
    {#- What RFM needs: who, when, and how much (a line total, or a quantity and a unit price). -#}
    {{ return({
        'required': ['customer_id', 'invoiced_at'],
        'money': [['line_total'], ['quantity', 'unit_price']],
    }) }}
{% endmacro %}


{% macro retail_full_layout() %}
    {#- The invoice-line layout of both UCI files: every canonical column but the line total. -#}
    {{ return(retail_layout_aliases().keys() | reject('equalto', 'line_total') | list) }}
{% endmacro %}


{% macro resolve_retail_layout(relation) %}
    {%- set aliases = retail_layout_aliases() -%}
    {#- While dbt parses (and while sqlfluff lints) nothing can be queried: the UCI layout will do. -#}
    {%- if not execute -%}
        {%- set placeholder = {} -%}
        {%- for canonical in retail_full_layout() -%}
            {%- do placeholder.update({canonical: '"' ~ aliases[canonical][0] ~ '"'}) -%}
        {%- endfor -%}
        {{ return(placeholder) }}
    {%- endif -%}
    {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- if not present -%}
        {{ exceptions.raise_compiler_error(
            "The raw transactions relation " ~ relation ~ " does not exist (or has no columns). The hook "
            ~ "land_raw_transactions attaches the landed file as it at the start of dbt build, run and test "
            ~ "(dbt compile and dbt show run no hook); land a file first (`python -m segmentation.land FILE`), "
            ~ "or, for a warehouse table, set the vars raw_landed_path: '', raw_source_schema and raw_source_table."
        ) }}
    {%- endif -%}
    {%- set present_lower = present | map('lower') | list -%}
    {%- set resolved = {} -%}
    {%- for canonical, names in aliases.items() -%}
        {%- set ns = namespace(found=none) -%}
        {%- for name in names -%}
            {%- if ns.found is none and name | lower in present_lower -%}
                {%- set ns.found = present[present_lower.index(name | lower)] -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if ns.found is not none -%}
            {%- do resolved.update({canonical: adapter.quote(ns.found)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set requirements = retail_layout_requirements() -%}
    {%- set missing = requirements.required | reject('in', resolved) | list -%}
    {%- set ns = namespace(has_money=false) -%}
    {%- for columns in requirements.money -%}
        {%- if columns | reject('in', resolved) | list | length == 0 -%}
            {%- set ns.has_money = true -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing or not ns.has_money -%}
        {%- set described = [] -%}
        {%- for canonical, names in aliases.items() -%}
            {%- do described.append(canonical ~ ' (' ~ names | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- set money_choices = [] -%}
        {%- for columns in requirements.money -%}
            {%- do money_choices.append(columns | join(' and ')) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            bad_input_prefix() ~ "Unknown raw transaction layout in " ~ relation ~ " (landed file: "
            ~ (landed_transactions_path() or 'none, a warehouse table') ~ "). Required: "
            ~ requirements.required | join(', ') ~ ", and a money amount: " ~ money_choices | join(', or ')
            ~ ". Missing: " ~ ((missing + ([] if ns.has_money else ['a money amount'])) | join(', '))
            ~ ". Optional: " ~ aliases.keys() | reject('in', requirements.required) | join(', ')
            ~ " Accepted names: " ~ described | join('; ')
            ~ ". Columns found: " ~ present | reject('equalto', 'source_row_number') | join(', ')
            ~ ". Name the export's columns with the var raw_columns, e.g. --vars '{raw_columns: {customer_id: cust, "
            ~ "invoiced_at: date, line_total: dollars}}'."
        ) }}
    {%- endif -%}
    {#- With a line total the money is that amount as given; a unit price beside it is not read. -#}
    {%- if 'line_total' in resolved and 'unit_price' in resolved -%}
        {%- do resolved.pop('unit_price') -%}
    {%- endif -%}
    {{ return(resolved) }}
{% endmacro %}


{% macro retail_layout_columns() %}
    {#- The canonical columns the raw log has. Models that change a rule for a missing column ask
        here; dbt unit tests (whose fixtures are not the landed file), parsing and linting see the UCI
        layout. -#}
    {%- if model is not defined or model.resource_type == 'unit_test' -%}
        {{ return(retail_full_layout()) }}
    {%- endif -%}
    {%- set relation = source('retail', 'transactions') -%}
    {{ return(resolve_retail_layout(relation).keys() | list if execute else retail_full_layout()) }}
{% endmacro %}


{% macro retail_source_reading() %}
    {#- How the raw log is read: its relation, the layout found, each column's landed kind and the
        date format; staging reads by it and data_coverage reports it. -#}
    {%- set relation = source('retail', 'transactions') -%}
    {%- set layout = resolve_retail_layout(relation) -%}
    {%- set kinds = retail_layout_kinds(relation, layout) -%}
    {{ return({
        'relation': relation,
        'layout': layout,
        'kinds': kinds,
        'dates': detect_date_format(relation, layout.invoiced_at, kinds.invoiced_at),
    }) }}
{% endmacro %}


{% macro retail_layout_with_absent_columns(found, absent=none) %}
    {#- Every canonical column: the found value, else `absent` (default: null text). A column the
        layout lacks then reads as null text, so every parsing rule gives a typed null for it. -#}
    {%- set filled = {} -%}
    {%- for canonical in retail_layout_aliases() -%}
        {%- do filled.update({canonical: found.get(canonical, absent or 'cast(null as ' ~ dbt.type_string() ~ ')')}) -%}
    {%- endfor -%}
    {{ return(filled) }}
{% endmacro %}


{% macro raw_source_row_number(relation, layout) -%}
    {#- The landing step numbers the lines of a file; a warehouse table without the column has its
        lines numbered in the order of their values, so a rebuild numbers them the same. -#}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list
        if execute else ['source_row_number'] -%}
    {%- if 'source_row_number' in columns -%}
        source_row_number
    {%- else -%}
        row_number() over (order by {{ layout.values() | join(', ') }})
    {%- endif -%}
{%- endmacro %}


{% macro retail_layout_description(layout) %}
    {#- canonical=raw name for each column found, e.g. customer_id=cust, invoiced_at=date. -#}
    {%- set pairs = [] -%}
    {%- for canonical, quoted_name in layout.items() -%}
        {%- do pairs.append(canonical ~ '=' ~ quoted_name.strip('"`')) -%}
    {%- endfor -%}
    {{ return(pairs | join(', ')) }}
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

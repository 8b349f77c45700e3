{#
    Attaches the raw transaction file as the view `raw.retail_transactions`, the relation behind
    source('retail', 'transactions'). It runs as an on-run-start hook so that every dbt command
    (build, run, test, docs) sees the same file.

    A CSV is landed with every column as text: a bad value in one row (a non-numeric quantity, an
    odd date) must reach staging and be quarantined with a reason, instead of failing the whole load
    or being dropped by a CSV sniffer that guessed a numeric type from the first rows. A parquet file
    keeps its own column types: they were fixed when it was written, so there is nothing to guess,
    and staging skips the text parsing a typed column does not need (see landed_value_kind).

    An analytics engineer whose transactions already sit in a warehouse table sets the var
    `raw_transactions_path` to '' (this hook then does nothing) and points the `retail` source at
    that table.
#}
{% macro land_raw_transactions() %}
    {%- set path = raw_transactions_path() -%}
    {%- if not path -%}
        {{ return('') }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(adapter.dispatch('land_raw_transactions', 'customer_segmentation')(path)) }}
{% endmacro %}


{% macro default__land_raw_transactions(path) %}
    {%- set lowered = path | lower -%}
    {%- if lowered.endswith('.xlsx') or lowered.endswith('.xls') -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file '" ~ path ~ "' is a spreadsheet. dbt reads csv, csv.gz and parquet "
            ~ "directly; convert the workbook first with `python -m segmentation.land " ~ path
            ~ "` (it stacks all sheets into data/landed/), or run `make run INPUT=...`, which does it for you."
        ) }}
    {%- endif -%}

    {%- set found = run_query("select count(*) from glob(" ~ sql_string_literal(path) ~ ")").columns[0].values()[0] -%}
    {%- if found == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file not found: '" ~ path ~ "' (a relative path starts at the folder dbt "
            ~ "runs in). Set the var raw_transactions_path or the environment variable RETAIL_RAW_PATH, "
            ~ "or run `make run` to generate the synthetic default."
        ) }}
    {%- endif -%}

    {%- if lowered.endswith('.parquet') -%}
        {%- set reader = "read_parquet(" ~ sql_string_literal(path) ~ ", file_row_number = true)" -%}
        {%- set row_number = "file_row_number + 1" -%}
        {%- set check_reader = reader -%}
    {%- elif lowered.endswith('.csv') or lowered.endswith('.csv.gz') or lowered.endswith('.tsv')
        or lowered.endswith('.tsv.gz') or lowered.endswith('.txt') or lowered.endswith('.txt.gz') -%}
        {%- set encoding = var('raw_csv_encoding') | lower -%}
        {%- if encoding not in ['utf-8', 'utf8', 'latin-1', 'latin1', 'utf-16'] -%}
            {{ exceptions.raise_compiler_error(
                "var raw_csv_encoding='" ~ encoding ~ "' is not supported; use utf-8, latin-1 or utf-16."
            ) }}
        {%- endif -%}
        {%- set header = csv_header(path, encoding) -%}
        {#- Delimiter, header and column names are given, not sniffed: the sniffer, upset by one bad
            line, may take a data line for the header or read the whole file as one column. -#}
        {%- set reader = "read_csv(" ~ sql_string_literal(path)
            ~ ", header = true, skip = 0, auto_detect = false, delim = " ~ sql_string_literal(header.delimiter)
            ~ ", quote = '\"', escape = '\"', columns = {" ~ header.columns ~ "}, encoding = "
            ~ sql_string_literal(encoding) ~ ", null_padding = false, strict_mode = true" -%}
        {#- The checks read with the same settings but set aside lines with the wrong number of
            fields, so all of them can be named in one message instead of the reader failing on the first. -#}
        {%- set check_reader = reader ~ ", ignore_errors = true, store_rejects = true, rejects_table = "
            ~ "'raw_transaction_rejects', rejects_scan = 'raw_transaction_reject_scans')" -%}
        {%- set reader = reader ~ ")" -%}
        {%- set row_number = "row_number() over ()" -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file '" ~ path ~ "' has an unsupported extension: use .csv, .csv.gz, "
            ~ ".tsv or .parquet (or .xlsx through `python -m segmentation.land`)."
        ) }}
    {%- endif -%}

    {#- Checked before the view is replaced: a bad file fails here, before any model runs, and the
        warehouse keeps the previous results built from the previous file. -#}
    {%- set described = run_query("describe select * from " ~ check_reader) -%}
    {%- set columns = described.columns[0].values() | reject('equalto', 'file_row_number') | list -%}
    {%- set layout = resolve_retail_layout_columns(columns, "raw transactions file '" ~ path ~ "'") -%}
    {%- set kinds = retail_layout_kinds_of_types(
        dict(zip(described.columns[0].values(), described.columns[1].values())), layout
    ) -%}
    {%- do check_raw_transaction_lines(
        check_reader, layout, kinds['invoiced_at'], path,
        is_csv=lowered.endswith(('.csv', '.csv.gz', '.tsv', '.tsv.gz', '.txt', '.txt.gz'))
    ) -%}

    {#- Must match the `retail` source in models/staging/retail/_retail__sources.yml. -#}
    {%- set source_relation = api.Relation.create(
        database=target.database, schema='raw', identifier='retail_transactions'
    ) -%}
    create schema if not exists {{ source_relation.schema }};
    create or replace view {{ source_relation }} as
    select
        cast({{ row_number }} as bigint) as source_row_number,
        columns(c -> c <> 'file_row_number')
    from {{ reader }};
{% endmacro %}


{#
    The delimiter and column names of a CSV file, read from its first line (the header), after two
    checks that turn confusing reader errors into messages naming the file, the line and the fix:
    the file is empty, or (for UTF-8) it holds bytes that are not UTF-8, as Latin-1 exports do.
    Returns {'delimiter': ..., 'columns': "'name': 'varchar', ..."} for read_csv.
#}
{% macro csv_header(path, encoding) %}
    {%- set lines_reader -%}
        read_csv({{ sql_string_literal(path) }}, header = false, columns = {'line': 'varchar'}, delim = chr(31),
            quote = '', escape = '', auto_detect = false, strict_mode = false, encoding =
    {%- endset -%}
    {%- if encoding in ['utf-8', 'utf8'] -%}
        {#- Read as Latin-1, which accepts any byte, so this check cannot fail on what it looks for:
            a byte 0x80-0xFF left once every well-formed UTF-8 sequence is removed is not UTF-8. -#}
        {%- set latin1_lines = lines_reader ~ " 'latin-1')" -%}
        {%- set not_utf8 -%}
            regexp_matches(line, '[\x{80}-\x{FF}]')
            and regexp_matches(
                regexp_replace(
                    line,
                    '[\x{C2}-\x{DF}][\x{80}-\x{BF}]|[\x{E0}-\x{EF}][\x{80}-\x{BF}]{2}|[\x{F0}-\x{F4}][\x{80}-\x{BF}]{3}',
                    '', 'g'
                ),
                '[\x{80}-\x{FF}]'
            )
        {%- endset -%}
        {%- set bad = run_query("select count(*) from (select 1 from " ~ latin1_lines ~ " where "
            ~ not_utf8 ~ " limit 1) as bad_lines").columns[0].values()[0] -%}
        {%- if bad > 0 -%}
            {#- Only on failure: numbering the lines costs a second pass. -#}
            {%- set first_bad = run_query("select line_number, line from (select row_number() over () as line_number, line from "
                ~ latin1_lines ~ ") as lines where " ~ not_utf8 ~ " order by line_number limit 1").rows[0] -%}
            {{ exceptions.raise_compiler_error(
                "Raw transactions file '" ~ path ~ "' is not valid UTF-8: line " ~ first_bad[0] ~ " ("
                ~ first_bad[1][:120] ~ ") has bytes that are not UTF-8, as Latin-1 exports do. Set the var "
                ~ "raw_csv_encoding: latin-1 (--vars '{raw_csv_encoding: latin-1}'), or run "
                ~ "`python -m segmentation.pipeline --input FILE`, which detects the encoding."
            ) }}
        {%- endif -%}
    {%- endif -%}

    {%- set first_lines = run_query("select line from " ~ lines_reader ~ " " ~ sql_string_literal(encoding)
        ~ ") limit 1").columns[0].values() -%}
    {%- set header = ((first_lines[0] if first_lines else none) or '').lstrip('\ufeff').rstrip('\r\n') -%}
    {%- if not header.strip() -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file '" ~ path ~ "' is empty or its first line is blank: the first line "
            ~ "must be the header (e.g. Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country)."
        ) }}
    {%- endif -%}

    {#- The candidate that splits the header most often, ignoring quoted names. -#}
    {%- set unquoted = modules.re.sub('"[^"]*"', '', header) -%}
    {%- set ns = namespace(delimiter=none, count=0) -%}
    {%- for candidate in [',', ';', '\t', '|'] -%}
        {%- if unquoted.count(candidate) > ns.count -%}
            {%- set ns.delimiter = candidate -%}
            {%- set ns.count = unquoted.count(candidate) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ns.delimiter is none -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file '" ~ path ~ "' cannot be split into columns: its header line ("
            ~ header[:200] ~ ") holds no comma, semicolon, tab or pipe, so the whole line would be one "
            ~ "column. Export the file with one of these delimiters."
        ) }}
    {%- endif -%}

    {#- Names as the reader would give them: unquoted, blanks named columnN, repeats suffixed. -#}
    {%- set names = [] -%}
    {%- for raw_name in header.split(ns.delimiter) -%}
        {%- set name = raw_name.strip().strip('"').strip() or 'column' ~ loop.index0 -%}
        {%- set name = name ~ '_' ~ loop.index0 if name in names else name -%}
        {%- do names.append(name) -%}
    {%- endfor -%}
    {%- set columns = [] -%}
    {%- for name in names -%}
        {%- do columns.append(sql_string_literal(name) ~ ": 'varchar'") -%}
    {%- endfor -%}
    {{ return({'delimiter': ns.delimiter, 'columns': columns | join(', ')}) }}
{% endmacro %}


{#
    Whole-file checks on the landed lines, in one pass: every CSV line has the header's number of
    fields, there are data lines at all, some InvoiceDate parses, and var snapshot_date leaves some
    line before it. Each would otherwise fail deep in the build with the reader's message about the
    first bad line only, or build "successfully" into empty marts, or fail much later in a Python
    model with no word about the cause.
#}
{% macro check_raw_transaction_lines(reader, layout, date_kind, path, is_csv) %}
    {%- set snapshot = snapshot_date_literal() -%}
    {%- set raw_date = landed_text(layout['invoiced_at'], date_kind) -%}
    {%- set parsed = parse_invoice_timestamp(layout['invoiced_at'], date_kind) -%}
    {#- One statement list on one cursor: the reader's rejects table is temporary, so it is only
        visible to the connection that scanned the file. -#}
    {%- set query -%}
        {% if is_csv -%}
        drop table if exists raw_transaction_rejects;
        drop table if exists raw_transaction_reject_scans;
        {%- endif %}
        create or replace temporary table raw_transaction_check as
        select
            count(*) as line_count,
            count(invoiced_at) as dated_line_count,
            cast(min(invoiced_at) as date) as first_date,
            cast(max(invoiced_at) as date) as last_date,
            any_value(raw_invoiced_at) filter (where invoiced_at is null) as undated_example
        from (
            select
                {{ parsed }} as invoiced_at,
                {{ raw_date }} as raw_invoiced_at
            from {{ reader }}
        ) as lines;
        select
            checked.*,
            {% if is_csv -%}
            rejected.*
            {%- else -%}
            0 as rejected_line_count, null as first_rejected_line, null as first_rejected_text, null as first_reject_error
            {%- endif %}
        from raw_transaction_check as checked
        {%- if is_csv %}
        cross join (
            select
                count(distinct line) as rejected_line_count,
                min(line) as first_rejected_line,
                arg_min(csv_line, line) as first_rejected_text,
                arg_min(error_message, line) as first_reject_error
            from raw_transaction_rejects
        ) as rejected
        {%- endif %}
    {%- endset -%}
    {%- set stats = run_query(query).rows[0] -%}
    {%- set date_column = layout['invoiced_at'] | replace('"', '') -%}
    {%- if stats[5] > 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file '" ~ path ~ "': " ~ stats[5] ~ " line(s) do not have as many fields as "
            ~ "the header, first line " ~ stats[6] ~ " (" ~ stats[7][:160] ~ "): " ~ stats[8]
            ~ ". A field holding the delimiter must be in double quotes, and every line must use the "
            ~ "header's delimiter; fix or remove these lines (nothing was loaded)."
        ) }}
    {%- endif -%}
    {%- if stats[0] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file '" ~ path ~ "' has a header but no data lines: nothing to build. "
            ~ "Check that the export finished writing."
        ) }}
    {%- endif -%}
    {%- if stats[1] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file '" ~ path ~ "': none of its " ~ stats[0] ~ " lines has a " ~ date_column
            ~ " that parses (e.g. '" ~ stats[4] ~ "'). Add its format to the var raw_date_formats "
            ~ "(strptime, e.g. '%d.%m.%Y %H:%M'); ISO dates (yyyy-mm-dd hh:mm) always parse."
        ) }}
    {%- endif -%}
    {%- if snapshot is not none -%}
        {%- set snapshot_day = snapshot.split("'")[1] -%}
        {%- if snapshot_day <= stats[2] | string -%}
            {{ exceptions.raise_compiler_error(
                "var snapshot_date=" ~ snapshot_day ~ " is on or before the first invoice in '" ~ path ~ "' ("
                ~ stats[2] ~ "): every line would be quarantined as after_snapshot_date and no customer "
                ~ "would remain. Use a date after " ~ stats[2] ~ " (the file ends on " ~ stats[3]
                ~ "), or leave it unset to use the day after the last invoice."
            ) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{% macro raw_transactions_path() %}
    {#- The environment variable wins so that a one-off run on another file needs no --vars. -#}
    {%- set path = env_var('RETAIL_RAW_PATH', '') or var('raw_transactions_path') -%}
    {%- if path and "'" in path -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions path " ~ path ~ " contains a single quote; rename the file or folder."
        ) }}
    {%- endif -%}
    {{ return(path) }}
{% endmacro %}


{% macro sql_string_literal(text) %}
    {{- return("'" ~ (text | string | replace("'", "''")) ~ "'") -}}
{% endmacro %}

{#- Business rules on invoice numbers, shared by every model that needs them. -#}

{#- UCI convention: an invoice number starting with 'C' is a cancellation (credit note). -#}
{% macro is_cancellation_invoice(invoice_no) -%}
    (upper({{ invoice_no }}) like 'C%')
{%- endmacro %}


{#- An invoice number starting with 'A' is a bad-debt adjustment, not a sale. -#}
{% macro is_adjustment_invoice(invoice_no) -%}
    (upper({{ invoice_no }}) like 'A%')
{%- endmacro %}


{#- Label shown for products whose description is missing. -#}
{% macro unknown_description_label() -%}
    'Unknown'
{%- endmacro %}


{#- Snapshot date given by the user, validated (a real calendar date in yyyy-mm-dd form, digits
    only) before it reaches SQL so a hostile value cannot inject SQL and a typo such as 2011-02-30
    is named here rather than failing as a cast deep in the build; none when not set. -#}
{% macro snapshot_date_literal() %}
    {%- set value = var('snapshot_date') -%}
    {%- if value is none or value == '' or value | string | lower in ('none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string -%}
    {%- set ns = namespace(valid=false) -%}
    {%- if text | length == 10 and text[4] == '-' and text[7] == '-' and (text | replace('-', '')).isdigit() -%}
        {%- set year, month, day = text[:4] | int, text[5:7] | int, text[8:] | int -%}
        {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
        {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
        {%- set ns.valid = 1 <= month <= 12 and 1 <= day <= month_days[month - 1] -%}
    {%- endif -%}
    {%- if not ns.valid -%}
        {{ exceptions.raise_compiler_error(
            "var snapshot_date='" ~ value ~ "' is not a date in yyyy-mm-dd form (e.g. 2011-12-10); "
            ~ "leave it unset to use the day after the last invoice."
        ) }}
    {%- endif -%}
    {{ return("date '" ~ text ~ "'") }}
{% endmacro %}


{#- A whole-number var (a count of days) checked before it is pasted into SQL: a var is text the
    user typed, so anything but digits could change the statement, and a fraction or a negative
    window has no meaning. YAML gives 180, --vars may give '180'; both are accepted. -#}
{% macro integer_var(name, minimum=0) %}
    {%- set value = var(name) -%}
    {%- set text = value | string | trim -%}
    {%- if value is none or value is sameas true or value is sameas false or not text.isdigit()
        or text | int < minimum -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ "='" ~ value ~ "' must be a whole number of days >= " ~ minimum ~ "."
        ) }}
    {%- endif -%}
    {{ return(text | int) }}
{% endmacro %}


{#- The strptime formats of var raw_date_formats, checked: a bare string would otherwise be read
    character by character (each character a "format"), and quotes have no place in a date format. -#}
{% macro raw_date_formats() %}
    {%- set formats = var('raw_date_formats') -%}
    {%- set example = "e.g. ['%d/%m/%Y %H:%M', '%m/%d/%Y %H:%M']" -%}
    {%- if formats is string or formats is mapping or formats is not iterable or formats | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "var raw_date_formats=" ~ formats ~ " must be a non-empty list of strptime formats, " ~ example ~ "."
        ) }}
    {%- endif -%}
    {%- for date_format in formats -%}
        {%- if date_format is not string or '%' not in date_format or "'" in date_format
            or ';' in date_format -%}
            {{ exceptions.raise_compiler_error(
                "var raw_date_formats: item " ~ loop.index ~ " (" ~ date_format ~ ") is not a strptime "
                ~ "format: it must contain a % directive and no quote or semicolon, " ~ example ~ "."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(formats | list) }}
{% endmacro %}


{#- Country shown when the raw line has none (the label UCI itself uses). -#}
{% macro unknown_country_label() -%}
    'Unspecified'
{%- endmacro %}


{#- KMeans names repeat as "At risk (2)" when two segments share a profile; actions key on the base name. -#}
{% macro segment_base_name(segment_name) -%}
    {{ regexp_replace_all(segment_name, ' [(][0-9]+[)]$', '') }}
{%- endmacro %}

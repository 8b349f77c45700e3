{#- on-run-end: marks this build's int_segment_model_schedule row finished once every model that
    reads the schedule (the trained models) was built in the same run. A run that stopped between
    the schedule row and those models (a failed test upstream, an error, a --select that left them
    out) leaves the row unfinished, so the next build retrains instead of taking the stored tables
    for models the row says were trained. Nothing to mark where the schedule is rebuilt whole
    (macro incremental_lines_enabled: Spark never reads stored models). -#}
{% macro record_finished_model_build(results) -%}
    {%- if not execute or not incremental_lines_enabled() -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set built = {} -%}
    {%- for result in results if result.node.resource_type == 'model' and result.status == 'success' -%}
        {%- do built.update({result.node.unique_id: result.node}) -%}
    {%- endfor -%}
    {%- set schedule = built.values() | selectattr('name', 'equalto', 'int_segment_model_schedule') | list -%}
    {%- if not schedule -%}
        {{- return('') -}}
    {%- endif -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- if schedule[0].unique_id in node.depends_on.nodes and node.unique_id not in built -%}
            {{- return('') -}}
        {%- endif -%}
    {%- endfor -%}
    {%- set relation = schedule[0].relation_name -%}
    update {{ relation }}
    set models_finished = true
    where build_number = (select max(build_number) from {{ relation }})
{%- endmacro %}

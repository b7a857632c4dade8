{#- PostgreSQL serving: a group role BI tools log in through, reading the served schemas only.
    dbt re-creates table models on every build, so USAGE and SELECT are granted again at the end
    of every run (on-run-end), once the schemas exist. Raw and staging schemas are never granted. -#}
{% macro ensure_bi_reader_role() %}
    {% if target.type == 'postgres' %}
        do $$
        begin
            if not exists (select from pg_roles where rolname = 'bi_reader') then
                create role bi_reader nologin;
            end if;
        exception
            -- Roles are cluster-wide: a build in another database may create it at the same time.
            when duplicate_object or unique_violation then null;
        end
        $$;
    {% endif %}
{% endmacro %}

{% macro grant_bi_reader_usage() %}
    {% if target.type == 'postgres' %}
        {#- dq holds the Great Expectations results pmo-hub appends after dbt: the default
            privilege covers tables created there later by the same role. -#}
        {% for schema in ['core', 'marts', 'compliance', 'dq'] %}
            {% set relation_schema = generate_schema_name(schema, none) %}
            do $$
            begin
                if exists (select from pg_namespace where nspname = '{{ relation_schema }}') then
                {%- if var('pseudonymize', false) %}
                    {#- pseudonymized serving: BI reads the `bi` schema the serving step
                        writes, never the tables with names and emails #}
                    revoke select on all tables in schema "{{ relation_schema }}" from bi_reader;
                    revoke usage on schema "{{ relation_schema }}" from bi_reader;
                    alter default privileges in schema "{{ relation_schema }}"
                        revoke select on tables from bi_reader;
                {%- else %}
                    grant usage on schema "{{ relation_schema }}" to bi_reader;
                    grant select on all tables in schema "{{ relation_schema }}" to bi_reader;
                    alter default privileges in schema "{{ relation_schema }}"
                        grant select on tables to bi_reader;
                {%- endif %}
                end if;
            end
            $$;
        {% endfor %}
    {% endif %}
{% endmacro %}

{# Each durable key has exactly one current version and no two versions of a key overlap. #}
{% test scd2_windows_valid(model, durable_key) %}
with ordered as (
    select
        {{ durable_key }} as durable_key,
        effective_from,
        effective_to,
        is_current,
        lead(effective_from) over (partition by {{ durable_key }} order by effective_from) as next_from
    from {{ model }}
),

problems as (
    select durable_key, 'window does not end where the next version starts' as problem
    from ordered where next_from is not null and effective_to <> next_from
    union all
    select durable_key, 'empty or inverted window' from ordered where effective_to <= effective_from
    union all
    select durable_key, 'not exactly one current version'
    from ordered group by durable_key having sum(case when is_current then 1 else 0 end) <> 1
)

select * from problems
{% endtest %}

{# Fails with every row for which the expression does not hold (a null result counts as a failure). #}
{% test expression_is_true(model, expression, column_name=none, where=none) %}
select *
from {{ model }}
where not coalesce({{ expression }}, false)
{% if where %} and ({{ where }}){% endif %}
{% endtest %}

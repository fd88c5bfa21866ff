"""dbt lineage lives in the models: no macro outside macros/materializations/ calls ref() or source().

A macro that names a relation hides a dependency from whoever reads the model (and runs the same SQL
in every model that expands it); macros take relations as arguments instead. Only the `restate_from`
materialization reads the warehouse at run time and may name what it reads."""

from __future__ import annotations

import re

from inventory_platform.settings import DBT_PROJECT_DIR

MACROS = DBT_PROJECT_DIR / "macros"
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
RELATION_CALL = re.compile(r"\b(ref|source)\s*\(")


def relation_calls(sql: str) -> list[str]:
    """Each line of `sql` (Jinja comments removed) that calls ref() or source()."""
    code = JINJA_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), sql)
    return [f"{number}: {line.strip()}" for number, line in enumerate(code.splitlines(), 1)
            if RELATION_CALL.search(line)]


def test_no_macro_outside_materializations_calls_ref_or_source():
    macros = [p for p in MACROS.rglob("*.sql") if "materializations" not in p.relative_to(MACROS).parts]
    assert len(macros) >= 10
    found = {str(p.relative_to(DBT_PROJECT_DIR)): calls for p in macros if (calls := relation_calls(p.read_text()))}
    assert found == {}, "pass the relation in from the model instead"


def test_the_check_sees_calls_and_ignores_comments():
    assert relation_calls("{# ref('x') is fine here #}\nselect * from {{ source('bronze', 't') }}") == [
        "2: select * from {{ source('bronze', 't') }}"]
    assert relation_calls("{{ ref ('dim_product') }}") == ["1: {{ ref ('dim_product') }}"]
    assert relation_calls("{{ preferred(x) }} {{ resource(y) }}") == []

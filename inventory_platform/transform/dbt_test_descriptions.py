"""What each dbt test checks, in a sentence an analyst can read on the asset's Checks tab."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_GENERIC: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "not_null": lambda a: f"`{a['column_name']}` is never null.",
    "unique": lambda a: f"`{a['column_name']}` is unique.",
    "accepted_values": lambda a: f"`{a['column_name']}` is one of {', '.join(map(str, a['values']))}.",
    "relationships": lambda a: f"Every `{a['column_name']}` exists in {a['to']}.{a['field']}.",
    "unique_combination_of_columns": lambda a: f"One row per ({', '.join(a['combination_of_columns'])}).",
    "expression_is_true": lambda a: f"`{a['expression']}` holds for every row"
                                    + (f" where {a['where']}." if a.get("where") else "."),
    "scd2_windows_valid": lambda a: f"The validity windows of each `{a['durable_key']}` neither overlap nor leave gaps.",
}
_LEADING_COMMENT = re.compile(r"^\s*(?:\{\{.*?\}\}\s*)?((?:--[^\n]*\n)+)", re.S)


def describe_dbt_test(test: Mapping[str, Any]) -> str | None:
    """A generic test from its name and arguments; a singular test from the comment that opens its SQL."""
    metadata = test.get("test_metadata") or {}
    describe = _GENERIC.get(metadata.get("name", ""))
    if describe is not None:
        where = test.get("config", {}).get("where")
        return describe({**metadata.get("kwargs", {}), **({"where": where} if where else {})})
    comment = _LEADING_COMMENT.match(test.get("raw_code") or "")
    if comment:
        return " ".join(line.strip().removeprefix("--").strip() for line in comment.group(1).splitlines())
    return None

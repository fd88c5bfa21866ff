"""Quoting for the few places where a name or value must be spliced into SQL text.

Values that can be bound as parameters always are; these cover identifiers and the file lists
DuckDB table functions take, which cannot be parameters.
"""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"

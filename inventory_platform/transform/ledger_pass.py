"""Where the ledger's chunked restatement pass stands, read from the warehouse between dbt invocations.

A pass (docs/late_arriving.md "Chunks") restates the ledger in whole-month chunks, one dbt invocation
each; the window log (int_ledger_restate_window) and the done marks (int_ledger_chunk_done) live in the
warehouse, so the dbt step can loop over chunks and a rerun resumes where a killed one stopped. This
module only reads them and says which dbt models a chunk rebuilds; the loop is in dbt_build.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from inventory_platform.lib.sql_quoting import quote_ident

WINDOW = "int_ledger_restate_window"
DONE = "int_ledger_chunk_done"

Query = Callable[[str], list[tuple]]


@dataclass(frozen=True)
class Chunk:
    """The newest window: one chunk of a pass, and whether its whole chain succeeded."""

    build_id: int
    restated_from: date | None  # None: the pass's first day of the history (or nothing new)
    restated_until: date | None  # None: to the end of the ledger, the pass's last chunk
    is_full_history: bool
    done: bool

    @property
    def pass_complete(self) -> bool:
        return self.done and self.restated_until is None

    def days(self) -> str:
        first = "the first day" if self.restated_from is None else self.restated_from.isoformat()
        last = "the last day" if self.restated_until is None else (self.restated_until - timedelta(days=1)).isoformat()
        if self.restated_from is None and not self.is_full_history:
            return f"build {self.build_id} (nothing to restate)"
        return f"build {self.build_id}: event days {first} to {last}"


def latest_chunk(query: Query, schema: str) -> Chunk | None:
    """The newest window row and whether it is done; None before the window was first built."""
    window, done = f"{quote_ident(schema)}.{WINDOW}", f"{quote_ident(schema)}.{DONE}"
    try:
        rows = query(f"SELECT build_id, restated_from, restated_until, is_full_history FROM {window} "
                     f"WHERE build_id = (SELECT max(build_id) FROM {window})")
    except Exception:  # noqa: BLE001 - a first build that failed before the window was built has none
        return None
    if not rows:
        return None
    build_id, restated_from, restated_until, full = rows[0]
    try:
        is_done = bool(query(f"SELECT count(*) FROM {done} WHERE build_id = {int(build_id)}")[0][0])
    except Exception:  # noqa: BLE001 - the done log is created by the first chunk that completes
        is_done = False
    return Chunk(int(build_id), _day(restated_from), _day(restated_until), bool(full), is_done)


def _day(value: Any) -> date | None:
    return None if value is None else value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def chunk_models(manifest: Mapping[str, Any], selected_names: Iterable[str]) -> list[str]:
    """The selected dbt models a chunk rebuilds: the window and everything downstream of it. Empty when
    the window or the done mark is not selected (the step then runs dbt once, as it always did)."""
    child_map = manifest["child_map"]
    window = next(uid for uid, node in manifest["nodes"].items() if node.get("name") == WINDOW)
    found, todo = {window}, [window]
    while todo:
        for child in child_map.get(todo.pop(), []):
            if child.startswith("model.") and child not in found:
                found.add(child)
                todo.append(child)
    names = {manifest["nodes"][uid]["name"] for uid in found} & set(selected_names)
    return sorted(names) if {WINDOW, DONE} <= names else []

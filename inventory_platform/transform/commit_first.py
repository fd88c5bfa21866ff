"""Build lanes: the models tagged `commit_first` (the CDC state: the streamed transactions and stock levels)
are built and tested by a dbt invocation of their own, before the rest of the step's selection, so that the
warehouse's writer lock is released between the two.

On DuckDB one process writes at a time and no other process can even read while it does. A CDC refresh
holds the lock for its whole dbt build (~6-9 s at `small`, the ledger, snapshot and Gold being most of it);
with the lanes, readers and the CDC loader get in after the first ~1-2 s, so Silver's streamed state is
readable that much sooner, while Gold follows in the same refresh.

Each dbt test still runs once, after every model it reads is built: the first lane takes the tests on its
models (dbt's default, `eager`) but those that also read a model of the second lane (the ledger's
conservation against the CDC transactions), which it excludes; the second lane takes every test on its
models. Tests are excluded by fully qualified name, which two tests can share (a name repeated across the
models of one folder): when an exclusion would take a test neither lane then runs, or when the step selects
checks without their assets or assets without their checks, the step stays one invocation. The split never
drops or repeats a check.

A first lane that fails does not stop the second: as in one `dbt build`, only what is below a model that
failed, or whose test failed, is left out of it (`below_failures`), so a rejected CDC change (the check on
cdc_rejects) holds back neither the ledger nor Gold, and the step still fails, naming the check.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

COMMIT_FIRST_TAG = "commit_first"


def build_lanes(manifest: Mapping[str, Any], selected: Collection[str]) -> list[list[str]] | None:
    """dbt selection arguments of the two lanes for the `selected` nodes (unique ids of models and seeds,
    their tests taken by indirect selection), or None when the step's build stays one invocation."""
    nodes, parents = manifest["nodes"], manifest["parent_map"]
    selected = set(selected)
    first = {u for u in selected if COMMIT_FIRST_TAG in nodes[u].get("tags", ())}
    if not first:
        return None
    first |= _ancestors(parents, first) & selected  # what the tagged models are built from comes first
    rest = selected - first
    if not rest:
        return None
    tests = {u: set(n["depends_on"]["nodes"]) for u, n in nodes.items() if n["resource_type"] == "test"}
    across = {t for t, on in tests.items() if on & first and on & rest}
    excluded = {u for u in nodes if any(_fqn_selects(nodes[t]["fqn"], nodes[u]["fqn"]) for t in across)}
    in_first = {t for t, on in tests.items() if on & first} - excluded
    in_rest = {t for t, on in tests.items() if on & rest}
    one_invocation = {t for t, on in tests.items() if on & selected}
    if excluded & first or in_first & in_rest or in_first | in_rest != one_invocation:
        return None
    exclude = ["--exclude", _names(nodes, across)] if across else []
    return [["--select", _names(nodes, first), *exclude], ["--select", _names(nodes, rest)]]


def _fqn_selects(selector: list[str], fqn: list[str]) -> bool:
    """Whether dbt's fqn method, given a node's whole fully qualified name, also selects the node `fqn`."""
    return fqn[:len(selector)] == selector


def _ancestors(parents: Mapping[str, list[str]], of: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = [p for u in of for p in parents.get(u, ())]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(parents.get(node, ()))
    return seen


def _names(nodes: Mapping[str, Any], unique_ids: set[str]) -> str:
    """Fully qualified names, as dagster-dbt selects a subset's resources."""
    return " ".join(sorted(".".join(nodes[u]["fqn"]) for u in unique_ids))


def below_failures(run_results: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[str] | None:
    """dbt `--exclude` arguments for what a later lane must not build after this invocation's failures:
    every model in error or with a failed test, and all below it. None when dbt failed before running
    anything (no results to go by): then no later lane runs."""
    results = run_results.get("results") or []
    if not results:
        return None
    nodes = manifest["nodes"]
    stopped: set[str] = set()
    for result in results:
        if result["status"] in ("error", "fail"):
            uid = result["unique_id"]
            stopped |= ({p for p in nodes[uid]["depends_on"]["nodes"] if p.startswith("model.")}
                        if uid.startswith("test.") else {uid})
    return ["--exclude", " ".join(f"{'.'.join(nodes[u]['fqn'])}+" for u in sorted(stopped))] if stopped else []

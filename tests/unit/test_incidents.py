"""How unhealthy subjects become incidents: lineage joins a cause to what is downstream of it, a failed run joins
the incident of what it planned, unrelated problems stay apart, and a merge keeps the older incident."""

from __future__ import annotations

import dagster as dg

from inventory_platform.monitoring.incidents import Incident, group_subjects, incidents_table, reconcile

# a -> b -> c (b healthy in the tests), and d on its own.
A, B, C, D = (dg.AssetSpec(k) for k in (["bronze", "a"], ["silver", "b"], ["gold", "c"], ["ops", "d"]))
REPO = dg.Definitions(assets=[A, B.replace_attributes(deps=[A.key]), C.replace_attributes(deps=[B.key]), D]
                      ).get_repository_def()


def state(kind: str, level: str, *assets: str, runbook: str = "ops_runbooks/runbook_freshness.md") -> dict:
    return {"kind": kind, "level": level, "state": "FAILED (ERROR)", "runbook": runbook, "assets": list(assets)}


def test_a_cause_and_what_is_downstream_are_one_incident_even_across_healthy_tables():
    unhealthy = {"check:gold/c:x": state("check", "WARN", "gold/c"),
                 "check:bronze/a:x": state("check", "FAIL", "bronze/a"),
                 "check:ops/d:disk": state("check", "FAIL", "ops/d")}
    assert group_subjects(unhealthy, REPO) == [["check:bronze/a:x", "check:gold/c:x"], ["check:ops/d:disk"]]


def test_a_failed_run_joins_and_causes_the_incident_of_what_it_planned():
    unhealthy = {"freshness:gold/c": state("freshness", "WARN", "gold/c"),
                 "run:build": state("run", "FAIL", "silver/b", "gold/c", runbook="ops_runbooks/runbook_serialization.md")}
    [incident], [opened] = reconcile([], unhealthy, REPO, now=1_000.0)
    assert (incident.cause, incident.level, incident.runbook) == ("run:build", "FAIL", "ops_runbooks/runbook_serialization.md")
    assert incident.assets == ["gold/c", "silver/b"] and opened.before is None


def test_a_merge_keeps_the_older_incident_and_a_standing_one_does_not_notify_again():
    older = Incident("old", "FAIL", "check:bronze/a:x", "FAILED (ERROR)", "r", ["check:bronze/a:x"], ["bronze/a"], 10.0)
    newer = Incident("new", "WARN", "check:gold/c:x", "FAILED (WARN)", "r", ["check:gold/c:x"], ["gold/c"], 20.0)
    unhealthy = {"check:bronze/a:x": state("check", "FAIL", "bronze/a"), "check:gold/c:x": state("check", "WARN", "gold/c")}
    [merged], changes = reconcile([newer, older], unhealthy, REPO, now=30.0)
    assert (merged.id, merged.opened_at, merged.level) == ("old", 10.0, "FAIL")
    assert changes == []  # same level as the older incident; the newer one is absorbed without a page
    assert "| old | FAIL | check:bronze/a:x (FAILED (ERROR))" in incidents_table([merged], lambda p: f"http://x/{p}")

    _, resolved = reconcile([merged], {}, REPO, now=40.0)
    assert [(c.incident.id, c.resolved) for c in resolved] == [("old", True)]

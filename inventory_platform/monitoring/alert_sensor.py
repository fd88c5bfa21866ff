"""alert_sensor: open-source Dagster has no alerting, so this sensor notifies on state changes, once per incident.

Every tick it reads freshness states, the latest asset-check results and the latest finished run per
job, and keeps the last known state of each in the sensor cursor. The unhealthy ones are grouped into
incidents (monitoring/incidents.py: one cause and everything downstream of it), and each incident notifies
once when it opens, once when its level changes (WARN -> FAIL) and once when it resolves. A state that stays
the same never notifies again, however many ticks see it, so there are no alert storms, and a stale source
that makes a dozen tables late is one alert listing them. Open incidents are recorded on `ops/open_incidents`.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import dagster as dg

from inventory_platform.catalog.runbook_links import runbook_url
from inventory_platform.dagster_adapter import utc_now
from inventory_platform.monitoring.alert_states import Observation, describe_run_failure, observe_everything
from inventory_platform.monitoring.incidents import OPEN_INCIDENTS, Incident, Transition, open_incidents_events, reconcile
from inventory_platform.monitoring.levels import Level
from inventory_platform.monitoring.notifiers import Alert, deliver, notifiers_from_env
from inventory_platform.settings import Settings

ALERT_SENSOR_INTERVAL_SECONDS = 60
FORGET_PASSING_AFTER = timedelta(days=30)
_CURSOR_VERSION = 2


@dataclass
class AlertCursor:
    """Last known state per watched subject, the open incidents, and how far finished runs have been read."""

    # subject -> {level, state, runbook, seen, kind, target, summary, assets, run_id}
    states: dict[str, dict] = field(default_factory=dict)
    runs_after: float | None = None
    incidents: list[Incident] = field(default_factory=list)
    recorded: str | None = None  # the open-incidents table last recorded on ops/open_incidents

    @classmethod
    def parse(cls, raw: str | None) -> "AlertCursor":
        if not raw:
            return cls()
        data = json.loads(raw)
        if data.get("version") != _CURSOR_VERSION:
            return cls()  # an older format: start over rather than misread it
        return cls(states=data["states"], runs_after=data.get("runs_after"),
                   incidents=[Incident.from_json(i) for i in data.get("incidents", [])], recorded=data.get("recorded"))

    def serialize(self) -> str:
        return json.dumps({"version": _CURSOR_VERSION, "states": self.states, "runs_after": self.runs_after,
                           "incidents": [i.to_json() for i in self.incidents], "recorded": self.recorded},
                          sort_keys=True, separators=(",", ":"))

    def transitions(self, observations: list[Observation]) -> list[Observation]:
        """Observations whose level differs from the last known one."""
        changed = []
        for obs in observations:
            if obs.level is None:
                continue
            known = self.states.get(obs.subject)
            if obs.level is not (Level(known["level"]) if known else Level.PASS):
                changed.append(obs)
        return changed

    def remember(self, obs: Observation, now: float) -> None:
        if obs.level is None:
            return
        known = self.states.get(obs.subject)
        held = known is not None and known["level"] == obs.level.value
        # While the level holds, keep the runbook chosen when it changed (a failed run's is picked from its
        # error) and a run's description (read once, when it turned failing).
        runbook = known["runbook"] if held else obs.runbook
        summary, assets = ((known.get("summary", obs.summary), known.get("assets", list(obs.assets)))
                           if held and obs.kind == "run" else (obs.summary, list(obs.assets)))
        self.states[obs.subject] = {"level": obs.level.value, "state": obs.state, "runbook": runbook, "seen": now,
                                    "kind": obs.kind, "target": obs.target, "summary": summary, "assets": assets,
                                    "run_id": obs.run_id}

    def unhealthy(self) -> dict[str, dict]:
        return {s: v for s, v in self.states.items() if v["level"] != Level.PASS.value}

    def forget_old_passes(self, now: float) -> None:
        """Jobs and ad-hoc asset selections that passed and have not run for a while leave the cursor,
        so it does not grow forever; seen again, they start as new (and alert only if failing)."""
        cutoff = now - FORGET_PASSING_AFTER.total_seconds()
        self.states = {s: v for s, v in self.states.items() if v["level"] != Level.PASS.value or v.get("seen", now) >= cutoff}


def alert_for(change: Transition, states: dict[str, dict], previous: dict[str, dict], settings: Settings,
              at: datetime) -> Alert:
    """The incident's alert, told through its cause: on opening, its cause's previous state; on a level
    change, the state it was at; on resolving, the cause's state now."""
    incident, before = change.incident, change.before
    cause = states.get(incident.cause) or previous.get(incident.cause) or {}
    if change.resolved:  # every subject of it is healthy again (or forgotten)
        level, state, previous_state = Level.PASS, cause.get("state", "resolved"), incident.cause_state
    else:
        level, state = Level(incident.level), incident.cause_state
        was = previous.get(incident.cause)
        previous_state = before.cause_state if before else (was["state"] if was else "new")
    others = [s for s in incident.subjects if s != incident.cause]
    summary = cause.get("summary", incident.cause)
    if others and not change.resolved:
        summary += f"\nAlso in this incident ({len(others)}): " + ", ".join(
            f"{s} ({states[s]['state']})" for s in others[:20]) + (" …" if len(others) > 20 else "")
    return Alert(
        subject=f"incident:{incident.id}", kind=cause.get("kind", "incident"),
        target=cause.get("target", incident.cause), state=state, previous_state=previous_state, level=level,
        runbook=incident.runbook, runbook_url=runbook_url(incident.runbook, settings), summary=summary,
        at=at.isoformat(timespec="seconds"), assets=tuple(incident.assets),
        details={"incident": incident.id, "subjects": list(incident.subjects),
                 **({"run_id": cause["run_id"]} if cause.get("run_id") else {})},
    )


def evaluate_alerts(context: dg.SensorEvaluationContext, settings: Settings) -> dg.SensorResult:
    cursor = AlertCursor.parse(context.cursor)
    observations, runs_after = observe_everything(context.instance, context.repository_def, cursor.runs_after)
    # The incidents' own check is a view of them, not a subject.
    observations = [o for o in observations if OPEN_INCIDENTS.to_user_string() not in o.assets]
    now = utc_now()
    previous = {s: dict(v) for s, v in cursor.states.items()}
    described = {obs.subject: describe_run_failure(context.instance, obs) for obs in cursor.transitions(observations)
                 if obs.kind == "run" and obs.level is not Level.PASS}
    for obs in observations:
        cursor.remember(described.get(obs.subject, obs), now.timestamp())
    cursor.forget_old_passes(now.timestamp())
    cursor.runs_after = runs_after
    cursor.incidents, changes = reconcile(cursor.incidents, cursor.unhealthy(), context.repository_def,
                                          now.timestamp())
    if changes:
        notifiers = notifiers_from_env(settings, context.log)
        for change in changes:
            deliver(alert_for(change, cursor.states, previous, settings, now), notifiers, context.log)
    events = open_incidents_events(cursor.incidents, lambda path: runbook_url(path, settings))
    table = events[0].metadata["incidents"].value
    record = table != cursor.recorded
    cursor.recorded = table
    skip = None if changes or record else (
        f"{len(cursor.incidents)} open incident(s), unchanged (ops/open_incidents lists them); "
        f"{len(observations)} freshness states, checks and runs watched")
    return dg.SensorResult(cursor=cursor.serialize(), skip_reason=skip, asset_events=events if record else [])


def build_alert_sensor(settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(
        name="alert_sensor",
        minimum_interval_seconds=ALERT_SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=("Groups unhealthy freshness states, asset checks and failed runs into incidents (one cause "
                     "and what it affects downstream) and notifies once per incident when it opens, changes "
                     "level or resolves (log, data/alerts/alerts.jsonl, and Slack/email when configured); each "
                     "alert lists the affected assets and links the runbook. Open incidents: ops/open_incidents."),
    )
    def alert_sensor(context: dg.SensorEvaluationContext):
        return evaluate_alerts(context, settings)

    return alert_sensor

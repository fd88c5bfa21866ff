"""alert_sensor: open-source Dagster has no alerting, so this sensor notifies on state changes.

Every tick it reads freshness states, the latest asset-check results and the latest finished run per
job, compares them with the last known states kept in the sensor cursor, and notifies once per
change: PASS -> WARN, WARN -> FAIL, FAIL -> PASS (recovered), ... A state that stays the same never
notifies again, however many ticks see it, so there are no alert storms. Something seen for the first
time notifies only if it is not passing.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import dagster as dg

from inventory_platform.monitoring.alert_states import Observation, describe_run_failure, observe_everything
from inventory_platform.monitoring.levels import Level
from inventory_platform.monitoring.notifiers import Alert, deliver, notifiers_from_env
from inventory_platform.settings import Settings

ALERT_SENSOR_INTERVAL_SECONDS = 60
FORGET_PASSING_AFTER = timedelta(days=30)
_CURSOR_VERSION = 1


@dataclass
class AlertCursor:
    """Last known state per watched subject, and how far finished runs have been read."""

    states: dict[str, dict] = field(default_factory=dict)  # subject -> {level, state, runbook, seen}
    runs_after: float | None = None

    @classmethod
    def parse(cls, raw: str | None) -> "AlertCursor":
        if not raw:
            return cls()
        data = json.loads(raw)
        if data.get("version") != _CURSOR_VERSION:
            return cls()  # an older format: start over rather than misread it
        return cls(states=data["states"], runs_after=data.get("runs_after"))

    def serialize(self) -> str:
        return json.dumps({"version": _CURSOR_VERSION, "states": self.states, "runs_after": self.runs_after},
                          sort_keys=True, separators=(",", ":"))

    def transitions(self, observations: list[Observation]) -> list[tuple[Observation, dict | None]]:
        """Observations whose level differs from the last known one (with that last known state)."""
        changed = []
        for obs in observations:
            if obs.level is None:
                continue
            known = self.states.get(obs.subject)
            previous_level = Level(known["level"]) if known else Level.PASS
            if obs.level is not previous_level:
                changed.append((obs, known))
        return changed

    def remember(self, obs: Observation, now: float) -> None:
        if obs.level is None:
            return
        known = self.states.get(obs.subject)
        # While the level holds, keep the runbook chosen when it changed (a failed run's is picked from its error).
        runbook = known["runbook"] if known and known["level"] == obs.level.value else obs.runbook
        self.states[obs.subject] = {"level": obs.level.value, "state": obs.state, "runbook": runbook, "seen": now}

    def forget_old_passes(self, now: float) -> None:
        """Jobs and ad-hoc asset selections that passed and have not run for a while leave the cursor,
        so it does not grow forever; seen again, they start as new (and alert only if failing)."""
        cutoff = now - FORGET_PASSING_AFTER.total_seconds()
        self.states = {s: v for s, v in self.states.items() if v["level"] != Level.PASS.value or v.get("seen", now) >= cutoff}


def alert_for(obs: Observation, known: dict | None, at: datetime) -> Alert:
    return Alert(
        subject=obs.subject, kind=obs.kind, target=obs.target, state=obs.state,
        previous_state=known["state"] if known else "new", level=obs.level,
        # A recovery points to the runbook of the incident it ends.
        runbook=known["runbook"] if known and obs.level is Level.PASS else obs.runbook,
        summary=obs.summary, at=at.isoformat(timespec="seconds"), assets=obs.assets,
        details={"run_id": obs.run_id} if obs.run_id else {},
    )


def evaluate_alerts(context: dg.SensorEvaluationContext, settings: Settings) -> dg.SensorResult:
    cursor = AlertCursor.parse(context.cursor)
    observations, runs_after = observe_everything(context.instance, context.repository_def, cursor.runs_after)
    changes = cursor.transitions(observations)
    now = datetime.now(UTC)
    notifiers = notifiers_from_env(settings, context.log) if changes else []
    described: dict[str, Observation] = {}
    for obs, known in changes:
        if obs.kind == "run" and obs.level is not Level.PASS:
            obs = describe_run_failure(context.instance, obs)
        deliver(alert_for(obs, known, now), notifiers, context.log)
        described[obs.subject] = obs
    for obs in observations:
        cursor.remember(described.get(obs.subject, obs), now.timestamp())
    cursor.forget_old_passes(now.timestamp())
    cursor.runs_after = runs_after
    skip = None if changes else f"no state change among {len(observations)} watched freshness states, checks and runs"
    return dg.SensorResult(cursor=cursor.serialize(), skip_reason=skip)


def build_alert_sensor(settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(
        name="alert_sensor",
        minimum_interval_seconds=ALERT_SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=("Notifies once per state change of freshness, asset checks and runs (log, "
                     "data/alerts/alerts.jsonl, and Slack/email when configured); each alert names "
                     "the asset, the state and the runbook in ops_runbooks/."),
    )
    def alert_sensor(context: dg.SensorEvaluationContext):
        return evaluate_alerts(context, settings)

    return alert_sensor

"""Freshness of the data, not of the build: check `data_is_current` per layer compares the newest event day a
layer holds with the clock.

Dagster's freshness policies (definitions.py LAYER_POLICY) measure when a table was last rebuilt; a table
rebuilt an hour ago from a ledger that stopped a week ago passes them. This check reads the
`newest_event_date` each build records as materialization metadata (Bronze's load, the dbt build of the
ledger fact and Gold: transform/materialization_metadata.py), so it never reads the warehouse, needs no
pool and is never blocked by a writer. Jobs that build these assets evaluate it in the same run;
data_freshness_sensor re-evaluates it as the clock moves on.
"""


from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import dagster as dg

from inventory_platform.dagster_adapter import utc_now
from inventory_platform.monitoring.levels import Level, level_for
from inventory_platform.monitoring.runbooks import FRESHNESS, RUNBOOK_METADATA_KEY
from inventory_platform.settings import Settings
from inventory_platform.transform.materialization_metadata import LEDGER_FACT_KEY, NEWEST_EVENT_DATE

DATA_FRESHNESS_CHECK = "data_is_current"
# One asset per layer: the ledger as landed, as conformed, and as valued for finance.
DATA_FRESHNESS_KEYS = (
    dg.AssetKey(["bronze", "inventory_transactions"]),
    LEDGER_FACT_KEY,
    dg.AssetKey(["gold", "gold_inventory_value_monthly"]),
)
_DESCRIPTION = (
    "Newest event date this table holds against the clock: warns INVENTORY_DATA_FRESHNESS_WARN_HOURS (27) "
    "and fails INVENTORY_DATA_FRESHNESS_FAIL_HOURS (32) after the end of that day (UTC). Late data fails "
    "this even when the table was rebuilt an hour ago. Evaluated by every run that builds the table, and "
    "re-evaluated every 5 min by data_freshness_sensor. Runbook: " + FRESHNESS + ".")


@dataclass(frozen=True)
class Freshness:
    key: dg.AssetKey
    level: Level
    description: str
    metadata: dict

    @property
    def severity(self) -> dg.AssetCheckSeverity:
        return dg.AssetCheckSeverity.WARN if self.level is Level.WARN else dg.AssetCheckSeverity.ERROR

    def fields(self) -> dict:
        return {"asset_key": self.key, "check_name": DATA_FRESHNESS_CHECK, "passed": self.level is Level.PASS,
                "severity": self.severity, "description": self.description, "metadata": self.metadata}


def verdict(key: dg.AssetKey, newest: date | None, now: datetime, warn_hours: float, fail_hours: float) -> Freshness:
    """A day's data is complete at the midnight (UTC) after it: its age counts from there."""
    thresholds = {"warn_hours": warn_hours, "fail_hours": fail_hours}
    if newest is None:
        return Freshness(key, Level.FAIL, "holds no event yet (no newest_event_date recorded)", thresholds)
    age_hours = (now - datetime.combine(newest + timedelta(days=1), time(), UTC)).total_seconds() / 3600
    level = level_for(age_hours, warn_hours, fail_hours)
    text = f"newest event {newest}, {max(age_hours, 0):.1f} h after that day ended"
    if level is not Level.PASS:
        limit = fail_hours if level is Level.FAIL else warn_hours
        text += f": data is late (over {limit:g} h; {level.value})"
    return Freshness(key, level, text, {NEWEST_EVENT_DATE: newest.isoformat(), "age_hours": round(age_hours, 1),
                                        **thresholds})


_LOOK_BACK_EVENTS = 20  # an event without the date (a chunk the next one rebuilds, a failed metadata read) is skipped


def recorded_newest(instance: dg.DagsterInstance, key: dg.AssetKey) -> tuple[bool, date | None]:
    """(whether the asset was ever materialized or observed, the newest event day the latest event that
    recorded one holds)."""
    records = [*instance.fetch_materializations(key, limit=_LOOK_BACK_EVENTS).records,
               *instance.fetch_observations(key, limit=_LOOK_BACK_EVENTS).records]
    for record in sorted(records, key=lambda r: r.storage_id, reverse=True):
        event = record.asset_materialization or record.asset_observation
        value = event.metadata.get(NEWEST_EVENT_DATE) if event else None
        if value is not None:
            return True, date.fromisoformat(str(value.value))
    return bool(records), None


def evaluate(instance: dg.DagsterInstance, key: dg.AssetKey, settings: Settings, now: datetime) -> Freshness | None:
    """None while the asset was never built: nothing to be late yet."""
    seen, newest = recorded_newest(instance, key)
    if not seen:
        return None
    return verdict(key, newest, now, settings.data_freshness_warn_hours, settings.data_freshness_fail_hours)


def build_data_freshness_checks(settings: Settings) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        specs=[dg.AssetCheckSpec(DATA_FRESHNESS_CHECK, asset=key, description=_DESCRIPTION,
                                 metadata={RUNBOOK_METADATA_KEY: dg.MetadataValue.path(FRESHNESS)})
               for key in DATA_FRESHNESS_KEYS],
        name="data_freshness_checks", can_subset=True)
    def data_freshness_checks(context: dg.AssetCheckExecutionContext):
        now = utc_now()
        for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.to_user_string()):
            outcome = evaluate(context.instance, check_key.asset_key, settings, now)
            if outcome is None:  # selected without its asset, before it was ever built
                outcome = Freshness(check_key.asset_key, Level.FAIL, "never materialized", {})
            yield dg.AssetCheckResult(**outcome.fields())

    return data_freshness_checks

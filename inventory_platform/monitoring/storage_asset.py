"""The warehouse's storage as an asset of its own, with the disk-usage check declared on it.

Why a separate ["ops", "warehouse_storage"] asset rather than a check on a data table: disk usage is a
property of the whole warehouse, not of any one table. A failing disk check on a Gold table would send
the on-call engineer to debug Gold; here it lands on an asset whose page plots storage over time and
whose description and runbook are about disk. The warehouse_disk_sensor records its observations and
check results without a run; the check can also be executed from the UI to re-check after a cleanup.
"""


from dataclasses import dataclass

import dagster as dg

from inventory_platform.monitoring.disk_usage import DiskUsage, read_disk_usage
from inventory_platform.monitoring.levels import Level, level_for
from inventory_platform.monitoring.runbooks import DISK_SPACE, RUNBOOK_METADATA_KEY
from inventory_platform.settings import Settings

STORAGE_ASSET = dg.AssetKey(["ops", "warehouse_storage"])
DISK_CHECK = "disk_usage_within_thresholds"


def warehouse_storage_spec(warehouse_kind: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=STORAGE_ASSET,
        description=(
            "Storage the warehouse occupies and how full its volume is: the DuckDB file, write-ahead log "
            "and spill directory on their disk locally; Redshift managed storage against its capacity in "
            "production. Observed every few minutes by warehouse_disk_sensor (no run needed)."),
        kinds={"python", warehouse_kind},
        metadata={RUNBOOK_METADATA_KEY: dg.MetadataValue.path(DISK_SPACE)},
    )


DISK_CHECK_SPEC = dg.AssetCheckSpec(
    DISK_CHECK, asset=STORAGE_ASSET,
    description=("Evaluated only by warehouse_disk_sensor (every 5 min while the Dagster daemon runs, `make dev` "
                 "locally) or on demand. "
                 "Warns when the warehouse's storage is INVENTORY_DISK_WARN_PCT full and fails at "
                 f"INVENTORY_DISK_FAIL_PCT. Runbook: {DISK_SPACE}."),
)


@dataclass(frozen=True)
class DiskCheckOutcome:
    level: Level
    description: str
    metadata: dict

    @property
    def passed(self) -> bool:
        return self.level is Level.PASS

    @property
    def severity(self) -> dg.AssetCheckSeverity:
        return dg.AssetCheckSeverity.WARN if self.level is Level.WARN else dg.AssetCheckSeverity.ERROR

    def evaluation(self) -> dg.AssetCheckEvaluation:
        return dg.AssetCheckEvaluation(asset_key=STORAGE_ASSET, check_name=DISK_CHECK, passed=self.passed,
                                       severity=self.severity, description=self.description, metadata=self.metadata)

    def result(self) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(asset_key=STORAGE_ASSET, check_name=DISK_CHECK, passed=self.passed,
                                   severity=self.severity, description=self.description, metadata=self.metadata)


def usage_metadata(usage: DiskUsage) -> dict:
    return {"engine": usage.engine, "used_pct": usage.used_pct, "used_bytes": usage.used_bytes,
            "capacity_bytes": usage.capacity_bytes, "warehouse_bytes": usage.warehouse_bytes, **usage.details}


def evaluate_disk_usage(usage: DiskUsage | None, warn_pct: float, fail_pct: float,
                        error: Exception | None = None) -> DiskCheckOutcome:
    thresholds = {"warn_pct": warn_pct, "fail_pct": fail_pct, "runbook": DISK_SPACE}
    if usage is None:
        # Monitoring is blind: warn, so someone looks, without claiming the disk is full.
        return DiskCheckOutcome(Level.WARN, f"disk usage could not be read: {error}", thresholds)
    level = level_for(usage.used_pct, warn_pct, fail_pct)
    where = usage.details.get("path", "Redshift managed storage")
    return DiskCheckOutcome(
        level,
        f"{usage.used_pct:.1f}% used ({level.value}; warn at {warn_pct:g}%, fail at {fail_pct:g}%) for {where}",
        {**usage_metadata(usage), **thresholds},
    )


def measure(warehouse, settings: Settings) -> tuple[DiskUsage | None, DiskCheckOutcome]:
    try:
        usage = read_disk_usage(warehouse, settings)
    except Exception as exc:  # noqa: BLE001 - reported as the check's outcome
        return None, evaluate_disk_usage(None, settings.disk_warn_pct, settings.disk_fail_pct, exc)
    return usage, evaluate_disk_usage(usage, settings.disk_warn_pct, settings.disk_fail_pct)


def build_disk_check(settings: Settings) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(specs=[DISK_CHECK_SPEC], name="warehouse_disk_check", required_resource_keys={"warehouse"})
    def _disk_check(context: dg.AssetCheckExecutionContext):
        _, outcome = measure(context.resources.warehouse, settings)
        yield outcome.result()

    return _disk_check

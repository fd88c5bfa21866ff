"""Which runbook an alert points the on-call engineer to (paths relative to the repository root)."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from inventory_platform.lib.write_conflicts import is_write_conflict_message

DISK_SPACE = "ops_runbooks/runbook_disk_space.md"
SERIALIZATION = "ops_runbooks/runbook_serialization.md"
CDC_LAG = "ops_runbooks/runbook_cdc_lag.md"
FRESHNESS = "ops_runbooks/runbook_freshness.md"
DATA_CHECKS = "ops_runbooks/runbook_data_checks.md"
FAILED_RUN = FRESHNESS + "#a-run-failed"
ALL_RUNBOOKS = (DISK_SPACE, SERIALIZATION, CDC_LAG, FRESHNESS, DATA_CHECKS)

# An asset (or check) can name its runbook explicitly in its metadata; rules below cover the rest.
RUNBOOK_METADATA_KEY = "runbook"
_DISK_FULL_MARKERS = ("no space left on device", "disk full", "error: 1016", "could not extend file",
                      "out of disk space")


def _is_cdc(key: dg.AssetKey) -> bool:
    return any("cdc" in part or "stream" in part for part in key.path)


def _named(metadata: Mapping[str, object] | None) -> str | None:
    value = (metadata or {}).get(RUNBOOK_METADATA_KEY)  # a string or a text/path metadata value
    return str(getattr(value, "value", value)) if value else None


def runbook_for_freshness(key: dg.AssetKey, asset_metadata: Mapping[str, object] | None = None) -> str:
    return _named(asset_metadata) or (CDC_LAG if _is_cdc(key) else FRESHNESS)


def runbook_for_check(key: dg.AssetCheckKey, asset_metadata: Mapping[str, object] | None = None,
                      check_metadata: Mapping[str, object] | None = None) -> str:
    """The check's own `runbook` metadata first (the data_is_current checks name the freshness runbook),
    then its asset's, then the rules."""
    if named := _named(check_metadata) or _named(asset_metadata):
        return named
    return CDC_LAG if "lag" in key.name or _is_cdc(key.asset_key) else DATA_CHECKS


def runbook_for_run_failure(error_text: str) -> str:
    if is_write_conflict_message(error_text):
        return SERIALIZATION
    if any(marker in error_text.lower() for marker in _DISK_FULL_MARKERS):
        return DISK_SPACE
    return FAILED_RUN

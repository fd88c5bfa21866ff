"""Runbook links on each asset's catalog page, chosen by the same rules the alerts use
(inventory_platform/monitoring/runbooks.py), so the page and the alert point to the same document."""

from __future__ import annotations

from pathlib import PurePosixPath

import dagster as dg

from inventory_platform.monitoring.runbooks import DATA_CHECKS, RUNBOOK_METADATA_KEY, SERIALIZATION, runbook_for_freshness
from inventory_platform.settings import Settings


def runbooks_for(spec: dg.AssetSpec, settings: Settings) -> dict[str, str]:
    """Runbook (repository path) per topic; none when the asset names its own (`runbook` metadata)."""
    if RUNBOOK_METADATA_KEY in spec.metadata:
        return {}
    books = {"freshness": runbook_for_freshness(spec.key, spec.metadata), "data_checks": DATA_CHECKS}
    if spec.key.path[0] in ("silver", "gold") and "redshift" in spec.kinds:
        books["write_conflicts"] = SERIALIZATION  # dbt writes on Redshift can hit error 1023
    return books


def runbook_url(path: str, settings: Settings) -> str:
    """Where a runbook opens: the file on the repository's web host when INVENTORY_CODE_URL is set, else the
    runbook rendered by the dashboard that `make dev` serves beside the UI (dashboard/runbooks.py). Alerts
    link with the same URL (monitoring/alert_sensor.py)."""
    if settings.code_url:
        return f"{settings.code_url.rstrip('/')}/blob/{settings.code_branch}/{path}"
    return f"{settings.dashboard_url}/runbook?doc={PurePosixPath(path).stem}"


def runbook_link(path: str, settings: Settings) -> dg.MetadataValue:
    """A link that opens (runbook_url)."""
    return dg.MetadataValue.url(runbook_url(path, settings))


def runbook_metadata(spec: dg.AssetSpec, settings: Settings) -> dict[str, dg.MetadataValue]:
    # `runbook/<topic>` keys: the plain `runbook` key would redirect every alert of the asset (see above).
    return {f"runbook/{topic}": runbook_link(path, settings) for topic, path in runbooks_for(spec, settings).items()}

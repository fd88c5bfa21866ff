"""Which operations runbook (ops_runbooks/*.md) applies to an asset, linked from its catalog page."""

from __future__ import annotations

import dagster as dg

from inventory_platform.settings import REPO_ROOT, Settings

RUNBOOK_DIR = "ops_runbooks"
FRESHNESS = "runbook_freshness.md"  # every asset has a freshness policy
DISK_SPACE = "runbook_disk_space.md"  # append-only Bronze is what fills a disk
SERIALIZATION = "runbook_serialization.md"  # concurrent writers on Redshift (error 1023)
CDC_LAG = "runbook_cdc_lag.md"  # assets fed by the Kinesis CDC stream


def runbooks_for(spec: dg.AssetSpec, settings: Settings) -> dict[str, str]:
    """Runbook file per topic for one asset."""
    layer = spec.key.path[0]
    books = {"freshness": FRESHNESS}
    if layer == "bronze":
        books["disk_space"] = DISK_SPACE
    if layer in ("silver", "gold") and not settings.is_local:
        books["write_conflicts"] = SERIALIZATION
    if "kinesis" in spec.kinds:
        books["cdc_lag"] = CDC_LAG
    return books


def runbook_link(file_name: str, settings: Settings) -> dg.MetadataValue:
    """A clickable URL when the repository's web address is configured, else the path in this checkout."""
    if settings.code_url:
        return dg.MetadataValue.url(f"{settings.code_url.rstrip('/')}/blob/{settings.code_branch}/{RUNBOOK_DIR}/{file_name}")
    return dg.MetadataValue.path(str(REPO_ROOT / RUNBOOK_DIR / file_name))


def runbook_metadata(spec: dg.AssetSpec, settings: Settings) -> dict[str, dg.MetadataValue]:
    return {f"runbook/{topic}": runbook_link(name, settings) for topic, name in runbooks_for(spec, settings).items()}

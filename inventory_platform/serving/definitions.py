"""What serving adds to the code location: the published copy of Gold readers open locally. On Redshift readers
query Gold itself (MVCC: they never wait for a writer), so nothing is added there."""

from __future__ import annotations

import dagster as dg

from inventory_platform.serving.assets import build_published_gold_asset
from inventory_platform.settings import Settings


def build(settings: Settings) -> dg.Definitions:
    if settings.warehouse_kind != "duckdb":
        return dg.Definitions()
    return dg.Definitions(assets=[build_published_gold_asset(settings)])

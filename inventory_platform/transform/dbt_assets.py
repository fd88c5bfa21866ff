"""Silver and Gold: every dbt model is an asset and every dbt test an asset check, in one multi-asset whose
step runs dbt (transform/dbt_build.py, imported when the step runs: it imports dbt-core)."""

import json

import dagster as dg
from pydantic import Field

from inventory_platform.settings import DBT_PROJECT_DIR, Settings
from inventory_platform.transform.dbt_cli import DbtCli
from inventory_platform.transform.dbt_specs import dbt_layer, dbt_specs
from inventory_platform.transform.materialization_metadata import ExtraMetadata

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


class DbtBuildConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Rebuild incremental models (the month-end snapshot) from scratch: needed after their "
                    "columns change, since they refuse schema changes (docs/late_arriving.md).")


def load_manifest() -> dict:
    if not MANIFEST_PATH.exists():
        raise FileNotFoundError(
            f"{MANIFEST_PATH} is missing: the dbt manifest is built at setup, not at import. Run `make manifest`."
        )
    return json.loads(MANIFEST_PATH.read_text())


def model_keys(manifest: dict, layer: str) -> list[dg.AssetKey]:
    """The asset keys of the dbt models of one layer ([layer, name])."""
    return sorted(dg.AssetKey([layer, node["name"]]) for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and dbt_layer(node) == layer)


def build_dbt_assets(settings: Settings, extra_metadata: ExtraMetadata, manifest: dict) -> dg.AssetsDefinition:
    """`extra_metadata`: metadata computed from the warehouse for particular assets after each build."""
    specs, check_specs = dbt_specs(manifest, settings.warehouse_kind, DBT_PROJECT_DIR)

    @dg.multi_asset(name="dbt_silver_gold", specs=specs, check_specs=check_specs, can_subset=True,
                    pool="duckdb_writer")
    # warehouse: DuckDBWarehouse or RedshiftWarehouse, whichever the engine switch chose.
    def _dbt_silver_gold(context: dg.AssetExecutionContext, dbt: DbtCli, config: DbtBuildConfig,
                         warehouse: dg.ConfigurableResource):
        """One `dbt build`, then, while the ledger's pass has chunks left (docs/late_arriving.md "Chunks"),
        one more build of the ledger's chain per chunk. A daily run is a one-chunk pass: one invocation."""
        from inventory_platform.transform.dbt_build import build_silver_gold

        yield from build_silver_gold(context, dbt, warehouse, manifest, settings, extra_metadata,
                                     full_refresh=config.full_refresh)

    return _dbt_silver_gold


def dbt_resource(settings: Settings) -> DbtCli:
    return DbtCli(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), target=settings.dbt_target,
                  in_process=settings.dbt_in_process)

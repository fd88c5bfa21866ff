"""Silver and Gold: every dbt model is an asset and every dbt test an asset check."""


import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from pydantic import Field

from inventory_platform.dagster_adapter import InventoryDbtCli
from inventory_platform.settings import DBT_PROJECT_DIR, Settings
from inventory_platform.transform.check_failures import dbt_artifact, explained_check_results, why_dbt_failed
from inventory_platform.transform.dbt_cli import dbt_executable, keep_partial_parse
from inventory_platform.transform.dbt_translator import InventoryDbtTranslator
from inventory_platform.transform.materialization_metadata import ExtraMetadata, with_table_metadata

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


class DbtBuildConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Rebuild incremental models (the month-end snapshot) from scratch: needed after their "
                    "columns change, since they refuse schema changes (docs/late_arriving.md).")


def dbt_project(settings: Settings) -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=settings.dbt_target)


def build_dbt_assets(settings: Settings, extra_metadata: ExtraMetadata) -> dg.AssetsDefinition:
    """`extra_metadata`: metadata computed from the warehouse for particular assets after each build."""
    if not MANIFEST_PATH.exists():
        raise FileNotFoundError(
            f"{MANIFEST_PATH} is missing: the dbt manifest is built at setup, not at import. Run `make manifest`."
        )
    translator = InventoryDbtTranslator(warehouse_kind=settings.warehouse_kind)

    @dbt_assets(manifest=MANIFEST_PATH, project=dbt_project(settings), dagster_dbt_translator=translator,
                name="dbt_silver_gold", pool="duckdb_writer")
    # warehouse: DuckDBWarehouse or RedshiftWarehouse, whichever the engine switch chose.
    def _dbt_silver_gold(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig,
                         warehouse: dg.ConfigurableResource):
        args = ["build", *(["--full-refresh"] if config.full_refresh else [])]
        # dbt-duckdb fails at once if another process writes: queue on the warehouse writer lock first.
        with warehouse.exclusive_writer():
            invocation = dbt.cli(args, context=context, raise_on_error=False)
            # Held until dbt exits, then recorded with row counts (see materialization_metadata).
            events = list(invocation.stream())
        keep_partial_parse(invocation)
        run_results = dbt_artifact(invocation, "run_results.json")
        events = explained_check_results(events, dbt_artifact(invocation, "manifest.json"), run_results,
                                         warehouse.query, context.log.warning)
        yield from with_table_metadata(context, list(events), warehouse.query, extra_metadata)
        if not invocation.is_successful():
            # The run's failure (UI, alert, CLI) names the cause and what dbt skipped (Gold, typically),
            # not dbt's exit code, which is kept as metadata.
            raise dg.Failure(description=why_dbt_failed(run_results),
                             metadata={"dbt_error": dg.MetadataValue.text(str(invocation.get_error()))})

    return _dbt_silver_gold


def dbt_resource(settings: Settings) -> DbtCliResource:
    return InventoryDbtCli(project_dir=dbt_project(settings), profiles_dir=str(DBT_PROJECT_DIR),
                          target=settings.dbt_target, dbt_executable=dbt_executable())

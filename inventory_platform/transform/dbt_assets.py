"""Silver and Gold: every dbt model is an asset and every dbt test an asset check."""


from contextlib import nullcontext

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from pydantic import Field

from inventory_platform.lib.engine import warehouse_kind
from inventory_platform.lib.writer_lock import exclusive_writer
from inventory_platform.settings import DBT_PROJECT_DIR, Settings
from inventory_platform.transform.check_failures import dbt_artifact, explained_check_results, why_dbt_failed
from inventory_platform.transform.dbt_cli import InventoryDbtCli, dbt_executable, keep_partial_parse
from inventory_platform.transform.dbt_translator import InventoryDbtTranslator
from inventory_platform.transform.materialization_metadata import with_table_metadata

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


class DbtBuildConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Rebuild incremental models (the month-end snapshot) from scratch: needed after their "
                    "columns change, since they refuse schema changes (docs/late_arriving.md).")


def dbt_project(settings: Settings) -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=settings.dbt_target)


def build_dbt_assets(settings: Settings) -> dg.AssetsDefinition:
    if not MANIFEST_PATH.exists():
        raise FileNotFoundError(
            f"{MANIFEST_PATH} is missing: the dbt manifest is built at setup, not at import. Run `make manifest`."
        )
    translator = InventoryDbtTranslator(warehouse_kind=warehouse_kind(settings))

    @dbt_assets(manifest=MANIFEST_PATH, project=dbt_project(settings), dagster_dbt_translator=translator,
                name="dbt_silver_gold", pool="duckdb_writer")
    # warehouse: DuckDBWarehouse or RedshiftWarehouse, whichever the engine switch chose.
    def _dbt_silver_gold(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig,
                         warehouse: dg.ConfigurableResource):
        args = ["build", *(["--full-refresh"] if config.full_refresh else [])]
        with writer_lock(settings):
            invocation = dbt.cli(args, context=context, raise_on_error=False)
            # Held until dbt exits, then recorded with row counts (see materialization_metadata).
            events = list(invocation.stream())
        keep_partial_parse(invocation)
        run_results = dbt_artifact(invocation, "run_results.json")
        events = explained_check_results(events, dbt_artifact(invocation, "manifest.json"), run_results,
                                         warehouse.query, context.log.warning)
        yield from with_table_metadata(context, list(events), warehouse.query)
        if not invocation.is_successful():
            # The run's failure (UI, alert, CLI) names the cause and what dbt skipped (Gold, typically),
            # not dbt's exit code, which is kept as metadata.
            raise dg.Failure(description=why_dbt_failed(run_results),
                             metadata={"dbt_error": dg.MetadataValue.text(str(invocation.get_error()))})

    return _dbt_silver_gold


def writer_lock(settings: Settings):
    """dbt-duckdb fails at once if another process writes: queue on the warehouse writer lock first."""
    return exclusive_writer(settings.duckdb_path) if settings.is_local else nullcontext()


def dbt_resource(settings: Settings) -> DbtCliResource:
    return InventoryDbtCli(project_dir=dbt_project(settings), profiles_dir=str(DBT_PROJECT_DIR),
                          target=settings.dbt_target, dbt_executable=dbt_executable())

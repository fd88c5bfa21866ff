"""Silver and Gold: every dbt model is an asset and every dbt test an asset check."""

import json
from collections.abc import Collection

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from pydantic import Field

from inventory_platform.dagster_adapter import InventoryDbtCli
from inventory_platform.settings import DBT_PROJECT_DIR, Settings
from inventory_platform.transform.check_failures import dbt_artifact, explained_check_results, why_dbt_failed
from inventory_platform.transform.dbt_cli import dbt_executable, finish_invocation
from inventory_platform.transform.dbt_translator import InventoryDbtTranslator, dbt_layer
from inventory_platform.transform.ledger_pass import WINDOW, Chunk, chunk_models, latest_chunk
from inventory_platform.transform.materialization_metadata import ExtraMetadata, with_table_metadata

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
# A guard against a pass that never ends: `full` (48 months, ~1 month a chunk) needs about 50.
MAX_CHUNKS = 500


class DbtBuildConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Rebuild incremental models (the month-end snapshot) from scratch: needed after their "
                    "columns change, since they refuse schema changes (docs/late_arriving.md).")


def dbt_project(settings: Settings) -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=settings.dbt_target)


def load_manifest() -> dict:
    if not MANIFEST_PATH.exists():
        raise FileNotFoundError(
            f"{MANIFEST_PATH} is missing: the dbt manifest is built at setup, not at import. Run `make manifest`."
        )
    return json.loads(MANIFEST_PATH.read_text())


def model_keys(manifest: dict, layer: str) -> list[dg.AssetKey]:
    """The asset keys of the dbt models of one layer (the translator's [layer, name])."""
    return sorted(dg.AssetKey([layer, node["name"]]) for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and dbt_layer(node) == layer)


def build_dbt_assets(settings: Settings, extra_metadata: ExtraMetadata) -> dg.AssetsDefinition:
    """`extra_metadata`: metadata computed from the warehouse for particular assets after each build."""
    manifest = load_manifest()
    translator = InventoryDbtTranslator(warehouse_kind=settings.warehouse_kind)
    chunk_vars = ["--vars", json.dumps({"ledger_chunk_rows": settings.ledger_chunk_rows})] \
        if settings.ledger_chunk_rows else []

    @dbt_assets(manifest=MANIFEST_PATH, project=dbt_project(settings), dagster_dbt_translator=translator,
                name="dbt_silver_gold", pool="duckdb_writer")
    # warehouse: DuckDBWarehouse or RedshiftWarehouse, whichever the engine switch chose.
    def _dbt_silver_gold(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig,
                         warehouse: dg.ConfigurableResource):
        """One `dbt build`, then, while the ledger's pass has chunks left (docs/late_arriving.md "Chunks"),
        one more build of the ledger's chain per chunk. A daily run is a one-chunk pass: one invocation."""
        chain = chunk_models(manifest, (key.path[-1] for key in context.selected_asset_keys))
        args = ["build", *(["--full-refresh"] if config.full_refresh else []), *chunk_vars]
        invocation, events = _run_dbt(dbt, args, warehouse, context=context)
        chunk = latest_chunk(warehouse.query, _window_schema(context)) if chain else None
        chunks = 1
        # The chain's tables in a chunk that is not the pass's last are rebuilt by the next one: their row
        # counts, column types and charts are recorded with the last (48 chunks at `full`).
        chain_keys = {key for key in context.selected_asset_keys if key.path[-1] in chain}
        yield from _explained(context, invocation, events, warehouse, extra_metadata, chunk,
                              chain_keys if _another_chunk_follows(invocation, chunk, chunks) else ())
        _fail_unless_successful(invocation, chunk)
        while chunk is not None and not chunk.pass_complete:
            if not chunk.done or chunks >= MAX_CHUNKS:
                raise dg.Failure(description=f"The ledger pass stopped at {chunk.days()}: " + (
                    "dbt succeeded but did not mark the chunk done (int_ledger_chunk_done)" if not chunk.done
                    else f"more than {MAX_CHUNKS} chunks; raise INVENTORY_CHUNK_ROWS"))
            # Dagster takes each asset's Output (and each check's result) once a step: the chunks after the
            # first are recorded as materializations and check evaluations of the same assets.
            invocation, events = _run_dbt(dbt, ["build", "--select", " ".join(chain), *chunk_vars], warehouse,
                                          manifest=manifest, dagster_dbt_translator=translator,
                                          project=dbt_project(settings))
            chunk = latest_chunk(warehouse.query, _window_schema(context))
            chunks += 1
            for event in _explained(context, invocation, events, warehouse, extra_metadata, chunk,
                                    chain_keys if _another_chunk_follows(invocation, chunk, chunks) else ()):
                if isinstance(event, dg.AssetCheckEvaluation):
                    context.log_event(event)
                else:
                    yield event
            _fail_unless_successful(invocation, chunk)
        if chunks > 1:
            context.log.info(f"The ledger pass completed in {chunks} chunks, the last {chunk.days()}.")

    return _dbt_silver_gold


def _run_dbt(dbt: DbtCliResource, args: list[str], warehouse: dg.ConfigurableResource,
             project: DbtProject | None = None, **cli) -> tuple:
    """One dbt invocation and its events; `cli`: the step's context, or (for a chunk after the first,
    which selects its own models) the manifest and translator, with `project` for code references."""
    # dbt-duckdb fails at once if another process writes: queue on the warehouse writer lock first. Held
    # per invocation, so writers waiting (Bronze loads) get in between chunks; new Bronze then starts a
    # new pass from the days it affects.
    with warehouse.exclusive_writer():
        invocation = dbt.cli(args, raise_on_error=False, **cli)
        if project is not None:
            invocation.project = project
        # Held until dbt exits, then recorded with row counts (see materialization_metadata).
        events = list(invocation.stream())
    finish_invocation(invocation)
    return invocation, events


def _another_chunk_follows(invocation, chunk: Chunk | None, chunks: int) -> bool:
    """Whether the step runs dbt again after this invocation (the loop below `_dbt_silver_gold`'s first build)."""
    return (invocation.is_successful() and chunk is not None and chunk.done and not chunk.pass_complete
            and chunks < MAX_CHUNKS)


def _window_schema(context: dg.AssetExecutionContext) -> str:
    return next(key.path[0] for key in context.assets_def.keys if key.path[-1] == WINDOW)


def _explained(context: dg.AssetExecutionContext, invocation, events: list, warehouse: dg.ConfigurableResource,
               extra_metadata: ExtraMetadata, chunk: Chunk | None, rebuilt_later: Collection[dg.AssetKey]) -> list:
    """dbt's events with failed checks described and row counts added (but for `rebuilt_later`); with the
    chunk in the metadata."""
    run_results = dbt_artifact(invocation, "run_results.json")
    # Chunks after the first run without the step's context: their checks come as evaluations.
    evaluations = [e for e in events if isinstance(e, dg.AssetCheckEvaluation)]
    events = [_as_result(e) if isinstance(e, dg.AssetCheckEvaluation) else e for e in events]
    events = explained_check_results(events, dbt_artifact(invocation, "manifest.json"), run_results,
                                     warehouse.query, context.log.warning)
    events = list(with_table_metadata(context, list(events), warehouse.query, extra_metadata, rebuilt_later))
    tag = {"ledger_chunk": dg.MetadataValue.text(chunk.days())} if chunk is not None else {}
    events = [e.with_metadata({**e.metadata, **tag}) if isinstance(e, dg.Output | dg.AssetMaterialization) else e
              for e in events]
    return [_as_evaluation(e, tag) if evaluations and isinstance(e, dg.AssetCheckResult) else e for e in events]


def _as_result(evaluation: dg.AssetCheckEvaluation) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(asset_key=evaluation.asset_key, check_name=evaluation.check_name,
                               passed=evaluation.passed, metadata=evaluation.metadata,
                               severity=evaluation.severity, description=evaluation.description)


def _as_evaluation(result: dg.AssetCheckResult, tag: dict) -> dg.AssetCheckEvaluation:
    return dg.AssetCheckEvaluation(asset_key=result.asset_key, check_name=result.check_name, passed=result.passed,
                                   metadata={**result.metadata, **tag}, severity=result.severity,
                                   description=result.description)


def _fail_unless_successful(invocation, chunk: Chunk | None) -> None:
    if invocation.is_successful():
        return
    # The run's failure (UI, alert, CLI) names the cause, what dbt skipped (Gold, typically) and the ledger
    # chunk whose days a rerun restates again, not dbt's exit code, which is kept as metadata.
    where = f" (ledger chunk {chunk.days()}; a rerun resumes with it)" if chunk and not chunk.done else ""
    raise dg.Failure(description=why_dbt_failed(dbt_artifact(invocation, "run_results.json")) + where,
                     metadata={"dbt_error": dg.MetadataValue.text(str(invocation.get_error()))})


def dbt_resource(settings: Settings) -> DbtCliResource:
    return InventoryDbtCli(project_dir=dbt_project(settings), profiles_dir=str(DBT_PROJECT_DIR),
                          target=settings.dbt_target, dbt_executable=dbt_executable())

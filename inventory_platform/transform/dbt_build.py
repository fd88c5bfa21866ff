"""The dbt step of Silver and Gold: one `dbt build` of the step's selection, then, while the ledger's pass has
chunks left (docs/late_arriving.md "Chunks"), one more build of the ledger's chain per chunk. A daily run is a
one-chunk pass: one invocation. Imported when the step runs, never at code-location load (it imports dbt-core)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator

import dagster as dg
from dagster_dbt import DbtProject

from inventory_platform.dagster_adapter import dbt_step_selection, stream_in_step
from inventory_platform.settings import DBT_PROJECT_DIR, Settings
from inventory_platform.transform.check_failures import dbt_artifact, explained_check_results, why_dbt_failed
from inventory_platform.transform.dbt_cli import DbtCli, finish_invocation
from inventory_platform.transform.dbt_translator import InventoryDbtTranslator
from inventory_platform.transform.ledger_pass import WINDOW, Chunk, chunk_models, latest_chunk
from inventory_platform.transform.materialization_metadata import ExtraMetadata, with_table_metadata

# A guard against a pass that never ends: `full` (48 months, ~1 month a chunk) needs about 50.
MAX_CHUNKS = 500


def build_silver_gold(context: dg.AssetExecutionContext, dbt: DbtCli, warehouse: dg.ConfigurableResource,
                      manifest: dict, settings: Settings, extra_metadata: ExtraMetadata, full_refresh: bool
                      ) -> Iterator:
    translator = InventoryDbtTranslator(warehouse_kind=settings.warehouse_kind)
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=settings.dbt_target)
    chunk_vars = ["--vars", json.dumps({"ledger_chunk_rows": settings.ledger_chunk_rows})] \
        if settings.ledger_chunk_rows else []

    def run(args: list[str], step_context: dg.AssetExecutionContext | None) -> tuple:
        return _run_dbt(dbt, [*args, *chunk_vars], warehouse, manifest, translator, project, step_context)

    chain = chunk_models(manifest, (key.path[-1] for key in context.selected_asset_keys))
    invocation, events = run(["build", *(["--full-refresh"] if full_refresh else []),
                              *dbt_step_selection(context, manifest, translator)], context)
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
        invocation, events = run(["build", "--select", " ".join(chain)], None)
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


def _run_dbt(dbt: DbtCli, args: list[str], warehouse: dg.ConfigurableResource, manifest: dict,
             translator: InventoryDbtTranslator, project: DbtProject,
             context: dg.AssetExecutionContext | None) -> tuple:
    """One dbt invocation and its events: the step's outputs and check results with the step's `context`,
    materializations and check evaluations without (a chunk after the first, which selects its own models)."""
    # dbt-duckdb fails at once if another process writes: queue on the warehouse writer lock first. Held
    # per invocation, so writers waiting (Bronze loads) get in between chunks; new Bronze then starts a
    # new pass from the days it affects.
    with warehouse.exclusive_writer():
        invocation = dbt.cli(args, raise_on_error=False, manifest=manifest, dagster_dbt_translator=translator)
        # Held until dbt exits, then recorded with row counts (see materialization_metadata).
        events = stream_in_step(invocation, context, project)
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

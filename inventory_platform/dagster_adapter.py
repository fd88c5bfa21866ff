"""The one module that relies on Dagster and dagster-dbt internals; tests/unit/test_dagster_adapter.py pins each.

- The clock: Dagster stamps events with `dagster._time`, which its test utility `freeze_time` moves; checks
  and sensors that compare data with the clock (monitoring/data_freshness.py) read the same one.
- Single-run backfills over a range of daily partitions are requested with two run tags that Dagster
  documents but exports only from `dagster._core.storage.tags`; `RunRequest` and `execute_in_process`
  take a single `partition_key` only.
- dagster-dbt's DbtCliResource, before every first `cli()` of a run (no public switch in dagster-dbt 0.29):
  - runs `dbt --version` in a subprocess to learn which dbt it drives (6 s on a quiet machine, 15 s under
    load: the CLI imports all of dbt-core). The dbt it runs is the one installed beside this interpreter,
    whose version the package metadata states;
  - builds an in-process dbt adapter (5 s: it loads every macro), used only by fetch_row_counts and
    fetch_column_metadata. This project records row counts itself (transform/materialization_metadata.py).
- The dbt assets are a plain multi_asset built from the manifest (transform/dbt_specs.py), not `@dbt_assets`,
  so that loading the code location does not import dagster-dbt and dbt-core (~2 s). Their step selects what
  it runs as dagster-dbt's own steps do (`get_subset_selection_for_context`, from `dagster_dbt.asset_utils`),
  and gives the invocation the step's context before streaming it (DbtCliInvocation's `context` and
  `project` fields), so dbt's results become the step's outputs and check results. Everything from
  dagster-dbt is imported inside the functions, when dbt runs.
- Runs started from the CLI (`inventory-platform materialize`) must file under this code location, or the UI
  leaves them out of the Overview timeline and the job's run list (it drops runs without a repository
  origin). `execute_in_process` records none and takes none, so `execute_in_code_location` creates the
  run with one (`create_run_for_job(remote_job_origin=…)`, origin classes from `dagster._core.remote_origin`)
  and executes it in this process (`dagster._core.execution.api.execute_run`), as `execute_in_process` does.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import sys
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
from dagster._core.execution.api import execute_run
from dagster._core.remote_origin import ManagedGrpcPythonEnvCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from inventory_platform.settings import REPO_ROOT

PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
CODE_LOCATION = "inventory_platform"  # location_name in workspace.yaml, the code location `make dev` serves
DEFINITIONS_MODULE = "inventory_platform.definitions"


def partition_range_tags(start: str, end: str) -> dict[str, str]:
    """Run tags that make one run cover the daily partitions start..end (the assets' single-run backfill policy)."""
    return {PARTITION_RANGE_START_TAG: start, PARTITION_RANGE_END_TAG: end}


def utc_now():
    """Now by Dagster's clock: a timezone-aware UTC datetime."""
    from dagster._time import get_current_datetime

    return get_current_datetime()


def dbt_cli_resource(**fields: Any):
    """dagster-dbt's DbtCliResource without the two start-up costs above."""
    return inventory_dbt_cli_class()(**fields)


@functools.cache
def inventory_dbt_cli_class() -> type:
    from dagster_dbt import DbtCliResource
    from packaging import version

    class InventoryDbtCli(DbtCliResource):
        @functools.cached_property
        def _cli_version(self) -> version.Version:
            return version.parse(importlib.metadata.version("dbt-core"))

        def _initialize_dbt_core_adapter(self, args):
            return None  # dagster-dbt then runs dbt without an adapter handle, as it does when one fails to build

    return InventoryDbtCli


def dbt_step_selection(context: dg.AssetExecutionContext, manifest: Mapping[str, Any], translator) -> list[str]:
    """dbt arguments that run the step's selected models and tests, as a step of `@dbt_assets` selects them:
    `--select fqn:*` when the step runs every asset and check."""
    from dagster_dbt.asset_utils import get_subset_selection_for_context

    selection, indirect = get_subset_selection_for_context(
        context=context, manifest=manifest, select="fqn:*", exclude=None, selector=None,
        dagster_dbt_translator=translator, current_dbt_indirect_selection_env=os.getenv("DBT_INDIRECT_SELECTION"))
    return [*selection, *(["--indirect-selection", indirect] if indirect else [])]


def stream_in_step(invocation, context: dg.AssetExecutionContext | None, project) -> list:
    """The invocation's Dagster events: with a step's `context`, Outputs and AssetCheckResults of the step's
    selection (as `dbt.cli(..., context=context)` gives them); without, AssetMaterializations and
    AssetCheckEvaluations. `project` gives the events their code references."""
    invocation.context = context
    invocation.project = project
    return list(invocation.stream())


def code_location_job_origin(job_name: str) -> RemoteJobOrigin:
    """The origin the UI gives a run it launches of job_name from this code location (workspace.yaml)."""
    target = LoadableTargetOrigin(executable_path=sys.executable, module_name=DEFINITIONS_MODULE,
                                  working_directory=str(REPO_ROOT))
    location = ManagedGrpcPythonEnvCodeLocationOrigin(target, location_name=CODE_LOCATION)
    return RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME).get_job_origin(job_name)


def execute_in_code_location(job_def: dg.JobDefinition, instance: dg.DagsterInstance, *,
                             run_config: Mapping[str, object], tags: Mapping[str, str]) -> dg.JobExecutionResult:
    """Execute job_def in this process, like `execute_in_process` (in-process executor, errors recorded in the
    result rather than raised), in a run the UI files under this code location and job."""
    job = job_def.as_ephemeral_job(resource_defs={}, input_values={})
    run = instance.create_run_for_job(job, run_config=run_config, tags={**job_def.run_tags, **tags},
                                      remote_job_origin=code_location_job_origin(job_def.name))
    return execute_run(InMemoryJob(job), run, instance, raise_on_error=False)

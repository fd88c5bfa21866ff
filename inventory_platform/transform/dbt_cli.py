"""The dbt CLI resource, without two start-up costs this project does not need, and with partial parsing
carried from one dbt invocation to the next.

dagster-dbt's DbtCliResource, before every first `cli()` of a run:
- runs `dbt --version` in a subprocess to learn which dbt it drives (6 s here: the CLI imports all of
  dbt-core). The dbt it runs is the one installed beside this interpreter, whose version the package
  metadata states;
- builds an in-process dbt adapter (5 s: it loads every macro), used only by fetch_row_counts and
  fetch_column_metadata. This project records row counts itself (materialization_metadata.py).

dbt re-parses the whole project (3-4 s) unless the target folder holds a partial_parse.msgpack made
for the same target and connection. dagster-dbt copies `target/partial_parse.msgpack` into each
invocation's own target folder but never copies the result back, so every run re-parsed in full.
`keep_partial_parse` does that after each invocation. dbt still decides whether it can use the
file (it re-parses after any change of project files, vars, target or profile).
"""

import importlib.metadata
import os
import shutil
import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliInvocation, DbtCliResource
from packaging import version

from inventory_platform.settings import DBT_PROJECT_DIR

PARTIAL_PARSE = "partial_parse.msgpack"


class InventoryDbtCli(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None  # dagster-dbt then runs dbt without an adapter handle, as it does when one fails to build


def keep_partial_parse(invocation: DbtCliInvocation) -> None:
    """Make this invocation's parse the starting point of the next one (atomically: runs may overlap)."""
    produced = invocation.target_path / PARTIAL_PARSE
    if not produced.exists():
        return
    shared = DBT_PROJECT_DIR / "target" / PARTIAL_PARSE
    staged = shared.with_name(f".{PARTIAL_PARSE}.{os.getpid()}")
    shutil.copyfile(produced, staged)
    os.replace(staged, shared)


def dbt_executable() -> str:
    """The dbt installed beside this interpreter, so PATH need not include the virtualenv."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"

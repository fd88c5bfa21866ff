"""Running dbt: the code location's dbt resource, the executable beside this interpreter, and partial parsing
carried from one dbt invocation to the next. (The resource class that skips dagster-dbt's start-up costs is in
inventory_platform/dagster_adapter.py.)

dbt re-parses the whole project (3-4 s) unless the target folder holds a partial_parse.msgpack made
for the same target and connection. dagster-dbt copies `target/partial_parse.msgpack` into each
invocation's own target folder but never copies the result back, so every run re-parsed in full.
`keep_partial_parse` does that after each invocation. dbt still decides whether it can use the
file (it re-parses after any change of project files, vars, target or profile).

dagster-dbt also never removes those per-invocation folders (~5 MB each: manifest, run results, compiled
SQL); a deployment makes several a day and a chunked first build one a chunk. `prune_invocation_folders`
keeps the newest ones for debugging and removes the rest. dbt in this process (transform/dbt_in_process.py)
names its folders `in-process-<pid>-*`, so they are removed sooner: a long-lived caller such as the CDC
applier makes one a refresh, ~280 an hour (~2 GB), while only the newest of a process can still be in use.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from inventory_platform.dagster_adapter import dbt_cli_resource
from inventory_platform.lib.processes import process_alive
from inventory_platform.settings import DBT_PROJECT_DIR

if TYPE_CHECKING:
    from dagster_dbt import DbtCliInvocation

PARTIAL_PARSE = "partial_parse.msgpack"
KEPT_INVOCATION_FOLDERS = 50
# Never a folder this young: another process's invocation may still be writing or reading it.
_MIN_AGE_S = 3600
# Of this process's in-process invocations (one at a time), the newest kept; those of a process gone, none.
KEPT_OWN_IN_PROCESS_FOLDERS = 3
IN_PROCESS_PREFIX = "in-process-"


class DbtCli(dg.ConfigurableResource):
    """The code location's dbt resource ("dbt"): dagster-dbt's DbtCliResource, made when dbt runs, so that
    loading the code location does not import dagster-dbt and dbt-core (transform/dbt_specs.py)."""

    project_dir: str
    profiles_dir: str
    target: str
    # dbt in this process (transform/dbt_in_process.py) rather than a dbt process per command.
    in_process: bool = True

    def cli(self, args: Sequence[str], **kwargs) -> DbtCliInvocation:
        if self.in_process:
            return _in_process_dbt(self.project_dir, self.profiles_dir, self.target).cli(list(args), **kwargs)
        return dbt_cli_resource(project_dir=self.project_dir, profiles_dir=self.profiles_dir, target=self.target,
                                dbt_executable=dbt_executable()).cli(list(args), **kwargs)


@functools.cache
def _in_process_dbt(project_dir: str, profiles_dir: str, target: str):
    from inventory_platform.transform.dbt_in_process import InProcessDbt

    return InProcessDbt(Path(project_dir), Path(profiles_dir), target)


def finish_invocation(invocation: DbtCliInvocation) -> None:
    """What every dbt invocation of the platform does when dbt has exited."""
    keep_partial_parse(invocation.target_path)
    prune_invocation_folders()


def prune_invocation_folders(keep: int = KEPT_INVOCATION_FOLDERS) -> list[Path]:
    """Remove the invocation folders under target/ beyond the newest `keep` that are older than an hour, and
    the in-process ones no invocation can still use: a finished process's, and this process's beyond its
    newest KEPT_OWN_IN_PROCESS_FOLDERS."""
    target = DBT_PROJECT_DIR / "target"
    aged = sorted(((mtime, p) for p in (target.iterdir() if target.is_dir() else ())
                   if p.is_dir() and (mtime := _mtime(p)) is not None), reverse=True)
    cutoff = time.time() - _MIN_AGE_S
    own = [p for _, p in aged if _in_process_pid(p) == os.getpid()]
    removed = [p for mtime, p in aged[keep:] if mtime < cutoff]
    removed += [p for _, p in aged if p not in removed and (
        p in own[KEPT_OWN_IN_PROCESS_FOLDERS:] or _in_process_pid(p) not in (None, os.getpid()) and
        not process_alive(_in_process_pid(p)))]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def _in_process_pid(folder: Path) -> int | None:
    """The pid in an in-process invocation folder's name (`in-process-<pid>-<id>`), else None."""
    pid = folder.name.removeprefix(IN_PROCESS_PREFIX).split("-")[0] if folder.name.startswith(IN_PROCESS_PREFIX) else ""
    return int(pid) if pid.isdigit() else None


def _mtime(path: Path) -> float | None:
    """None for a folder gone meanwhile (another process pruning at the same moment)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def keep_partial_parse(target_path: Path) -> None:
    """Make the parse a dbt command left in `target_path` the starting point of the next one (atomically:
    runs may overlap)."""
    produced = target_path / PARTIAL_PARSE
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

"""dbt in this process (Settings.dbt_in_process, the default): no dbt process per command.

A `dbt build` in its own process costs 4-8 s before its first model on two cores: it imports dbt-core and
its adapter again (~3 s; the run's process has most of it imported already, through dagster-dbt), and loads
the partially parsed project. `InProcessDbt` parses the project on its first call and then runs each command
with dbt-core's programmatic runner (`dbtRunner`) on that manifest: a run pays the parse once however many
commands it runs, and a long-lived caller (the CDC applier, cdc/applier.py) once for its life.

`cli()` returns what dagster-dbt's `DbtCliResource.cli()` returns, a `DbtCliInvocation`, finished: the
events dbt emitted (the JSON lines `dbt --log-format json` prints) stand in for the process's stdout. So
the step code (transform/dbt_build.py) turns them into the same Outputs, check results, failures and
artifacts whichever way dbt ran.

dbt keeps global state (its flags, adapters and event manager): one invocation at a time per process.
dbt-duckdb keeps its DuckDB connection open between invocations (a class-level environment); DuckDB
lets no other process read or write the file while it is open, so it is closed after each invocation.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from inventory_platform.transform.dbt_cli import IN_PROCESS_PREFIX, keep_partial_parse

_ONE_AT_A_TIME = threading.Lock()


class FinishedDbtProcess:
    """The `subprocess.Popen` surface a DbtCliInvocation reads, for a dbt command that already ran."""

    def __init__(self, args: Sequence[str], lines: list[bytes], returncode: int) -> None:
        self.args = list(args)
        self.stdout = io.BytesIO(b"\n".join(lines))
        self.returncode = returncode

    def wait(self, timeout: float | None = None) -> int:
        return self.returncode

    def poll(self) -> int:
        return self.returncode

    def send_signal(self, signal: int) -> None:
        pass


class InProcessDbt:
    """Runs dbt commands in this process on a project parsed once (restart the process after editing it)."""

    def __init__(self, project_dir: Path, profiles_dir: Path, target: str) -> None:
        self.project_dir, self.profiles_dir, self.target = Path(project_dir), Path(profiles_dir), target
        self._manifest = None  # dbt's parsed Manifest, made by the first call

    def _common_args(self, target_path: Path) -> list[str]:
        # dbt's debug log goes to the invocation's folder, as dagster-dbt places a dbt process's.
        return ["--project-dir", str(self.project_dir), "--profiles-dir", str(self.profiles_dir),
                "--target", self.target, "--target-path", str(target_path), "--log-path", str(target_path)]

    def _parsed(self):
        from dbt.cli.main import dbtRunner

        if self._manifest is None:
            # In a folder of its own: the shared target/ holds the manifest the code location loads. Started
            # from the last partial parse, as dagster-dbt starts each dbt process.
            target_path = self.project_dir / "target" / f"{IN_PROCESS_PREFIX}{os.getpid()}-parse"
            target_path.mkdir(parents=True, exist_ok=True)
            partial = self.project_dir / "target" / "partial_parse.msgpack"
            if partial.exists():
                shutil.copyfile(partial, target_path / partial.name)
            parsed = dbtRunner().invoke(["parse", "--quiet", *self._common_args(target_path)])
            if not parsed.success:
                raise RuntimeError(f"dbt could not parse {self.project_dir}: {parsed.exception}")
            keep_partial_parse(target_path)
            self._manifest = parsed.result
        return self._manifest

    def cli(self, args: Sequence[str], *, raise_on_error: bool = True, manifest: Mapping[str, Any] | None = None,
            dagster_dbt_translator=None, context=None):
        """`args` run as `dbt <args>` would; returns the finished invocation (see the module docstring)."""
        from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation
        from dbt.cli.main import dbtRunner
        from dbt_common.events.functions import msg_to_json

        target_path = self.project_dir / "target" / f"{IN_PROCESS_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        command = [*args, *self._common_args(target_path), "--log-format", "json", "--quiet"]
        lines: list[bytes] = []

        def keep(msg) -> None:  # what a dbt process prints at its default log level (info)
            if msg.info.level != "debug":
                lines.append(msg_to_json(msg).encode())

        with _ONE_AT_A_TIME:
            runner = dbtRunner(manifest=self._parsed(), callbacks=[keep])
            try:
                result = runner.invoke(command)
            finally:
                release_warehouse_file()
        if result.exception is not None:
            lines.append(f"dbt raised {result.exception!r}".encode())
        invocation = DbtCliInvocation(
            process=FinishedDbtProcess(["dbt", *command], lines, 0 if result.success else 1), manifest=manifest or {},
            dagster_dbt_translator=dagster_dbt_translator or DagsterDbtTranslator(), project_dir=self.project_dir, target_path=target_path,
            raise_on_error=raise_on_error, cli_version=_dbt_version(), context=context)
        if raise_on_error and not result.success:
            raise invocation.get_error()
        return invocation


def release_warehouse_file() -> None:
    """Close dbt-duckdb's connection, which it otherwise keeps until the process exits (no-op off DuckDB)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _dbt_version():
    import importlib.metadata

    from packaging import version

    return version.parse(importlib.metadata.version("dbt-core"))

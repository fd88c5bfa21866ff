"""The CDC applier: one long-lived process that merges newly streamed Bronze rows into Silver and Gold.

A micro-batch started by a sensor pays, every time, for the sensor's tick, a run process that loads the
code location and a dbt process that imports dbt-core and loads the project: 10-20 s before the first
model, for ~3 s of dbt work at the demo's scale. The applier pays those once. It watches
bronze.cdc_events and, whenever it has grown, runs the same `cdc_microbatch` job in this process
(`execute_in_code_location`) with dbt in this process too (transform/dbt_in_process.py). Each refresh is
therefore a real run of the job, with every dbt test as an asset check and its materializations, checks
and failures recorded in the Dagster instance exactly as the sensor's runs were; what changed is only
where the job executes. `cdc_bronze_sensor` starts no micro-batch while an applier runs.

Exactly once holds as for any micro-batch: Silver merges Bronze by each change's identity, so a refresh
killed half-way (even with SIGKILL) is redone whole by the next one (claim_writer_turn frees the dead
run's writer slot first).

Each run is tagged with the newest Bronze load it covers (`cdc/bronze_newest_load`): every Bronze row
loaded at or before it is in Silver and Gold when the run succeeds.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from inventory_platform.cdc.bronze_table import bronze_totals
from inventory_platform.cdc.jobs import MICROBATCH_JOB
from inventory_platform.settings import Settings

APPLIER_TAG = "cdc/applier"
NEWEST_LOAD_TAG = "cdc/bronze_newest_load"
BRONZE_ROWS_TAG = "cdc/bronze_rows"
_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def pid_file(settings: Settings) -> Path:
    return settings.streaming_dir / "applier.pid"


def applier_running(settings: Settings) -> bool:
    """Whether an applier process is alive for this warehouse (its pid file names a live process)."""
    try:
        pid = int(pid_file(settings).read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


@dataclass
class Refresh:
    run_id: str
    success: bool
    bronze_rows: int
    newest_load: str
    seconds: float
    error: str | None = None


class CdcApplier:
    def __init__(self, settings: Settings, instance: dg.DagsterInstance | None = None,
                 log: Callable[[str], None] = print) -> None:
        """`instance`: by default DAGSTER_HOME's, opened at the first refresh. Not at start: under `make dev`
        the applier starts with `dagster dev`, and two processes creating a new instance's SQLite storage at
        once leave it with two schema versions."""
        from inventory_platform.definitions import build_defs

        self.settings = dataclasses.replace(settings, dbt_in_process=True)
        self._instance = instance
        self.log = log
        self.job = build_defs(self.settings).resolve_job_def(MICROBATCH_JOB)
        self.applied: tuple[int, str | None] | None = None  # Bronze (rows, newest load) of the last success
        self._files_seen: tuple | None = None

    @property
    def instance(self) -> dg.DagsterInstance:
        if self._instance is None:
            self._instance = dg.DagsterInstance.get()
        return self._instance

    def pending(self) -> tuple[int, str | None] | None:
        """Bronze's (rows, newest load) when it differs from what the last successful refresh covered; None
        also while a writer holds the warehouse (the next poll looks again). Bronze is read only after the
        warehouse files changed: every commit writes the file or its WAL, and opening the file 4 times a
        second costs ~10% of a core at `medium`."""
        files = _file_state(self.settings.duckdb_path)
        if files == self._files_seen:
            return None
        totals = bronze_totals(self.settings.duckdb_path)
        if totals is not None:
            self._files_seen = files
        return totals if totals is not None and totals[0] and totals != self.applied else None

    def refresh(self, totals: tuple[int, str | None]) -> Refresh:
        from inventory_platform.dagster_adapter import execute_in_code_location
        from inventory_platform.orchestration.materialize import run_error
        from inventory_platform.orchestration.run_recovery import claim_writer_turn

        rows, newest = totals
        started = time.monotonic()
        owner = claim_writer_turn(self.instance, log=self.log)
        result = execute_in_code_location(self.job, self.instance, run_config=_QUIET, tags={
            **owner, APPLIER_TAG: str(os.getpid()), BRONZE_ROWS_TAG: str(rows), NEWEST_LOAD_TAG: newest or ""})
        if result.success:
            self.applied = totals
        return Refresh(result.run_id, result.success, rows, newest or "", time.monotonic() - started,
                       None if result.success else run_error(result))

    def run(self, should_stop: Callable[[], bool], poll_s: float = 0.25, retry_s: float = 30.0,
            until_idle: bool = False) -> list[Refresh]:
        """Refresh whenever Bronze grows until should_stop(); a failed refresh is retried after retry_s
        (or sooner when Bronze grows again). `until_idle`: stop once Silver and Gold cover Bronze."""
        refreshes: list[Refresh] = []
        failed_at = None
        path = pid_file(self.settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{os.getpid()}\n")
        try:
            while not should_stop():
                waiting_out_failure = failed_at is not None and time.monotonic() - failed_at[1] < retry_s
                if failed_at is not None and not waiting_out_failure:
                    self._files_seen = None  # time to retry: look at Bronze again
                totals = self.pending()
                if totals is None or (waiting_out_failure and totals == failed_at[0]):
                    if until_idle:
                        break
                    time.sleep(poll_s)
                    continue
                try:
                    refresh = self.refresh(totals)
                except Exception as exc:  # noqa: BLE001 - a refresh that cannot even start is retried like a failed one
                    refresh = Refresh("-", False, totals[0], totals[1] or "", 0.0, repr(exc))
                refreshes.append(refresh)
                failed_at = None if refresh.success else (totals, time.monotonic())
                self.log(f"run {refresh.run_id[:8]}: Bronze {refresh.bronze_rows:,} rows to {refresh.newest_load} "
                         + (f"in Silver and Gold in {refresh.seconds:.1f} s" if refresh.success else
                            f"FAILED in {refresh.seconds:.1f} s ({refresh.error}); retrying in {retry_s:.0f} s"))
        finally:
            with suppress(OSError):
                if path.read_text().split()[0] == str(os.getpid()):
                    path.unlink()
        return refreshes


def _file_state(duckdb_path: Path) -> tuple:
    """(mtime, size) of the warehouse file and its write-ahead log, None for one that is not there."""
    def state(path: Path):
        try:
            stat = path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    return state(duckdb_path), state(duckdb_path.with_name(duckdb_path.name + ".wal"))

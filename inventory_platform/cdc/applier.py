"""The CDC applier: one long-lived process that merges newly streamed Bronze rows into Silver and Gold.

A micro-batch started by a sensor pays, every time, for the sensor's tick, a run process that loads the
code location and a dbt process that imports dbt-core and loads the project: 10-20 s before the first
model, for ~3 s of dbt work at the demo's scale. The applier pays those once. It watches
bronze.cdc_events and, whenever it has grown, executes the same `cdc_microbatch` job in this process, with
dbt in this process too (transform/dbt_in_process.py), so every dbt test runs as an asset check.
`cdc_bronze_sensor` starts no micro-batch while an applier runs.

How a refresh is recorded:
- **Succeeded:** the job executes against a scratch in-memory instance, and its materializations and
  check evaluations are then reported to the Dagster instance as runless asset events, stamped with the
  Bronze it covers (`cdc/bronze_rows`, `cdc/bronze_newest_load`) and when it ended (`cdc/refreshed_at`).
  Lineage and every check's result are recorded as from a run, without a run's bookkeeping: a run writes
  ~300 events to the SQLite event log at ~10-15 ms each (~5 s of a 13 s refresh at `small`), the report
  ~70, on a thread of its own while the next refresh works.
- **Failed** (a failing check, a model error): the refresh is done again at once as a run of the job in the
  Dagster instance, which records the failure, its explanation and the run-failure alert as any run's;
  refreshes stay runs until one succeeds, which resolves the alert.

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
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
REFRESHED_AT = "cdc/refreshed_at"  # on the events of a runless refresh: when it ended (epoch seconds)
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
    in_run: bool = False  # recorded as a run of the job (after a failure) rather than as runless events


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
        self.in_runs: bool | None = None  # since a failure, until a refresh succeeds; None: not looked up yet
        self._reporter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cdc-report")

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
        if self.in_runs is None:  # an applier started after a failed run (its alert open) goes on in runs
            self.in_runs = _last_run_failed(self.instance)
        if not self.in_runs:
            refresh = self._refresh_runless(totals)
            if refresh.success:
                return refresh
            self.log(f"refresh {refresh.run_id[:8]} failed ({refresh.error}): done again as a run of {MICROBATCH_JOB}")
        refresh = self._refresh_in_run(totals)
        self.in_runs = not refresh.success
        return refresh

    def _refresh_runless(self, totals: tuple[int, str | None]) -> Refresh:
        from inventory_platform.orchestration.materialize import run_error
        from inventory_platform.orchestration.run_recovery import claim_writer_turn

        rows, newest = totals
        started = time.monotonic()
        claim_writer_turn(self.instance, log=self.log)  # a run launched from the UI that writes goes first
        refresh_id = str(uuid.uuid4())
        with dg.DagsterInstance.ephemeral() as scratch:
            result = self.job.execute_in_process(run_config=_QUIET, instance=scratch, raise_on_error=False,
                                                 run_id=refresh_id, tags={APPLIER_TAG: str(os.getpid())})
        if not result.success:
            return Refresh(refresh_id, False, rows, newest or "", time.monotonic() - started, run_error(result))
        self.applied = totals
        stamp = {APPLIER_TAG: str(os.getpid()), BRONZE_ROWS_TAG: rows, NEWEST_LOAD_TAG: newest or "",
                 REFRESHED_AT: dg.MetadataValue.float(time.time())}
        self._reporter.submit(self._report, runless_events(result, stamp))
        return Refresh(refresh_id, True, rows, newest or "", time.monotonic() - started)

    def _report(self, events: list) -> None:
        try:
            for event in events:
                self.instance.report_runless_asset_event(event)
        except Exception as exc:  # noqa: BLE001 - the data is committed; a lost record must not stop the applier
            self.log(f"could not record a refresh in Dagster: {exc!r}")

    def flush_reports(self) -> None:
        """Wait until every finished refresh is recorded in the Dagster instance."""
        self._reporter.submit(lambda: None).result()

    def _refresh_in_run(self, totals: tuple[int, str | None]) -> Refresh:
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
                       None if result.success else run_error(result), in_run=True)

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
                what = "run" if refresh.in_run else "refresh"
                self.log(f"{what} {refresh.run_id[:8]}: Bronze {refresh.bronze_rows:,} rows to {refresh.newest_load} "
                         + (f"in Silver and Gold in {refresh.seconds:.1f} s" if refresh.success else
                            f"FAILED in {refresh.seconds:.1f} s ({refresh.error}); retrying in {retry_s:.0f} s"))
        finally:
            self.flush_reports()
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


def _last_run_failed(instance: dg.DagsterInstance) -> bool:
    records = instance.get_run_records(dg.RunsFilter(job_name=MICROBATCH_JOB, statuses=[
        dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]), limit=1)
    return bool(records) and records[0].dagster_run.status == dg.DagsterRunStatus.FAILURE


def runless_events(result: dg.ExecuteInProcessResult, stamp: dict) -> list:
    """The materializations and check evaluations of a job executed in a scratch instance, as runless events
    stamped with `stamp`. A check evaluation's link to its materialization names the scratch instance's
    record, so it is dropped: the reported evaluation follows the reported materialization."""
    events = []
    for event in result.all_events:
        if event.event_type is dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.step_materialization_data.materialization
            events.append(materialization.with_metadata({**materialization.metadata, **stamp}))
        elif event.event_type is dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            e = event.event_specific_data
            events.append(dg.AssetCheckEvaluation(
                asset_key=e.asset_key, check_name=e.check_name, passed=e.passed, metadata={**e.metadata, **stamp},
                severity=e.severity, description=e.description, blocking=e.blocking, partition=e.partition))
    return events

"""Reclaim what a dead run leaves behind, so one killed run never hangs every later one.

A run killed with SIGKILL (or by the OOM killer, or a lost laptop lid) cannot clean up: Dagster keeps it
STARTED and keeps its `duckdb_writer` concurrency slot forever, so every later run waits on the slot
in silence; a `dbt build` it started keeps running and holds DuckDB's file lock. Nothing in Dagster
notices, because the local run launcher cannot check a run's process.

So every run the platform starts records its owner: the process (host, pid and the pid's start time,
so a reused pid is not mistaken for the owner) as run tags, and the same token in the environment,
which every child process (dbt) inherits. Before a run claims the writer, `claim_writer_turn`:
- marks failed every in-progress run whose owner is gone, and frees its slots (public Dagster API:
  `DagsterInstance.report_run_failed`, `event_log_storage.free_concurrency_slots_for_run`);
- frees slots still held by runs that already finished;
- kills processes whose owner is gone (the orphaned dbt);
- waits for a live holder up to INVENTORY_WRITER_WAIT_SECONDS, naming it, then gives up; SIGTERM
  during the wait stops it cleanly.
`inventory-platform runs status|recover` and the `reclaim_dead_runs` sensor (under `make dev`) run
the same reclamation (ops_runbooks/runbook_stuck_runs.md).
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
import dagster as dg

from inventory_platform.lib.processes import process_alive

WRITER_POOL = "duckdb_writer"
OWNER_ENV = "INVENTORY_RUN_OWNER"
OWNER_TAG = "inventory/owner"  # host:pid:start-ticks of the process that executes the run
WAIT_ENV = "INVENTORY_WRITER_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 900.0
_PROC = Path("/proc")
_S = dg.DagsterRunStatus
FINISHED_STATUSES = (_S.SUCCESS, _S.FAILURE, _S.CANCELED)
NOT_FINISHED_STATUSES = tuple(s for s in _S if s not in FINISHED_STATUSES)


@dataclass(frozen=True)
class Owner:
    """A process, identified so that a later process reusing its pid is not taken for it."""

    host: str
    pid: int
    started: str  # start time in clock ticks since boot (/proc/<pid>/stat); "" where there is no /proc

    @property
    def token(self) -> str:
        return f"{self.host}:{self.pid}:{self.started}"

    @classmethod
    def parse(cls, token: str) -> Owner | None:
        try:
            host, pid, started = token.rsplit(":", 2)
            return cls(host, int(pid), started)
        except ValueError:
            return None

    def is_local(self) -> bool:
        return self.host == socket.gethostname()

    def is_alive(self) -> bool:
        """Whether the process still runs. Only meaningful for an owner on this host."""
        if _PROC.is_dir():
            return _start_ticks(self.pid) == self.started
        return process_alive(self.pid)


def _start_ticks(pid: int) -> str | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime); the command name (field 2) may hold spaces and parentheses, so split after it.
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]  # a zombie has exited


def this_process() -> Owner:
    pid = os.getpid()
    return Owner(socket.gethostname(), pid, _start_ticks(pid) or "")


@dataclass(frozen=True)
class Holder:
    """A run holding a slot of the writer pool."""

    run_id: str
    job: str
    status: str
    owner: Owner | None

    def describe(self) -> str:
        who = f"pid {self.owner.pid} on {self.owner.host}" if self.owner else "an unrecorded process"
        return f"run {self.run_id} (job {self.job}, {self.status}, {who})"


@dataclass(frozen=True)
class Reclaimed:
    run_id: str
    job: str
    action: str  # what was done, for the log and the CLI

    def describe(self) -> str:
        return f"run {self.run_id} (job {self.job}): {self.action}"


def _owner(run: dg.DagsterRun) -> Owner | None:
    token = run.tags.get(OWNER_TAG)
    return Owner.parse(token) if token else None


def _is_dead(owner: Owner | None) -> bool:
    return owner is not None and owner.is_local() and not owner.is_alive()


def _untagged_run_is_dead(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int | None:
    """For a run without an owner tag (launched by the daemon, or before this module): the pid in its
    "Executing steps in process (pid: N)" event, if that process is gone or is a later one reusing the pid.
    Only on a local (SQLite) instance, whose runs all ran on this host; None when alive or unknown."""
    if "Sqlite" not in type(instance.run_storage).__name__ or not _PROC.is_dir():
        return None
    events = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records
    for record in reversed(events):
        entry = record.event_log_entry
        event = entry.dagster_event
        if event is None or not (event.message or "").startswith("Executing steps in process"):
            continue
        pid = event.engine_event_data.metadata.get("pid")
        if pid is None:
            continue
        pid = int(pid.value)
        ticks = _start_ticks(pid)
        if ticks is None:
            return pid
        boot = next(float(line.split()[1]) for line in (_PROC / "stat").read_text().splitlines()
                    if line.startswith("btime "))
        started_at = boot + int(ticks) / os.sysconf("SC_CLK_TCK")
        return pid if started_at > entry.timestamp + 1 else None
    return None


def writer_holders(instance: dg.DagsterInstance, pool: str = WRITER_POOL) -> list[Holder]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    holders = []
    for run_id in sorted(storage.get_concurrency_info(pool).active_run_ids):
        run = instance.get_run_by_id(run_id)
        holders.append(Holder(run_id, run.job_name if run else "?", run.status.value if run else "DELETED",
                              _owner(run) if run else None))
    return holders


def kill_orphans(grace_seconds: float = 5.0) -> list[int]:
    """Stop every process started by a run whose owner has died (it inherited OWNER_ENV). Linux only."""
    if not _PROC.is_dir():
        return []
    me = os.getpid()
    orphans = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        prefix = f"{OWNER_ENV}=".encode()
        token = next((v[len(prefix):].decode() for v in environ.split(b"\0") if v.startswith(prefix)), None)
        owner = Owner.parse(token) if token else None
        if owner is not None and owner.pid != int(entry.name) and _is_dead(owner):
            orphans.append(int(entry.name))
    for sig, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 1.0)):
        alive = [pid for pid in orphans if _signal(pid, sig)]
        deadline = time.monotonic() + wait
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = [pid for pid in alive if _start_ticks(pid) is not None]
        if not alive:
            break
    return orphans


def _signal(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def reclaim_dead_runs(instance: dg.DagsterInstance, pool: str = WRITER_POOL) -> list[Reclaimed]:
    """Fail the unfinished runs whose owner process is gone, free their slots and any slot still held by
    a finished run, and stop the processes the dead runs left behind."""
    reclaimed = []
    killed = kill_orphans()
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=list(NOT_FINISHED_STATUSES))):
        owner = _owner(run)
        if owner is not None:
            if not _is_dead(owner):
                continue
            pid = owner.pid
        elif run.status == dg.DagsterRunStatus.STARTED and (pid := _untagged_run_is_dead(instance, run)):
            pass
        else:
            continue
        message = (f"The process that ran this run (pid {pid}) is gone (killed or crashed); marked failed "
                   "and its concurrency slots freed by inventory-platform run recovery.")
        instance.report_run_failed(run, message=message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reclaimed.append(Reclaimed(run.run_id, run.job_name, f"process {pid} gone: marked FAILURE, slots freed"))
    finished = {s.value for s in FINISHED_STATUSES}
    for holder in writer_holders(instance, pool):
        if holder.status in finished or holder.status == "DELETED":
            instance.event_log_storage.free_concurrency_slots_for_run(holder.run_id)
            reclaimed.append(Reclaimed(holder.run_id, holder.job, f"already {holder.status}: {pool} slot freed"))
    if killed:
        reclaimed.append(Reclaimed("-", "-", f"stopped processes left by dead runs: pids {killed}"))
    return reclaimed


class WriterUnavailable(click.ClickException):
    """The writer pool stayed held by a live run for the whole wait (or the wait was stopped)."""


def _wait_seconds() -> float:
    return float(os.environ.get(WAIT_ENV, DEFAULT_WAIT_SECONDS))


@contextmanager
def _sigterm_stops_wait(holders: Callable[[], str]) -> Iterator[None]:
    """SIGTERM while waiting (nothing claimed yet) ends the wait with a clear message, exit code 143."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_signo, _frame):
        error = WriterUnavailable(f"stopped by SIGTERM while waiting for the {WRITER_POOL} pool held by {holders()}; "
                                  "no run was started")
        error.exit_code = 128 + signal.SIGTERM
        raise error

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def claim_writer_turn(instance: dg.DagsterInstance, log: Callable[[str], None] = print,
                      timeout_s: float | None = None, poll_s: float = 1.0) -> dict[str, str]:
    """Before a run: reclaim dead runs, wait (bounded) until the writer pool has a free slot, and return
    the owner tags for the run. Children of this process inherit the owner token."""
    me = this_process()
    os.environ[OWNER_ENV] = me.token
    storage = instance.event_log_storage
    timeout_s = _wait_seconds() if timeout_s is None else timeout_s
    for item in reclaim_dead_runs(instance):
        log(f"Reclaimed dead {item.describe()}")
    if not storage.supports_global_concurrency_limits:
        return {OWNER_TAG: me.token}

    def busy() -> list[Holder]:
        info = storage.get_concurrency_info(WRITER_POOL)
        limit = info.limit if info.limit is not None else storage.get_pool_config().default_pool_limit
        return writer_holders(instance) if limit is not None and len(info.claimed_slots) >= limit else []

    holders = busy()
    if not holders:
        return {OWNER_TAG: me.token}
    named = lambda: "; ".join(h.describe() for h in writer_holders(instance)) or "nobody"  # noqa: E731
    started = time.monotonic()
    next_note = started
    with _sigterm_stops_wait(named):
        while holders:
            waited = time.monotonic() - started
            if waited > timeout_s:
                raise WriterUnavailable(
                    f"gave up after {timeout_s:.0f} s waiting for the {WRITER_POOL} pool, held by {named()}. "
                    f"If that run is still working, retry later or raise {WAIT_ENV}; if its process is gone on "
                    "another host, `inventory-platform runs recover --run-id RUN_ID` frees it "
                    "(ops_runbooks/runbook_stuck_runs.md).")
            if time.monotonic() >= next_note:
                log(f"Waiting for the {WRITER_POOL} pool ({waited:.0f} s of {timeout_s:.0f} s), held by {named()}")
                next_note += 30
            time.sleep(poll_s)
            for item in reclaim_dead_runs(instance):
                log(f"Reclaimed dead {item.describe()}")
            holders = busy()
    return {OWNER_TAG: me.token}


def build_reclaim_dead_runs_sensor() -> dg.SensorDefinition:
    """Under `make dev`, reclaim dead runs without waiting for the next CLI run (daemon-launched runs too)."""

    @dg.sensor(name="reclaim_dead_runs", minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
               description="Marks failed the runs whose process died (SIGKILL, OOM) and frees their duckdb_writer "
                           "slots and orphaned dbt processes, so later runs do not wait on them forever "
                           "(ops_runbooks/runbook_stuck_runs.md).")
    def reclaim_dead_runs_sensor(context: dg.SensorEvaluationContext):
        reclaimed = reclaim_dead_runs(context.instance)
        for item in reclaimed:
            context.log.warning(f"Reclaimed dead {item.describe()}")
        return dg.SkipReason(f"reclaimed {len(reclaimed)}" if reclaimed else "no dead runs")

    return reclaim_dead_runs_sensor


def force_fail_run(instance: dg.DagsterInstance, run_id: str) -> Reclaimed:
    """For a run whose owner is on another host or unrecorded: the operator vouches that it is dead."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        return Reclaimed(run_id, "?", "no such run: its slots freed")
    owner = _owner(run)
    if owner is not None and owner.is_local() and owner.is_alive():
        raise click.ClickException(f"run {run_id} is still running (pid {owner.pid}); stop that process first")
    if run.status in NOT_FINISHED_STATUSES:
        instance.report_run_failed(run, message="Marked failed by an operator (inventory-platform runs recover --run-id).")
    instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return Reclaimed(run_id, run.job_name, "marked FAILURE by operator, slots freed")

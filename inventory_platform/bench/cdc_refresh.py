"""CDC to Silver and Gold at a sustained rate, through the processes `make dev` runs for streaming: the
pipeline (`stream run`: Kinesis -> handler -> Bronze) and the applier (`stream apply`: Bronze -> Silver and
Gold, inventory_platform/cdc/applier.py), on a copy of a built bench history; and, as the baseline, through
what it replaced: `dagster dev`'s daemon ticking cdc_bronze_sensor, which starts a run per micro-batch.

Each lag starts at the event's source commit (Debezium `source.ts_ms`) and ends when the row is there for
someone else:
- cdc_to_bronze_lag: committed to bronze.cdc_events (its `_loaded_at`).
- cdc_to_silver_lag: first seen by a separate reader process polling silver.cdc_inventory_transactions
  every 0.25 s (read-only, taking its turn on the warehouse lock as any reader does). Stock-level events
  go to silver.stock_levels_current in the same dbt build, so the transactions stand for both.
- cdc_to_gold_lag: the end of the first successful refresh that covers the event: a cdc_microbatch run
  (the sensor's, tagged with the rows Bronze held when it was asked for) or an applier refresh (its runless
  materialization of gold/published_gold, stamped with those rows and when it ended). Gold and the readers'
  copy are written by then; an applier refresh is in Dagster's event log `dagster_record_delay_s` later.
"""

from __future__ import annotations

import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from inventory_platform.bench.bench_data import History, platform_env
from inventory_platform.bench.cdc import percentile
from inventory_platform.bench.child_process import high_water_kb, process_tree
from inventory_platform.bench.dagster_dev_server import dagster_dev
from inventory_platform.cdc.applier import BRONZE_ROWS_TAG, REFRESHED_AT
from inventory_platform.cdc.jobs import MICROBATCH_JOB
from inventory_platform.cdc.source_catalog import catalog_from_warehouse
from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.serving.assets import PUBLISHED_GOLD_KEY
from inventory_platform.settings import REPO_ROOT
from streaming.local.local_endpoint import LocalEndpoint, StreamNames, aws_client, ensure_streams
from streaming.local.producer import produce
from streaming.local.source_simulator import SourceSimulator

PREFIX = "refresh"
WARM_UP_EVENTS = 200
READER_POLL_S = 0.25


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"events": 0}
    return {"events": len(values), "p50_s": round(percentile(values, 0.5), 2),
            "p95_s": round(percentile(values, 0.95), 2), "max_s": round(max(values), 2)}


class SilverReader(threading.Thread):
    """Another process's view of Silver: the first time each streamed transaction version is readable."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True, name="silver-reader")
        self.db, self.seen, self.stop, self.max_lsn = db, {}, threading.Event(), -1

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with connect_duckdb(self.db, read_only=True, wait_seconds=60) as con:
                    rows = con.execute("select source_lsn, epoch(source_committed_at) from silver.cdc_inventory_transactions "
                                       "where source_lsn > ?", [self.max_lsn]).fetchall()
            except (TimeoutError, duckdb.IOException, duckdb.CatalogException):
                rows = []
            now = time.time()
            for lsn, committed in rows:
                self.seen.setdefault(lsn, now - committed)
                self.max_lsn = max(self.max_lsn, lsn)
            self.stop.wait(READER_POLL_S)


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "inventory_platform.cli", *args], env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


def _covering_refreshes(dagster_home: Path) -> list[tuple[int, float, float]]:
    """(Bronze rows covered, end time, when Dagster recorded it) of each successful refresh, by rows: a
    cdc_microbatch run, or an applier refresh's runless materialization of the readers' copy of Gold."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        records = instance.get_run_records(dg.RunsFilter(job_name=MICROBATCH_JOB, statuses=[dg.DagsterRunStatus.SUCCESS]))
        runs = [(int(r.dagster_run.tags[BRONZE_ROWS_TAG]), r.end_time, r.end_time) for r in records
                if r.dagster_run.tags.get(BRONZE_ROWS_TAG) and r.end_time]
        runless = [(int(m[BRONZE_ROWS_TAG].value), float(m[REFRESHED_AT].value), r.timestamp)
                   for r in instance.fetch_materializations(PUBLISHED_GOLD_KEY, limit=10_000).records
                   if not r.run_id and REFRESHED_AT in (m := r.asset_materialization.metadata)]
        return sorted(runs + runless)


def _wait_until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"cdc_refresh: {what} did not happen within {timeout_s:.0f} s")
        time.sleep(0.5)


def measure_cdc_refresh(history: History, rate: int = 2000, seconds: float = 60.0, baseline: bool = True) -> dict:
    """The applier's lags and, with `baseline`, beside them (same data, rate and machine, one run after the
    other) the lags of the orchestration it replaced: `dagster dev`'s daemon ticking cdc_bronze_sensor,
    which starts a cdc_microbatch run process per micro-batch."""
    result = _measure_with(history, rate, seconds, "applier")
    if baseline:
        result["sensor_baseline"] = _measure_with(history, rate, seconds, "sensor")
    return result


def _measure_with(history: History, rate: int, seconds: float, orchestration: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="cdc-refresh-", dir=history.root.parent) as tmp:
        root = Path(tmp)
        db = root / "warehouse.duckdb"
        shutil.copyfile(history.duckdb_path, db)
        endpoint = LocalEndpoint(root / "streaming")
        url = endpoint.up()
        try:
            return _measure(root, db, history, url, rate, seconds, orchestration)
        finally:
            endpoint.down()
            kept = history.root.parent / f"cdc-refresh-logs-{orchestration}"  # the last run's logs, to look at
            shutil.rmtree(kept, ignore_errors=True)
            kept.mkdir()
            for log in root.glob("*.log"):
                shutil.copy(log, kept / log.name)


@contextmanager
def _refresher(orchestration: str, env: dict, root: Path) -> Iterator[int | None]:
    """What merges Bronze into Silver and Gold: the applier (yields its pid) or `dagster dev` (yields None)."""
    if orchestration == "sensor":
        with dagster_dev(env, root / "dagster_dev.log"):
            yield None
        return
    applier = _start(["stream", "apply"], env, root / "stream_apply.log")
    try:
        yield applier.pid
    finally:
        _stop(applier)


def _measure(root: Path, db: Path, history: History, url: str, rate: int, seconds: float, orchestration: str) -> dict:
    names = StreamNames.from_prefix(PREFIX)
    kinesis = aws_client("kinesis", url)
    ensure_streams(kinesis, aws_client("dynamodb", url), names, {names.raw: 2, names.clean: 2, names.dlq: 1})
    env = {**platform_env(root, history.landing, db), "AWS_ENDPOINT_URL": url, "INVENTORY_CDC_STREAM_PREFIX": PREFIX,
           "POWERTOOLS_LOG_LEVEL": "WARNING"}
    dagster_home = Path(env["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", dagster_home)  # `make dev`'s instance: its pool limits
    with connect_duckdb(db, read_only=True) as con:
        source = SourceSimulator.start(catalog_from_warehouse(con), seed=rate)
    source.s.snapshot_emitted = True  # the steady stream only: no initial snapshot of every stock level
    pipeline = _start(["stream", "run"], env, root / "stream_run.log")
    reader = SilverReader(db)
    try:
        with _refresher(orchestration, env, root) as applier_pid:
            # Warm-up, not measured: the processes import, the applier's first refresh loads dbt.
            warm_up = produce(kinesis, names.raw, source, WARM_UP_EVENTS, rate=rate)
            _wait_until(lambda: _covering_refreshes(dagster_home), 300, "the first refresh")
            peak_rss_after_warm_up = _rss_mb(applier_pid) if applier_pid else None
            reader.start()
            measured_from = time.time()
            stats = produce(kinesis, names.raw, source, int(rate * seconds), rate=rate)
            produced = warm_up.source_events + stats.source_events
            _wait_until(lambda: _covered(db, dagster_home, produced), 300, "Silver and Gold covering every event")
            peak_rss_at_end = _rss_mb(applier_pid) if applier_pid else None
    except TimeoutError as exc:
        tails = "\n".join(f"--- {log.name}:\n" + "\n".join(log.read_text().splitlines()[-15:])
                          for log in sorted(root.glob("*.log")))
        raise TimeoutError(f"{exc} ({getattr(_covered, 'last', '')})\n{tails}") from None
    finally:
        reader.stop.set()
        _stop(pipeline)
    reader.join(timeout=60)
    refreshes = _covering_refreshes(dagster_home)
    events = _measured_events(db, measured_from)
    bronze, gold = [], []
    for rank, loaded_at, committed in events:
        bronze.append(loaded_at.replace(tzinfo=UTC).timestamp() - committed)
        covered_at = next((end for rows, end, _ in refreshes if rows >= rank), None)
        if covered_at is not None:
            gold.append(covered_at - committed)
    ends = [end for _, end, _ in refreshes if end > measured_from]
    record_delays = [recorded - end for _, end, recorded in refreshes if end > measured_from]
    intervals = [b - a for a, b in zip([measured_from, *ends], ends, strict=False)]
    return {"orchestration": orchestration, "rate_events_per_s": rate, "seconds": seconds, "events": stats.source_events,
            "achieved_rate_events_per_s": round(stats.source_events / stats.seconds),
            "bronze_events": len(events), "gold_covered_events": len(gold),
            "cdc_to_bronze_lag": _percentiles(bronze), "cdc_to_silver_lag": _percentiles(list(reader.seen.values())),
            "cdc_to_gold_lag": _percentiles(gold), "refreshes": len(ends),
            "median_refresh_interval_s": round(statistics.median(intervals), 2) if intervals else None,
            "dagster_record_delay_s": round(statistics.median(record_delays), 2) if record_delays else None,
            **({"applier_peak_rss_mb": {"after_warm_up": peak_rss_after_warm_up, "at_end": peak_rss_at_end}}
               if orchestration == "applier" else {}),
            "warehouse_bytes": history.duckdb_path.stat().st_size}


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _measured_events(db: Path, since: float, wait_seconds: float = 60) -> list[tuple[int, datetime, float]]:
    """(rank in load order, Bronze load time in naive UTC, source commit in epoch s) of each event the source
    committed since `since`. Rows commit in batches, in load order: a run asked for when Bronze held N rows
    covers the events ranked up to N."""
    with connect_duckdb(db, read_only=True, wait_seconds=wait_seconds) as con:
        return con.execute("""
            select rank, _loaded_at, ts_ms / 1000.0 from (
                select row_number() over (order by _loaded_at, shard_id, sequence_number) as rank, _loaded_at,
                       cast(json_extract_string(payload, '$.source.ts_ms') as bigint) as ts_ms
                from bronze.cdc_events)
            where ts_ms >= ? * 1000""", [since]).fetchall()


def _covered(db: Path, dagster_home: Path, produced: int) -> bool:
    """Whether every produced event is in Bronze and a successful run covers all of Bronze."""
    try:
        with connect_duckdb(db, read_only=True, wait_seconds=5) as con:
            events = con.execute("select count(*) from bronze.cdc_events").fetchone()[0]
    except (TimeoutError, duckdb.IOException):
        return False
    refreshes = _covering_refreshes(dagster_home)
    _covered.last = (f"{events} of {produced} events in Bronze; the last refresh covers "
                     f"{refreshes[-1][0] if refreshes else None} rows")
    return events >= produced and bool(refreshes) and max(rows for rows, _, _ in refreshes) >= events


def _rss_mb(pid: int) -> float:
    return round(sum(high_water_kb(p) for p in process_tree(pid)) / 1024, 1)

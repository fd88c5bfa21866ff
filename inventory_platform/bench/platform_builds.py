"""Timed runs of the real platform on bench data: the full build (Bronze -> Silver -> Gold through
`materialize_everything`, what `inventory-platform materialize` runs) and the daily increment (one new
day landed, then the daily_batch_load job for that day, as its schedule starts it)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inventory_platform.bench.bench_data import BenchData, History, platform_env
from inventory_platform.bench.child_process import Measured, run_measured
from inventory_platform.bench.machine import describe_machine
from inventory_platform.bench.platform_run import RESULT_PREFIX
from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.lib.file_digest import sha256_of
from inventory_platform.settings import DBT_PROJECT_DIR
from inventory_platform.transform.dbt_assets import MANIFEST_PATH


class BenchRunFailed(RuntimeError):
    pass


_DBT_NODE_DONE = re.compile(r"\d+ of \d+ (?:OK created sql \w+ model|PASS) (\S+) \.+ \[.*? in ([\d.]+)s\]")


def slowest_dbt_nodes(log: Path, top: int = 4) -> list[list]:
    """The dbt models and tests that took longest in a run, from dbt's own log lines ([name, seconds])."""
    found = [(m.group(1), float(m.group(2))) for m in _DBT_NODE_DONE.finditer(log.read_text(errors="replace"))]
    return [[name, seconds] for name, seconds in sorted(found, key=lambda f: -f[1])[:top]]


def model_materializations() -> dict[str, list[str]]:
    """How each Silver/Gold model is built (dbt manifest): `table` models are rebuilt in full on every run."""
    manifest = json.loads(MANIFEST_PATH.read_text())
    kinds: dict[str, list[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["config"]["materialized"] != "ephemeral":
            kinds.setdefault(node["config"]["materialized"], []).append(node["name"])
    return {kind: sorted(names) for kind, names in sorted(kinds.items())}


def _platform_run(args: list[str], env: dict[str, str], log: Path) -> tuple[Measured, dict]:
    measured = run_measured([sys.executable, "-m", "inventory_platform.bench.platform_run", *args], env, log)
    lines = [line for line in measured.log.read_text(errors="replace").splitlines() if line.startswith(RESULT_PREFIX)]
    if measured.returncode != 0 or not lines:
        raise BenchRunFailed(f"platform_run {' '.join(args)} failed (exit {measured.returncode}); log {log}:\n"
                             + measured.tail())
    return measured, json.loads(lines[-1][len(RESULT_PREFIX):])


def build_history(data: BenchData, history: History) -> dict:
    """A fresh platform instance holding every day up to history.last_day, built from empty: the full build."""
    if history.root.exists():
        shutil.rmtree(history.root)
    data.prepare_landing_view(history)
    env = platform_env(history.root, history.landing, history.duckdb_path)
    machine = describe_machine()
    measured, result = _platform_run(["full"], env, history.root / "logs" / "full_build.log")
    record = {
        "scale": data.scale, "history_last_day": history.last_day.isoformat(),
        "ledger_rows": data.ledger_rows_through(history.last_day),
        "wall_s": measured.wall_s, "peak_rss_mb": measured.peak_rss_mb,
        "load_definitions_s": result["load_definitions_s"], "runs": result["runs"],
        "warehouse_mb": round(history.duckdb_path.stat().st_size / 1024 / 1024, 1),
        "slowest_dbt_nodes": slowest_dbt_nodes(measured.log),
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine,
        "dbt_project_digest": dbt_project_digest(),
    }
    data.save_build(history, record)
    return record


def ensure_history(data: BenchData, last_day, rebuild: bool = False) -> tuple[History, dict]:
    history = data.history(last_day)
    # A warehouse built by other models is no base for an increment of these (the tables differ).
    if history.is_built and not rebuild and data.load_build(history).get("dbt_project_digest") == dbt_project_digest():
        return history, data.load_build(history)
    return history, build_history(data, history)


def daily_increment(data: BenchData, history: History) -> dict:
    """Land the day after the history and run daily_batch_load for it, on a copy of the built warehouse."""
    day = history.last_day + timedelta(days=1)
    if day not in data.days():
        raise BenchRunFailed(f"no simulated day {day} after history {history.root.name}")
    work = data.root / "increment-work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    shutil.copy2(history.duckdb_path, work / history.duckdb_path.name)
    duckdb_path = work / history.duckdb_path.name
    # The day lands in the history's own landing zone (the paths the warehouse already loaded from stay
    # the same, so reference files are recognised as loaded), and is taken away again afterwards.
    landed = data.land_day(history.landing, day)
    try:
        measured, result = _platform_run(["daily", day.isoformat()], platform_env(work, history.landing, duckdb_path),
                                         work / "logs" / f"daily_{day}.log")
    finally:
        landed.unlink()
    expected = data.ledger_rows_through(day) - data.ledger_rows_through(history.last_day)
    with connect_duckdb(duckdb_path, read_only=True) as con:
        bronze_rows = con.execute("select count(*) from bronze.inventory_transactions where cast(event_ts as date) = ?",
                                  [day]).fetchone()[0]
        silver_rows = con.execute("select count(*) from silver.fct_inventory_transactions where event_date = ?",
                                  [day]).fetchone()[0]
        gold_month = con.execute("select max(month_end_date) from gold.gold_inventory_value_monthly").fetchone()[0]
    slowest = slowest_dbt_nodes(measured.log)
    if not bronze_rows == silver_rows == expected:
        raise BenchRunFailed(f"daily increment {day}: {expected} rows landed, Bronze has {bronze_rows}, Silver {silver_rows}")
    shutil.rmtree(work)
    return {"day": day.isoformat(), "day_rows": expected, "history_ledger_rows": data.ledger_rows_through(history.last_day),
            "wall_s": measured.wall_s, "job_s": result["runs"][0]["seconds"],
            "load_definitions_s": result["load_definitions_s"], "peak_rss_mb": measured.peak_rss_mb,
            "checks": result["runs"][0]["checks"], "gold_latest_month_end": str(gold_month), "slowest_dbt_nodes": slowest}


def measure_daily_increment(data: BenchData, history: History, runs: int) -> dict:
    """Median of `runs` increments of the same day, each on a fresh copy of the history's warehouse."""
    samples = [daily_increment(data, history) for _ in range(runs)]
    first = samples[0]
    return {"day": first["day"], "day_rows": first["day_rows"], "history_ledger_rows": first["history_ledger_rows"],
            "checks": first["checks"], "runs": runs,
            "median_wall_s": round(statistics.median(s["wall_s"] for s in samples), 2),
            "median_job_s": round(statistics.median(s["job_s"] for s in samples), 2),
            "median_load_definitions_s": round(statistics.median(s["load_definitions_s"] for s in samples), 2),
            "wall_s": [s["wall_s"] for s in samples], "peak_rss_mb": max(s["peak_rss_mb"] for s in samples),
            "slowest_dbt_nodes": samples[-1]["slowest_dbt_nodes"], "materializations": model_materializations()}


def dbt_project_digest() -> str:
    """Identity of the dbt project's models, macros, tests and configuration."""
    digest = hashlib.sha256()
    for path in sorted(p for p in DBT_PROJECT_DIR.rglob("*") if p.is_file() and p.suffix in (".sql", ".yml", ".csv")
                       and not {"target", "logs"} & set(p.relative_to(DBT_PROJECT_DIR).parts)):
        digest.update(f"{path.relative_to(DBT_PROJECT_DIR)}\0{sha256_of(path)}\0".encode())
    return digest.hexdigest()

"""Timed runs of the real platform on bench data: the simulation of the landing files, the full build
(Bronze -> Silver -> Gold through `materialize_everything`, what `inventory-platform materialize` runs) and
the daily increment (one new day landed, then the daily_batch_load job for that day, as its schedule
starts it).

Each is resumable across bench runs: what took time is kept under INVENTORY_BENCH_DIR with the inputs it
was made from, and a run interrupted midway is continued (the simulator and the platform both resume
their own work) rather than started over. The record then says `resumed` and which attempts it timed."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inventory_platform.bench.bench_data import BenchData, History, load_json, platform_env, save_json
from inventory_platform.bench.child_process import Measured, run_measured
from inventory_platform.bench.machine import describe_machine
from inventory_platform.bench.platform_run import RESULT_PREFIX
from inventory_platform.bench.storage import footprint
from inventory_platform.landing_contract import MANIFEST_FILE
from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.lib.file_digest import sha256_of
from inventory_platform.settings import DBT_PROJECT_DIR, REPO_ROOT
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


def ensure_landing(data: BenchData) -> dict:
    """The simulated landing zone and how its simulation went: simulated (in a measured child process) when
    missing; an interrupted simulation is continued and its record says so."""
    if data.landing_manifest():
        return {**(load_json(data.simulate_record) or {"scale": data.scale, "note": "simulated before bench records were kept"}),
                "reused_from_cache": True}
    data.root.mkdir(parents=True, exist_ok=True)
    earlier = load_json(data.simulate_attempt) or {"attempts": 0}
    save_json(data.simulate_attempt, {"attempts": earlier["attempts"] + 1,
                                      "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")})
    machine = describe_machine()
    measured, result = _platform_run(["simulate", data.scale, str(data.seed), data.start.isoformat(), str(data.landing)],
                                     platform_env(data.root, data.landing, data.root / "unused.duckdb"),
                                     data.root / "logs" / "simulate.log")
    record = {"scale": data.scale, "seed": data.seed, "start": data.start.isoformat(), **result,
              "days": len(data.days()), "wall_s": measured.wall_s, "peak_rss_mb": measured.peak_rss_mb,
              "resumed": earlier["attempts"] > 0, "earlier_attempts_not_timed": earlier["attempts"],
              "landing_bytes": sum(p.stat().st_size for p in data.landing.rglob("*") if p.is_file()),
              "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine}
    save_json(data.simulate_record, record)
    data.simulate_attempt.unlink()
    return record


def build_history(data: BenchData, history: History) -> dict:
    """A platform instance holding every day up to history.last_day, built from empty: the full build. A build
    of the same inputs that was interrupted (no build.json yet) is continued: the platform resumes its own
    first build, so an interruption costs the unfinished part, not the hours before it."""
    inputs = build_inputs(data)
    started = load_json(history.build_inputs)
    resuming = (started is not None and started["digest"] == inputs["digest"] and history.duckdb_path.exists()
                and not history.build_record.exists())
    if not resuming:
        if history.root.exists():
            shutil.rmtree(history.root)
        data.prepare_landing_view(history)
        started = {**inputs, "attempts": []}
    attempt = len(started["attempts"]) + 1
    started["attempts"].append({"started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")})
    save_json(history.build_inputs, started)
    env = platform_env(history.root, history.landing, history.duckdb_path)
    machine = describe_machine()
    measured, result = _platform_run(["full"], env, history.root / "logs" / f"full_build-{attempt}.log")
    ledger_rows = data.ledger_rows_through(history.last_day)
    record = {
        "scale": data.scale, "history_last_day": history.last_day.isoformat(),
        "ledger_rows": ledger_rows,
        "wall_s": measured.wall_s, "peak_rss_mb": measured.peak_rss_mb,
        "resumed": attempt > 1, "earlier_attempts_not_timed": attempt - 1,
        "load_definitions_s": result["load_definitions_s"], "runs": result["runs"],
        "warehouse_mb": round(history.duckdb_path.stat().st_size / 1024 / 1024, 1),
        **footprint(history.root, history.duckdb_path, history.landing, ledger_rows),
        "slowest_dbt_nodes": slowest_dbt_nodes(measured.log),
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine,
        "inputs_digest": inputs["digest"],
    }
    data.save_build(history, record)
    return record


def ensure_history(data: BenchData, last_day, rebuild: bool = False) -> tuple[History, dict]:
    history = data.history(last_day)
    # A warehouse built by other code or from other landing files is no base for an increment of these.
    if history.is_built and not rebuild and data.load_build(history).get("inputs_digest") == build_inputs(data)["digest"]:
        return history, {**data.load_build(history), "reused_from_cache": True}
    if rebuild and history.build_inputs.exists():
        history.build_inputs.unlink()
    return history, build_history(data, history)


def daily_increment(data: BenchData, history: History, in_place: bool = False) -> dict:
    """Land the day after the history and run daily_batch_load for it, on a copy of the built warehouse, or
    `in_place` on the warehouse itself (when the disk cannot hold a copy: ~30 GB at `full`). A history
    that took its increment in place no longer holds exactly its days: its build record goes, so the
    next bench run builds it again rather than reusing it."""
    day = history.last_day + timedelta(days=1)
    if day not in data.days():
        raise BenchRunFailed(f"no simulated day {day} after history {history.root.name}")
    work = data.root / "increment-work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if in_place:
        # Both records go: with the inputs record left, the next bench took the warehouse for a build
        # interrupted midway and "resumed" it, recording a 2-minute run over the incremented file as its build.
        history.build_record.unlink()
        history.build_inputs.unlink(missing_ok=True)
        duckdb_path = history.duckdb_path
    else:
        _require_free_disk(work, _copy_bytes(history), "a copy of the warehouse and the day's run")
        shutil.copy2(history.duckdb_path, work / history.duckdb_path.name)
        duckdb_path = work / history.duckdb_path.name
    # The day lands in the history's own landing zone (the paths the warehouse already loaded from stay
    # the same, so reference files are recognised as loaded), and is taken away again afterwards unless
    # the warehouse itself loaded it.
    landed = data.land_day(history.landing, day)
    # Counted before the day is taken away: Bronze reads the landed files in place.
    try:
        measured, result = _platform_run(["daily", day.isoformat()], platform_env(work, history.landing, duckdb_path),
                                         work / "logs" / f"daily_{day}.log")
        with connect_duckdb(duckdb_path, read_only=True) as con:
            bronze_rows = con.execute("select count(*) from bronze.inventory_transactions where cast(event_ts as date) = ?",
                                      [day]).fetchone()[0]
            silver_rows = con.execute("select count(*) from silver.fct_inventory_transactions where event_date = ?",
                                      [day]).fetchone()[0]
            gold_month = con.execute("select max(month_end_date) from gold.gold_inventory_value_monthly").fetchone()[0]
    finally:
        if not in_place:
            landed.unlink()
    expected = data.ledger_rows_through(day) - data.ledger_rows_through(history.last_day)
    slowest = slowest_dbt_nodes(measured.log)
    if not bronze_rows == silver_rows == expected:
        raise BenchRunFailed(f"daily increment {day}: {expected} rows landed, Bronze has {bronze_rows}, Silver {silver_rows}")
    shutil.rmtree(work)
    return {"day": day.isoformat(), "day_rows": expected, "history_ledger_rows": data.ledger_rows_through(history.last_day),
            "wall_s": measured.wall_s, "job_s": result["runs"][0]["seconds"],
            "load_definitions_s": result["load_definitions_s"], "peak_rss_mb": measured.peak_rss_mb,
            "checks": result["runs"][0]["checks"], "gold_latest_month_end": str(gold_month), "slowest_dbt_nodes": slowest}


def _copy_bytes(history: History) -> int:
    """Free disk an increment on a copy needs: the copy, the day's growth and DuckDB's spill."""
    return 2 * history.duckdb_path.stat().st_size + (2 << 30)


def _require_free_disk(path: Path, needed: int, purpose: str) -> None:
    free = shutil.disk_usage(path).free
    if free < needed:
        raise BenchRunFailed(f"{purpose} needs about {needed / 2**30:.1f} GB free under {path}; "
                             f"{free / 2**30:.1f} GB are (set INVENTORY_BENCH_DIR to a larger disk)")


def measure_daily_increment(data: BenchData, history: History, runs: int) -> dict:
    """Median of `runs` increments of the same day, each on a fresh copy of the history's warehouse; one
    increment on the warehouse itself when the disk cannot hold a copy."""
    in_place = shutil.disk_usage(history.root).free < _copy_bytes(history)
    runs = 1 if in_place else runs
    samples = [daily_increment(data, history, in_place) for _ in range(runs)]
    first = samples[0]
    return {"day": first["day"], "day_rows": first["day_rows"], "history_first_day": data.start.isoformat(),
            "history_days": (history.last_day - data.start).days + 1, "history_ledger_rows": first["history_ledger_rows"],
            "checks": first["checks"], "runs": runs, "in_place": in_place,
            "median_wall_s": round(statistics.median(s["wall_s"] for s in samples), 2),
            "median_job_s": round(statistics.median(s["job_s"] for s in samples), 2),
            "median_load_definitions_s": round(statistics.median(s["load_definitions_s"] for s in samples), 2),
            "wall_s": [s["wall_s"] for s in samples], "peak_rss_mb": max(s["peak_rss_mb"] for s in samples),
            "slowest_dbt_nodes": samples[-1]["slowest_dbt_nodes"], "materializations": model_materializations()}


# What decides a built warehouse's content: the dbt project, the platform code that loads and builds
# (not its catalog, reports or monitoring), and the landing files.
BUILD_CODE = ("inventory_platform/bronze", "inventory_platform/cdc", "inventory_platform/transform",
              "inventory_platform/orchestration", "inventory_platform/cold_tier", "inventory_platform/lib",
              "inventory_platform/settings.py", "inventory_platform/landing_contract.py")


def _digest_files(digest, root: Path, paths) -> None:
    for path in sorted(paths):
        digest.update(f"{path.relative_to(root)}\0{sha256_of(path)}\0".encode())


def dbt_project_digest() -> str:
    """Identity of the dbt project's models, macros, tests and configuration."""
    digest = hashlib.sha256()
    _digest_files(digest, DBT_PROJECT_DIR, (p for p in DBT_PROJECT_DIR.rglob("*") if p.is_file()
                                            and p.suffix in (".sql", ".yml", ".csv")
                                            and not {"target", "logs"} & set(p.relative_to(DBT_PROJECT_DIR).parts)))
    return digest.hexdigest()


def build_inputs(data: BenchData) -> dict:
    """The inputs of a full build and one digest over them."""
    code = hashlib.sha256()
    for entry in BUILD_CODE:
        path = REPO_ROOT / entry
        _digest_files(code, REPO_ROOT, path.rglob("*.py") if path.is_dir() else [path])
    manifest = data.landing / MANIFEST_FILE
    parts = {"dbt_project": dbt_project_digest(), "platform_code": code.hexdigest(),
             "landing_manifest": sha256_of(manifest) if manifest.exists() else None}
    digest = hashlib.sha256("\0".join(f"{k}={v}" for k, v in sorted(parts.items())).encode()).hexdigest()
    return {"digest": digest, **parts}

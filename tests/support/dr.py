"""Driving `inventory-platform dr` as an operator does (real subprocesses on real files), and the
faults the DR tests inject: flipped bytes in a file, a new day landed and loaded on a copy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb

from inventory_platform.bronze.loader import LoadResult, landing_files, load_files
from inventory_platform.dr.fingerprints import table_fingerprints
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS
from inventory_platform.settings import Settings, load_settings

CLI = str(Path(sys.executable).parent / "inventory-platform")


def dr(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("INVENTORY_DUCKDB_PATH", "INVENTORY_LANDING_DIR")}
    return subprocess.run([CLI, "dr", *args], env={**clean, **env, "COLUMNS": "250"},
                          capture_output=True, text=True, timeout=300)


def fingerprints(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return table_fingerprints(con)
    finally:
        con.close()


def checklist_rows(output: str) -> dict[str, str]:
    """Check name -> PASS/FAIL from the rich tables."""
    return {m.group(1).strip(): m.group(2) for m in re.finditer(r"│ (.+?)\s+│ (PASS|FAIL)\s+│", output)}


def settings_with(env: dict[str, str], monkeypatch) -> Settings:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("INVENTORY_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("INVENTORY_LANDING_DIR", raising=False)
    return load_settings()


def flip_bytes(path: Path, count: int = 1) -> None:
    """Invert `count` bytes in the middle of a file: its size and footer stay intact."""
    with path.open("r+b") as handle:
        handle.seek(path.stat().st_size // 2)
        chunk = handle.read(count)
        handle.seek(-len(chunk), 1)
        handle.write(bytes(b ^ 0xFF for b in chunk))


def assert_refused(proc: subprocess.CompletedProcess, *named: str) -> str:
    """A refusal is one clear line on stderr naming what is wrong, exit code 1, no traceback."""
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert all(name in lines[0] for name in named), lines[0]
    return lines[0]


def land_next_day(landing: Path, id_offset: int) -> tuple[str, int]:
    """A new day of ledger rows after the newest one landed (the newest day's rows, a day later, with new
    transaction ids): the landing file an export would drop. Returns its path relative to the landing
    zone and its row count."""
    folder = landing / INVENTORY_TRANSACTIONS.name
    newest = max(date.fromisoformat(p.name.removeprefix("date=")) for p in folder.glob("date=*"))
    day = newest + timedelta(days=1)
    while (folder / f"date={day}").exists():
        day += timedelta(days=1)
    target = folder / f"date={day}" / "part-00000.parquet"
    target.parent.mkdir()
    con = duckdb.connect()
    try:
        source = str(folder / f"date={newest}" / "part-00000.parquet")
        shift = (day - newest).days
        con.execute(f"""copy (select * replace (transaction_id + {int(id_offset)} as transaction_id,
                                               event_ts + to_days({shift}) as event_ts)
                              from read_parquet(?, hive_partitioning = false))
                        to '{str(target).replace("'", "''")}' (format parquet)""", [source])
        rows = con.execute("select count(*) from read_parquet(?, hive_partitioning = false)", [str(target)]).fetchone()[0]
    finally:
        con.close()
    return target.relative_to(landing).as_posix(), rows


def load_ledger(settings: Settings) -> LoadResult:
    """What the Bronze ledger asset does on the copy the platform runs on: load every new landing file."""
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        return load_files(con, INVENTORY_TRANSACTIONS, landing_files(settings.landing_dir, INVENTORY_TRANSACTIONS),
                          settings.quarantine_dir)
    finally:
        con.close()

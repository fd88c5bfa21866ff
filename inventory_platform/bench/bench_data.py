"""Benchmark data, built once per scale and reused: the simulated landing zone, and warehouses built
through the real platform up to a chosen day (a "history").

Layout under INVENTORY_BENCH_DIR (default ~/.cache/inventory-platform/bench):
    <scale>-seed<seed>/landing/                  the simulator's output (Parquet by day), all days
    <scale>-seed<seed>/simulate.json             how that simulation went (time, memory, resumed or not)
    <scale>-seed<seed>/history-<last day>/       a platform instance: landing/ (symlinks to the simulated
                                                 files up to <last day>), warehouse.duckdb, dagster_home/,
                                                 build.json (how the full build that made it went),
                                                 build-inputs.json (what the build is made from, written
                                                 as it starts: a build interrupted midway is continued
                                                 when the inputs are unchanged)
A history's landing zone is a view of the simulated one, so "one new day lands" is one more day folder
appearing in it, exactly as an ERP export would.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS, SOURCE_TABLES
from inventory_platform.simulation.timeline import DEFAULT_END, DEFAULT_START
from inventory_platform.simulation.writer import read_manifest

SEED = 42
BUILD_RECORD = "build.json"


def bench_dir() -> Path:
    return Path(os.environ.get("INVENTORY_BENCH_DIR") or Path.home() / ".cache" / "inventory-platform" / "bench")


@dataclass(frozen=True)
class History:
    """A platform instance whose ledger holds every simulated day up to and including `last_day`."""

    root: Path
    last_day: date

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def duckdb_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def build_record(self) -> Path:
        return self.root / BUILD_RECORD

    @property
    def build_inputs(self) -> Path:
        return self.root / "build-inputs.json"

    @property
    def is_built(self) -> bool:
        return self.build_record.exists() and self.duckdb_path.exists()


def platform_env(root: Path, landing: Path, duckdb_path: Path) -> dict[str, str]:
    """Environment of a platform process working on one bench instance (nothing shared with data/)."""
    return {
        **os.environ,
        "INVENTORY_ENV": "local",
        "INVENTORY_DATA_DIR": str(root),
        "INVENTORY_DUCKDB_PATH": str(duckdb_path),
        "INVENTORY_LANDING_DIR": str(landing),
        "INVENTORY_QUARANTINE_DIR": str(root / "quarantine"),
        "INVENTORY_DR_DIR": str(root / "dr"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        # The bench builds the simulator's fixed history (to 2025-12-31), late by today's clock; how new the
        # data is is not what it measures, so data_is_current's window is a century (its runs must pass).
        "INVENTORY_DATA_FRESHNESS_WARN_HOURS": str(24 * 365 * 100),
        "INVENTORY_DATA_FRESHNESS_FAIL_HOURS": str(24 * 365 * 101),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }


class BenchData:
    """`start`: first simulated day (default: the simulator's 4-year history); a later start gives a shorter
    history, which is what the --quick smoke run uses to stay fast. Every simulation ends on the simulator's
    last day (DEFAULT_END)."""

    def __init__(self, scale: str, base: Path | None = None, seed: int = SEED, start: date | None = None):
        self.scale = scale
        self.seed = seed
        self.base = base
        self.start = start or DEFAULT_START
        self.root = (base or bench_dir()) / (f"{scale}-seed{seed}" + (f"-from{start.isoformat()}" if start else ""))

    def shorter(self, fraction: int = 10) -> BenchData:
        """The same scale and seed simulated over the last `fraction`th of this simulation's period: its history
        through the day before the last holds 1/fraction of the days of this one's, and the two histories take
        their daily increment on the same calendar day, of the same expected volume (the simulator's growth is
        measured from a fixed epoch, not from a simulation's start)."""
        history_days = (DEFAULT_END - self.start).days
        return BenchData(self.scale, self.base, self.seed,
                         start=DEFAULT_END - timedelta(days=max(round(history_days / fraction), 2)))

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def simulate_record(self) -> Path:
        """How the landing zone's simulation went (written when it completes)."""
        return self.root / "simulate.json"

    @property
    def simulate_attempt(self) -> Path:
        """Present while a simulation runs: one found at the start of another means that one was interrupted."""
        return self.root / "simulate-attempt.json"

    def landing_manifest(self) -> dict | None:
        """The landing zone's manifest when it holds this simulation completely, else None."""
        manifest = read_manifest(self.landing)
        wanted = (self.scale, self.seed, self.start.isoformat())
        if manifest and (manifest["scale"], manifest["seed"], manifest["start"]) == wanted \
                and all((self.landing / f["path"]).exists() for f in manifest["files"]):
            return manifest
        return None

    def days(self) -> list[date]:
        folder = self.landing / INVENTORY_TRANSACTIONS.name
        return sorted(date.fromisoformat(p.name.removeprefix("date=")) for p in folder.glob("date=*"))

    def history(self, last_day: date) -> History:
        return History(self.root / f"history-{last_day.isoformat()}", last_day)

    def ledger_rows_through(self, last_day: date) -> int:
        manifest = read_manifest(self.landing) or {"files": []}
        prefix = f"{INVENTORY_TRANSACTIONS.name}/date="
        return sum(f["rows"] for f in manifest["files"]
                   if f["path"].startswith(prefix) and date.fromisoformat(f["path"][len(prefix):len(prefix) + 10]) <= last_day)

    def prepare_landing_view(self, history: History) -> None:
        """(Re)create the history's landing zone: reference files, and ledger days up to its last day."""
        if history.landing.exists():
            shutil.rmtree(history.landing)
        history.landing.mkdir(parents=True)
        for table in SOURCE_TABLES.values():
            if not table.partitioned_by_day:
                (history.landing / table.name).symlink_to(self.landing / table.name, target_is_directory=True)
        (history.landing / INVENTORY_TRANSACTIONS.name).mkdir()
        for day in self.days():
            if day <= history.last_day:
                self.land_day(history.landing, day)

    def land_day(self, landing: Path, day: date) -> Path:
        """One simulated day of ledger files appears in a landing zone."""
        name = f"date={day.isoformat()}"
        target = landing / INVENTORY_TRANSACTIONS.name / name
        target.symlink_to(self.landing / INVENTORY_TRANSACTIONS.name / name, target_is_directory=True)
        return target

    @staticmethod
    def save_build(history: History, record: dict) -> None:
        save_json(history.build_record, record)

    @staticmethod
    def load_build(history: History) -> dict:
        return json.loads(history.build_record.read_text())


def save_json(path: Path, record: dict) -> None:
    """Written whole or not at all: a record read back by a resumed bench is never half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def load_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None

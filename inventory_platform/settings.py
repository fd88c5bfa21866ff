"""Environment for the whole platform, read from environment variables in one place.

INVENTORY_ENV selects the engine: `local` (DuckDB file, the default) or `prod` (Amazon Redshift).
Every path is absolute: dbt runs from a copied project directory, so relative paths would drift.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
LAYER_SCHEMAS = ("bronze", "silver", "gold")


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default.resolve()


@dataclass(frozen=True)
class Settings:
    env: str
    data_dir: Path
    duckdb_path: Path
    landing_dir: Path
    quarantine_dir: Path
    dagster_home: Path
    history_start: date  # first day of daily partitions for the transaction ledger
    cdc_stream_prefix: str = "inventory-cdc"  # streams <prefix>-raw, -clean, -dlq and table <prefix>-dedup
    cdc_dedup_store: str = "sqlite"  # handler dedup locally: sqlite (file) or dynamodb (the moto table)
    cdc_lag_warn_seconds: float = 30.0
    cdc_lag_fail_seconds: float = 300.0

    @property
    def is_local(self) -> bool:
        return self.env == "local"

    @property
    def streaming_dir(self) -> Path:
        """Local streaming state: endpoint pid/port, event-source-mapping checkpoints, source simulator."""
        return self.data_dir / "streaming"

    @property
    def dbt_target(self) -> str:
        return "local" if self.is_local else "prod"


def load_settings() -> Settings:
    env = os.environ.get("INVENTORY_ENV", "local")
    if env not in ("local", "prod"):
        raise ValueError(f"INVENTORY_ENV must be 'local' or 'prod', got {env!r}")
    data_dir = _path("INVENTORY_DATA_DIR", REPO_ROOT / "data")
    duckdb_path = _path("INVENTORY_DUCKDB_PATH", data_dir / "warehouse.duckdb")
    if duckdb_path.stem in LAYER_SCHEMAS:
        # DuckDB names the catalog after the file, which would then shadow the schema of that name.
        raise ValueError(f"INVENTORY_DUCKDB_PATH {duckdb_path}: the file name must not be a layer name {LAYER_SCHEMAS}")
    return Settings(
        env=env,
        data_dir=data_dir,
        duckdb_path=duckdb_path,
        landing_dir=_path("INVENTORY_LANDING_DIR", data_dir / "landing"),
        quarantine_dir=_path("INVENTORY_QUARANTINE_DIR", data_dir / "quarantine"),
        dagster_home=_path("DAGSTER_HOME", REPO_ROOT / ".dagster_home"),
        history_start=date.fromisoformat(os.environ.get("INVENTORY_HISTORY_START", "2022-01-01")),
        cdc_stream_prefix=os.environ.get("INVENTORY_CDC_STREAM_PREFIX", "inventory-cdc"),
        cdc_dedup_store=os.environ.get("INVENTORY_CDC_DEDUP", "sqlite"),
        cdc_lag_warn_seconds=float(os.environ.get("INVENTORY_CDC_LAG_WARN_SECONDS", "30")),
        cdc_lag_fail_seconds=float(os.environ.get("INVENTORY_CDC_LAG_FAIL_SECONDS", "300")),
    )


def export_process_environment(settings: Settings) -> None:
    """Make child processes (dbt, dagster) see the same absolute paths and no telemetry."""
    os.environ["INVENTORY_DUCKDB_PATH"] = str(settings.duckdb_path)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    settings.dagster_home.mkdir(parents=True, exist_ok=True)

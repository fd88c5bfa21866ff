"""Environment for the whole platform, read from environment variables in one place.

INVENTORY_ENV selects the engine: `local` (DuckDB file, the default) or `prod` (Amazon Redshift).
Every path is absolute: dbt runs from a copied project directory, so relative paths would drift.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from inventory_platform.bronze.landing_inventory import loadable_days
from inventory_platform.dr.active_location import read_active_pointer
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
LAYER_SCHEMAS = ("bronze", "silver", "gold")
DEFAULT_HISTORY_START = date(2022, 1, 1)


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
    history_start: date  # first day of the ledger's daily partitions (see ledger_history_start)
    cdc_stream_prefix: str = "inventory-cdc"  # streams <prefix>-raw, -clean, -dlq and table <prefix>-dedup
    cdc_dedup_store: str = "sqlite"  # handler dedup locally: sqlite (file) or dynamodb (the moto table)
    cdc_lag_warn_seconds: float = 30.0
    cdc_lag_fail_seconds: float = 300.0
    # Operations (ops_runbooks/): disk check thresholds (% of capacity used) and maintenance triggers.
    disk_warn_pct: float = 80.0
    disk_fail_pct: float = 90.0
    # Data freshness (check data_is_current): hours since the end of the newest event day a layer holds.
    data_freshness_warn_hours: float = 27.0
    data_freshness_fail_hours: float = 32.0
    redshift_storage_capacity_gb: float | None = None  # Serverless/RA3 budget; provisioned reads stv_partitions
    vacuum_unsorted_pct: float = 10.0
    analyze_stats_off_pct: float = 10.0
    code_url: str | None = None  # e.g. https://github.com/org/repo: code references and runbooks link there
    code_branch: str = "main"
    # Disaster recovery (inventory_platform/dr/): where backups and restored copies live, and which copy is live.
    dr_dir: Path | None = None
    dr_freshness_hours: float = 24.0  # verify fails when the newest loaded row is older than this
    active_location: str = "primary"  # or "dr:<backup id>" after `dr failover`
    # Cold tier (inventory_platform/cold_tier/): ledger history older than this many months before the newest
    # event date moves to Parquet under cold_dir (year=/month= partitions).
    cold_dir: Path | None = None
    cold_after_months: int = 36
    # Ledger restatement chunks (docs/late_arriving.md "Chunks"): a pass of at most this many Bronze ledger
    # rows per dbt invocation, in whole months; None: one chunk (the dbt var unset).
    ledger_chunk_rows: int | None = None
    # Readers' copy of Gold (inventory_platform/serving/): beside the warehouse, so a DR failover moves it too.
    published_gold_path: Path | None = None
    dashboard_port: int = 3001  # the executive dashboard (inventory_platform/dashboard/), on 127.0.0.1
    # dbt runs in the calling process (a run's, the CDC applier's) instead of a dbt process per command, which
    # would import dbt-core again (~3 s on two cores). INVENTORY_DBT_IN_PROCESS=0 goes back to a dbt process.
    dbt_in_process: bool = True

    @property
    def is_local(self) -> bool:
        return self.env == "local"

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.dashboard_port}"

    @property
    def streaming_dir(self) -> Path:
        """Local streaming state: endpoint pid/port, event-source-mapping checkpoints, source simulator."""
        return self.data_dir / "streaming"

    @property
    def dbt_target(self) -> str:
        return "local" if self.is_local else "prod"

    @property
    def warehouse_kind(self) -> str:
        """The engine, as Dagster's asset kinds name it."""
        return "duckdb" if self.is_local else "redshift"

    @property
    def schedules_start_running(self) -> bool:
        """Schedules start STOPPED locally: a laptop has no nightly landing files (simulated history ends in
        the past), and a schedule firing into a single-writer DuckDB file would lock out the analyst's own
        queries and `make docs`. In prod they start RUNNING: the deployment exists to run them."""
        return not self.is_local


def load_settings() -> Settings:
    env = os.environ.get("INVENTORY_ENV", "local")
    if env not in ("local", "prod"):
        raise ValueError(f"INVENTORY_ENV must be 'local' or 'prod', got {env!r}")
    data_dir = _path("INVENTORY_DATA_DIR", REPO_ROOT / "data")
    duckdb_path = _path("INVENTORY_DUCKDB_PATH", data_dir / "warehouse.duckdb")
    landing_dir = _path("INVENTORY_LANDING_DIR", data_dir / "landing")
    dr_dir = _path("INVENTORY_DR_DIR", data_dir.parent / f"{data_dir.name}-dr")
    active = read_active_pointer(dr_dir)
    if active is not None:  # `dr failover` repointed the platform at a restored copy; `dr rollback` undoes it
        duckdb_path, landing_dir = Path(active["duckdb_path"]), Path(active["landing_dir"])
    published_gold_path = _path("INVENTORY_PUBLISHED_GOLD_PATH", duckdb_path.with_name(f"{duckdb_path.stem}_published.duckdb"))
    for var, path in (("INVENTORY_DUCKDB_PATH", duckdb_path), ("INVENTORY_PUBLISHED_GOLD_PATH", published_gold_path)):
        if path.stem in LAYER_SCHEMAS:
            # DuckDB names the catalog after the file, which would then shadow the schema of that name.
            raise ValueError(f"{var} {path}: the file name must not be a layer name {LAYER_SCHEMAS}")
    return Settings(
        env=env,
        data_dir=data_dir,
        duckdb_path=duckdb_path,
        landing_dir=landing_dir,
        quarantine_dir=_path("INVENTORY_QUARANTINE_DIR", data_dir / "quarantine"),
        dagster_home=_path("DAGSTER_HOME", REPO_ROOT / ".dagster_home"),
        history_start=ledger_history_start(landing_dir),
        cdc_stream_prefix=os.environ.get("INVENTORY_CDC_STREAM_PREFIX", "inventory-cdc"),
        cdc_dedup_store=os.environ.get("INVENTORY_CDC_DEDUP", "sqlite"),
        cdc_lag_warn_seconds=float(os.environ.get("INVENTORY_CDC_LAG_WARN_SECONDS", "30")),
        cdc_lag_fail_seconds=float(os.environ.get("INVENTORY_CDC_LAG_FAIL_SECONDS", "300")),
        **_ops_thresholds(),
        code_url=os.environ.get("INVENTORY_CODE_URL") or None,
        code_branch=os.environ.get("INVENTORY_CODE_BRANCH", "main"),
        dr_dir=dr_dir,
        dr_freshness_hours=float(os.environ.get("INVENTORY_DR_FRESHNESS_HOURS", "24")),
        active_location=f"dr:{active['backup_id']}" if active else "primary",
        cold_dir=_path("INVENTORY_COLD_DIR", data_dir / "cold"),
        cold_after_months=_positive_int("INVENTORY_COLD_AFTER_MONTHS", 36),
        ledger_chunk_rows=_chunk_rows(env),
        published_gold_path=published_gold_path,
        dashboard_port=_positive_int("INVENTORY_DASHBOARD_PORT", 3001),
        dbt_in_process=_flag("INVENTORY_DBT_IN_PROCESS", default=True),
    )


# About one month at `full` (1M movements a day): `tiny` and `small` (30M rows) build in one chunk, `medium`
# (302M) in about eight. Redshift restates in one chunk unless INVENTORY_CHUNK_ROWS says otherwise.
DEFAULT_LOCAL_CHUNK_ROWS = 40_000_000


def _chunk_rows(env: str) -> int | None:
    """INVENTORY_CHUNK_ROWS: Bronze ledger rows per restatement chunk; 0 for no bound."""
    if "INVENTORY_CHUNK_ROWS" not in os.environ:
        return DEFAULT_LOCAL_CHUNK_ROWS if env == "local" else None
    raw = os.environ["INVENTORY_CHUNK_ROWS"]
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"INVENTORY_CHUNK_ROWS must be a whole number of rows (0: no bound), got {raw!r}") from None
    if value < 0:
        raise ValueError(f"INVENTORY_CHUNK_ROWS must be 0 (no bound) or positive, got {value}")
    return value or None


def ledger_history_start(landing_dir: Path) -> date:
    """The ledger's partitions follow the data: they start on the earliest landed day, so no landed day
    falls before them. INVENTORY_HISTORY_START overrides it (a day landed before it is then not loaded,
    and the Bronze check every_landed_file_accounted_for fails naming it); with no ledger landed yet,
    DEFAULT_HISTORY_START."""
    raw = os.environ.get("INVENTORY_HISTORY_START")
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"INVENTORY_HISTORY_START must be a day, YYYY-MM-DD, got {raw!r}") from None
    days = loadable_days(landing_dir, INVENTORY_TRANSACTIONS)
    return days[0] if days else DEFAULT_HISTORY_START


def _env_number(var: str, default, parse, what: str):
    """The number in environment variable `var` (`default` when unset), read by `parse`; `what` names it in
    the error when it is not one."""
    raw = os.environ.get(var)
    try:
        return parse(raw) if raw else default
    except ValueError:
        raise ValueError(f"{var} must be {what}, got {raw!r}") from None


def _positive_int(var: str, default: int) -> int:
    value = _env_number(var, default, int, "a whole number")
    if value <= 0:
        raise ValueError(f"{var} must be positive, got {value}")
    return value


def _flag(var: str, default: bool) -> bool:
    raw = os.environ.get(var, "").strip().lower()
    if not raw:
        return default
    if raw not in ("0", "1", "true", "false"):
        raise ValueError(f"{var} must be 0 or 1, got {raw!r}")
    return raw in ("1", "true")


def _percent(var: str, default: float) -> float:
    value = _env_number(var, default, float, "a number (percent)")
    if not 0 < value <= 100:
        raise ValueError(f"{var} must be a percentage in (0, 100], got {value}")
    return value


def _hours(var: str, default: float) -> float:
    value = _env_number(var, default, float, "a number of hours")
    if value <= 0:
        raise ValueError(f"{var} must be positive, got {value:g}")
    return value


def _ops_thresholds() -> dict:
    warn, fail = _percent("INVENTORY_DISK_WARN_PCT", 80.0), _percent("INVENTORY_DISK_FAIL_PCT", 90.0)
    if warn >= fail:
        raise ValueError(f"INVENTORY_DISK_WARN_PCT ({warn}) must be below INVENTORY_DISK_FAIL_PCT ({fail})")
    data_warn, data_fail = _hours("INVENTORY_DATA_FRESHNESS_WARN_HOURS", 27.0), _hours("INVENTORY_DATA_FRESHNESS_FAIL_HOURS", 32.0)
    if data_warn >= data_fail:
        raise ValueError(f"INVENTORY_DATA_FRESHNESS_WARN_HOURS ({data_warn:g}) must be below "
                         f"INVENTORY_DATA_FRESHNESS_FAIL_HOURS ({data_fail:g})")
    capacity = os.environ.get("INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB")
    try:
        capacity_gb = float(capacity) if capacity else None
    except ValueError:
        raise ValueError(f"INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB must be a number of GB, got {capacity!r}") from None
    if capacity_gb is not None and capacity_gb <= 0:
        raise ValueError(f"INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB must be positive, got {capacity_gb}")
    return {
        "disk_warn_pct": warn,
        "disk_fail_pct": fail,
        "data_freshness_warn_hours": data_warn,
        "data_freshness_fail_hours": data_fail,
        "redshift_storage_capacity_gb": capacity_gb,
        "vacuum_unsorted_pct": _percent("INVENTORY_VACUUM_UNSORTED_PCT", 10.0),
        "analyze_stats_off_pct": _percent("INVENTORY_ANALYZE_STATS_OFF_PCT", 10.0),
    }


def export_process_environment(settings: Settings) -> None:
    """Make child processes (dbt, dagster) see the same absolute paths and no telemetry."""
    os.environ["INVENTORY_DUCKDB_PATH"] = str(settings.duckdb_path)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    if settings.cold_dir is not None:  # dbt's union view reads the cold tier's Parquet from here
        os.environ["INVENTORY_COLD_DIR"] = str(settings.cold_dir)
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    settings.dagster_home.mkdir(parents=True, exist_ok=True)

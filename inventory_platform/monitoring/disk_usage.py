"""How full the warehouse's storage is: the DuckDB file on its volume, or Redshift managed storage."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse
from inventory_platform.monitoring.queries import monitoring_query
from inventory_platform.settings import Settings

MB = 1024 * 1024
GB = 1024 * MB


@dataclass(frozen=True)
class DiskUsage:
    engine: str
    used_bytes: int  # in use on the volume (DuckDB) or of the storage capacity (Redshift)
    capacity_bytes: int
    warehouse_bytes: int  # what the warehouse itself occupies
    details: Mapping[str, int | str] = field(default_factory=dict)

    @property
    def used_pct(self) -> float:
        return round(100.0 * self.used_bytes / self.capacity_bytes, 3)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return 0


def _existing_ancestor(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def read_duckdb_usage(path: Path) -> DiskUsage:
    """The database file, its write-ahead log and spill directory, and the free space left on their volume.

    Reads file sizes only, so it works while another process holds DuckDB's writer lock.
    """
    file_bytes = _size(path)
    wal_bytes = _size(path.with_name(path.name + ".wal"))
    temp_bytes = _size(path.with_name(path.name + ".tmp"))  # DuckDB's default temp_directory
    volume = shutil.disk_usage(_existing_ancestor(path.parent))
    return DiskUsage(
        engine="duckdb",
        used_bytes=volume.total - volume.free,
        capacity_bytes=volume.total,
        warehouse_bytes=file_bytes + wal_bytes + temp_bytes,
        details={"path": str(path), "file_bytes": file_bytes, "wal_bytes": wal_bytes,
                 "temp_bytes": temp_bytes, "free_bytes": volume.free},
    )


def read_redshift_usage(warehouse, capacity_gb: float | None) -> DiskUsage:
    """Managed storage of every table against the configured capacity, or node disks on a provisioned cluster."""
    used_mb, table_count = warehouse.query(monitoring_query("redshift_storage_total").sql)[0]
    used_bytes = int(used_mb or 0) * MB
    details: dict[str, int | str] = {"tables": int(table_count or 0), "table_bytes": used_bytes}
    if capacity_gb is not None:
        details["capacity_source"] = "INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB"
        return DiskUsage("redshift", used_bytes, int(capacity_gb * GB), used_bytes, details)
    try:
        rows = warehouse.query(monitoring_query("redshift_provisioned_disk_capacity").sql)
    except Exception as exc:  # noqa: BLE001 - re-raised with the fix
        raise RuntimeError(
            "cannot read node disk capacity (stv_partitions exists on provisioned clusters only): "
            f"set INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB for Redshift Serverless. Cause: {exc}") from exc
    node_used_mb, capacity_mb, _ = rows[0]
    if not capacity_mb:
        raise RuntimeError("stv_partitions reported no capacity: set INVENTORY_REDSHIFT_STORAGE_CAPACITY_GB")
    details["capacity_source"] = "stv_partitions"
    return DiskUsage("redshift", int(node_used_mb) * MB, int(capacity_mb) * MB, used_bytes, details)


def read_disk_usage(warehouse, settings: Settings) -> DiskUsage:
    if isinstance(warehouse, DuckDBWarehouse):
        return read_duckdb_usage(Path(warehouse.path))
    return read_redshift_usage(warehouse, settings.redshift_storage_capacity_gb)

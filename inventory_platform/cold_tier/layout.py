"""Where the cold tier keeps what: Parquet files per table under year=YYYY/month=M (hive partitions, the
layout Redshift UNLOAD ... PARTITION BY (year, month) writes), and the manifest table in the warehouse
that says which files are committed.

A file is part of the cold tier only when its offload_id (a column in the file and part of its name) has
rows in the manifest. The manifest rows are written in the same warehouse transaction that deletes the
hot rows, so a crash between writing files and that commit leaves files nobody reads (removed by the
next run) and the hot rows still in place: nothing lost, nothing counted twice.
"""

from __future__ import annotations

import re
from pathlib import Path

from inventory_platform.bronze import in_place
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS

MANIFEST = "silver.cold_tier_partitions"
# The silver ledger and its raw Bronze rows: cold table name -> hot relation.
LEDGER = "fct_inventory_transactions"
BRONZE_LEDGER = "bronze_inventory_transactions"
HOT_RELATIONS = {LEDGER: "silver.fct_inventory_transactions", BRONZE_LEDGER: "bronze.inventory_transactions"}
# Bronze is the landed Parquet read in place (bronze/in_place.py): its cold part is not a copy under the cold
# folder but its files of offloaded days, marked in the load log and read by this view.
BRONZE_SOURCE = INVENTORY_TRANSACTIONS
BRONZE_OFFLOADED = in_place.relation(INVENTORY_TRANSACTIONS, offloaded=True)
# The date that places a row in its partition.
PARTITION_DATE = {LEDGER: "event_date", BRONZE_LEDGER: "cast(event_ts as date)"}
STAGING = "_staging"

MANIFEST_DDL = f"""
create table if not exists {MANIFEST} (
    table_name varchar not null,
    year integer not null,
    month integer not null,
    offload_id varchar not null,
    cutoff_date date not null,
    row_count bigint not null,
    quantity_sum bigint not null,
    value_sum decimal(38, 4),
    offloaded_at timestamp not null
)"""

_FILE_NAME = re.compile(r"^part-(?P<offload_id>[0-9A-Za-z-]+?)-\d+\.parquet$")


def table_dir(cold_dir: Path, table: str) -> Path:
    return cold_dir / table


def table_glob(cold_dir: Path, table: str) -> str:
    return str(table_dir(cold_dir, table) / "year=*" / "month=*" / "*.parquet")


def offload_id_of(path: Path) -> str | None:
    match = _FILE_NAME.match(path.name)
    return match["offload_id"] if match else None


def cold_files(cold_dir: Path, table: str) -> list[Path]:
    return sorted(table_dir(cold_dir, table).glob("year=*/month=*/*.parquet"))


def file_pattern(offload_id: str) -> str:
    """DuckDB COPY ... FILENAME_PATTERN: part-<offload id>-<i>.parquet."""
    return f"part-{offload_id}-{{i}}"

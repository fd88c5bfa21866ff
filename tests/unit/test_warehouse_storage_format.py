"""The warehouse file's storage format under DuckDB 2, as README's *Upgrading* section states it: a file the
platform creates is in the v2 format (DuckDB 1.x cannot open it), an existing 1.x-format file stays in its
format when the platform writes to it, and README's copy command turns a v2 file into a 1.x-format one."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb

from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS
from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from tests.unit.test_bronze_ingestion import tx_rows, write_tx

README = Path(__file__).resolve().parents[2] / "README.md"


def storage_version(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT tags['storage_version'] FROM duckdb_databases() WHERE path = ?",
                           [str(path)]).fetchall()[0][0]
    finally:
        con.close()


def load_one_day(warehouse: Path, tmp_path: Path, day: int) -> int:
    write_tx(tmp_path / "landing", day, tx_rows(day, day * 100))
    with connect_duckdb(warehouse) as con:
        files = landing_files(tmp_path / "landing", INVENTORY_TRANSACTIONS)
        load_files(con, INVENTORY_TRANSACTIONS, files, tmp_path / "quarantine")
        con.execute("CHECKPOINT")
        return con.execute("SELECT count(*) FROM bronze.inventory_transactions").fetchall()[0][0]


def test_a_warehouse_the_platform_creates_is_in_the_v2_format(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    assert load_one_day(warehouse, tmp_path, 1) == 3
    assert storage_version(warehouse) == "v2.0.0+"


def test_a_1x_format_warehouse_stays_in_its_format_when_the_platform_writes_to_it(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect()
    con.execute(f"ATTACH '{warehouse}' AS old (STORAGE_VERSION 'v1.0.0')")  # what DuckDB 1.x writes
    con.execute("CREATE TABLE old.made_by_1x AS SELECT 1 AS id")
    con.close()
    assert load_one_day(warehouse, tmp_path, 1) == 3
    assert load_one_day(warehouse, tmp_path, 2) == 6
    assert storage_version(warehouse) == "v1.0.0+"


def test_the_readme_copy_command_writes_every_table_into_a_1x_format_file(tmp_path):
    (tmp_path / "data").mkdir()
    warehouse = tmp_path / "data" / "warehouse.duckdb"
    load_one_day(warehouse, tmp_path, 1)
    section = README.read_text().split("## Upgrading: DuckDB 2", 1)[1]
    command = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    command = command.replace(".venv/bin/python", sys.executable)
    subprocess.run(["bash", "-c", command], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    copy = tmp_path / "data" / "warehouse_v1.duckdb"
    assert storage_version(copy) == "v1.0.0+"
    con = duckdb.connect(str(copy), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM bronze.inventory_transactions").fetchall()[0][0] == 3
    finally:
        con.close()

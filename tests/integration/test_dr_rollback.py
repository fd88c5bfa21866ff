"""`dr rollback` never loses what the DR copy took after a failover: it refuses, naming the batches,
rows and landing files the primary lacks, and `--carry-back` makes the DR copy the primary again.
Real `inventory-platform dr` processes on a real tiny Bronze warehouse; the DR copy's writes go
through the real Bronze loader."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from inventory_platform.serving.gold_reader import gold_query, published_info
from tests.support.dr import assert_refused, checklist_rows, dr, fingerprints, land_next_day, load_ledger, settings_with
from tests.support.tiny_bronze import build_tiny_bronze

LEDGER = "bronze.inventory_transactions"


@pytest.fixture(scope="module")
def tiny_bronze(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("dr_rollback") / "data"
    build_tiny_bronze(data, seed=11)
    return data


@pytest.fixture
def platform(tiny_bronze, tmp_path) -> dict[str, str]:
    """A fresh primary per test (copied from the module's tiny Bronze), its DR dir and Dagster home."""
    data = tmp_path / "data"
    shutil.copytree(tiny_bronze, data)
    return {"INVENTORY_DATA_DIR": str(data), "INVENTORY_DR_DIR": str(tmp_path / "secondary"),
            "DAGSTER_HOME": str(tmp_path / "dagster_home")}


def ledger_batches(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return dict(con.execute(f"select _batch_id, count(*) from {LEDGER} group by 1").fetchall())
    finally:
        con.close()


def fail_over_and_load_a_new_day(env: dict[str, str], monkeypatch) -> tuple[str, int, str]:
    """Backup, failover, then a new day landed and loaded on the DR copy: (file, rows, batch id)."""
    assert dr(env, "backup").returncode == 0
    proc = dr(env, "failover")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    on_dr = settings_with(env, monkeypatch)
    assert on_dr.active_location.startswith("dr:")
    name, rows = land_next_day(on_dr.landing_dir, id_offset=10_000_000)
    loaded = load_ledger(on_dr)
    assert loaded.rows_loaded == rows > 0 and not loaded.rejections
    return name, rows, loaded.batch_id


def test_rollback_refuses_while_the_dr_copy_holds_writes_the_primary_lacks(platform, monkeypatch):
    primary = Path(platform["INVENTORY_DATA_DIR"]) / "warehouse.duckdb"
    before = fingerprints(primary)
    name, rows, batch = fail_over_and_load_a_new_day(platform, monkeypatch)

    line = assert_refused(dr(platform, "rollback"), "rollback refused", f"1 Bronze batch(es) with {rows:,} rows",
                          LEDGER, batch, "1 landing file(s)", name, "--carry-back")
    print(line)
    # Nothing moved: the platform still runs on the DR copy, which keeps its rows; the primary is as it was.
    on_dr = settings_with(platform, monkeypatch)
    assert on_dr.active_location.startswith("dr:") and ledger_batches(on_dr.duckdb_path)[batch] == rows
    assert fingerprints(primary) == before


def test_carry_back_makes_the_dr_copy_the_primary_with_its_new_rows(platform, monkeypatch):
    primary = Path(platform["INVENTORY_DATA_DIR"]) / "warehouse.duckdb"
    before = fingerprints(primary)
    name, rows, batch = fail_over_and_load_a_new_day(platform, monkeypatch)
    on_dr = settings_with(platform, monkeypatch)
    # A second day landed on the DR copy but not loaded yet: a file the primary lacks all the same.
    unloaded, unloaded_rows = land_next_day(on_dr.landing_dir, id_offset=20_000_000)
    dr_copy = fingerprints(on_dr.duckdb_path)

    proc = dr(platform, "rollback", "--carry-back")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert checklist_rows(proc.stdout) == {"primary: DR copy carried back": "PASS",
                                           "primary: holds every write of the DR copy": "PASS",
                                           "primary: nothing lost": "PASS"}
    assert f"{rows:,} rows" in proc.stdout and "2 landing file(s)" in proc.stdout
    settings = settings_with(platform, monkeypatch)
    assert settings.active_location == "primary" and settings.duckdb_path == primary
    assert fingerprints(primary) == dr_copy and ledger_batches(primary)[batch] == rows
    for landed in (name, unloaded):
        assert (settings.landing_dir / landed).read_bytes() == (on_dr.landing_dir / landed).read_bytes()
    kept = list(primary.parent.glob("warehouse.duckdb.before-carry-back-*"))
    assert len(kept) == 1 and fingerprints(kept[0]) == before

    # Back on the primary the next load takes the day that was only landed, and not the carried one again.
    again = load_ledger(settings)
    assert again.rows_loaded == unloaded_rows and again.files_loaded == [str(settings.landing_dir / unloaded)]
    assert sum(ledger_batches(primary).values()) == dr_copy[LEDGER]["rows"] + unloaded_rows


def test_carry_back_refuses_when_the_primary_took_writes_too(platform, monkeypatch):
    primary = Path(platform["INVENTORY_DATA_DIR"]) / "warehouse.duckdb"
    on_primary = settings_with(platform, monkeypatch)
    assert dr(platform, "backup").returncode == 0
    # Written on the primary after the backup (the RPO window), then the failover to that backup.
    land_next_day(on_primary.landing_dir, id_offset=30_000_000)
    primary_batch = load_ledger(on_primary).batch_id
    proc = dr(platform, "failover")
    assert proc.returncode == 0, proc.stderr
    on_dr = settings_with(platform, monkeypatch)
    land_next_day(on_dr.landing_dir, id_offset=40_000_000)
    assert load_ledger(on_dr).rows_loaded > 0
    before = fingerprints(primary)

    assert_refused(dr(platform, "rollback"), "rollback refused")
    assert_refused(dr(platform, "rollback", "--carry-back"), "carry-back refused", "diverged", primary_batch)
    assert settings_with(platform, monkeypatch).active_location.startswith("dr:")
    assert fingerprints(primary) == before and not list(primary.parent.glob("*.before-carry-back-*"))


def test_rollback_refuses_a_primary_that_lost_rows_the_backup_held(platform, monkeypatch):
    primary = Path(platform["INVENTORY_DATA_DIR"]) / "warehouse.duckdb"
    assert dr(platform, "backup").returncode == 0
    assert dr(platform, "failover").returncode == 0
    con = duckdb.connect(str(primary))  # the primary was damaged while the platform ran on the DR copy
    try:  # the ledger's Bronze is the landed files the load log names (bronze/in_place.py): lose some of them
        con.execute("delete from bronze.load_log where source_table = 'inventory_transactions' and load_file_key % 10 = 0")
    finally:
        con.close()
    assert_refused(dr(platform, "rollback"), "rollback refused", "lacks rows", LEDGER, "stay on the DR copy")
    assert settings_with(platform, monkeypatch).active_location.startswith("dr:")


def test_readers_follow_failover_and_rollback_to_the_gold_of_the_copy_in_use(platform, monkeypatch):
    """After `dr failover` readers read the restored copy's Gold, after `dr rollback` the primary's again: each
    command publishes the Gold of the warehouse the platform now runs on (serving/)."""
    primary = Path(platform["INVENTORY_DATA_DIR"]) / "warehouse.duckdb"
    con = duckdb.connect(str(primary))
    try:
        con.execute("CREATE SCHEMA gold")
        con.execute("CREATE TABLE gold.gold_inventory_value_trend AS SELECT 'TOTAL' AS scope, 100 AS value_usd")
    finally:
        con.close()
    assert dr(platform, "backup").returncode == 0
    con = duckdb.connect(str(primary))
    try:
        con.execute("UPDATE gold.gold_inventory_value_trend SET value_usd = 200")  # the primary moved on since
    finally:
        con.close()

    def readers_see(settings) -> tuple[str, int]:
        with gold_query(settings) as read:
            return (published_info(settings, read)["build_id"],
                    read("SELECT value_usd FROM gold.gold_inventory_value_trend")[0][0])

    proc = dr(platform, "failover")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    on_dr = settings_with(platform, monkeypatch)
    assert on_dr.published_gold_path.parent == on_dr.duckdb_path.parent != primary.parent
    build, value = readers_see(on_dr)
    assert build.startswith("dr failover to backup ") and value == 100

    proc = dr(platform, "rollback")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    back = settings_with(platform, monkeypatch)
    assert back.duckdb_path == primary and readers_see(back) == ("dr rollback", 200)

"""Fault injection for disaster recovery (issue 16, suite c): a damaged backup and writes on the DR copy.

- Damaged backups: one good tiny backup, then one fault per case (bytes flipped, truncated, deleted, an
  extra file; in the warehouse, a ledger day, a reference table, the landing manifest): every failover
  is refused with a message naming the damaged file, and the platform stays on the primary.
- Writes on the DR copy: after a failover, each kind of write the copy can take (a landing file loaded
  through the Bronze loader, one only landed, a bad one quarantined, a CDC micro-batch through the real
  CDC loader): rollback is refused naming it, and `--carry-back` brings it to the primary.
- The drill of both: the newest backup damaged, failover to the one before, writes, carry-back; no
  row of either copy lost.
The figures are printed in the test output. Seeded, tiny scale, a minute or so in all.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from contextlib import contextmanager
from pathlib import Path

import boto3
import duckdb
import pytest
from moto import mock_aws

from inventory_platform.cdc.bronze_loader import BronzeCdcLoader
from inventory_platform.dr import operations
from inventory_platform.dr.active_location import read_active_pointer
from inventory_platform.dr.backup import BackupDamaged, load_backup
from inventory_platform.settings import Settings
from streaming.local.shard_reader import ShardReader
from tests.support.dr import fingerprints, flip_bytes, land_next_day, load_ledger, settings_with
from tests.support.tiny_bronze import build_tiny_bronze

SEED = 16


@pytest.fixture(scope="module")
def tiny_bronze(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("dr_faults") / "data"
    build_tiny_bronze(data, seed=11)
    return data


@pytest.fixture
def platform(tiny_bronze, tmp_path, monkeypatch):
    """Settings of a fresh copy of the tiny primary; `.env` re-reads them (after a failover or rollback)."""
    data = tmp_path / "data"
    shutil.copytree(tiny_bronze, data)
    env = {"INVENTORY_DATA_DIR": str(data), "INVENTORY_DR_DIR": str(tmp_path / "data-dr")}
    return lambda: settings_with(env, monkeypatch)


def report(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n[dr faults] {line}")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _extra(path: Path) -> None:
    shutil.copy2(path, path.with_name("part-00001.parquet"))


FAULTS = {"64 bytes flipped": lambda p: flip_bytes(p, 64), "1 byte flipped": flip_bytes,
          "truncated": _truncate, "deleted": Path.unlink, "extra file beside it": _extra}


def damage_cases(backup: Path) -> list[tuple[str, str, str]]:
    """(fault, file it hits, file the refusal must name): every fault on a seeded ledger day, and the
    warehouse, a reference table and the landing manifest each with a seeded fault."""
    rng = random.Random(SEED)
    days = sorted(p.relative_to(backup).as_posix() for p in (backup / "landing" / "inventory_transactions").rglob("*.parquet"))
    cases = []
    for fault in FAULTS:
        day = rng.choice(days)
        named = day.replace("part-00000", "part-00001") if fault == "extra file beside it" else day
        cases.append((fault, day, named))
    for target in ("warehouse.duckdb", "landing/products/products.parquet", "landing/manifest.json"):
        fault = rng.choice(["64 bytes flipped", "1 byte flipped", "truncated", "deleted"])
        cases.append((fault, target, target))
    return cases


def test_every_damaged_backup_is_refused_by_name(platform, tmp_path, capsys):
    settings = platform()
    good = operations.backup(settings)
    refused = []
    for i, (fault, target, named) in enumerate(damage_cases(good.dir)):
        dr_dir = tmp_path / f"case{i}"
        copy = dr_dir / "backups" / good.id
        shutil.copytree(good.dir, copy, copy_function=os.link)  # cheap; the damaged file gets its own bytes
        (copy / target).unlink()
        shutil.copy2(good.dir / target, copy / target)
        FAULTS[fault](copy / target)
        with pytest.raises(BackupDamaged) as refusal:
            operations.failover(settings, dr_dir)
        message = str(refusal.value)
        assert named in message and "\n" not in message, (fault, target, message)
        assert read_active_pointer(dr_dir) is None and not (dr_dir / "restored").exists()
        refused.append(f"{fault}: {named}")
    assert platform().active_location == "primary"
    report(capsys, f"damaged backups: {len(refused)} faults tried, {len(refused)} failovers refused naming the file, "
                   f"0 restored ({'; '.join(refused)})")


def land_bad_file(landing: Path) -> str:
    """A ledger file without its quantity column, landed in a new day folder: Bronze quarantines it."""
    name, _ = land_next_day(landing, id_offset=50_000_000)
    path, tmp = landing / name, landing / (name + ".tmp")
    con = duckdb.connect()
    try:
        con.execute(f"copy (select * exclude (quantity) from read_parquet(?, hive_partitioning = false)) "
                    f"to '{str(tmp).replace(chr(39), chr(39) * 2)}' (format parquet)", [str(path)])
    finally:
        con.close()
    tmp.replace(path)
    return name


def cdc_micro_batch(settings: Settings, events: int) -> int:
    """A micro-batch of the clean CDC stream loaded into Bronze by the real CDC loader (Kinesis in-process)."""
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name="us-east-1")
        kinesis.create_stream(StreamName="inventory-cdc-clean", ShardCount=1)
        kinesis.put_records(StreamName="inventory-cdc-clean", Records=[
            {"Data": json.dumps({"op": "u", "transaction_id": i}).encode(), "PartitionKey": str(i)} for i in range(events)])

        @contextmanager
        def connect(timeout_s=None):
            con = duckdb.connect(str(settings.duckdb_path))
            try:
                yield con
            finally:
                con.close()

        return BronzeCdcLoader(ShardReader(kinesis, "inventory-cdc-clean"), connect).poll()


def write_loaded_file(settings: Settings) -> tuple[list[str], int]:
    name, rows = land_next_day(settings.landing_dir, id_offset=10_000_000)
    assert load_ledger(settings).rows_loaded == rows
    return [name, "bronze.inventory_transactions"], rows


def write_landed_only(settings: Settings) -> tuple[list[str], int]:
    name, _ = land_next_day(settings.landing_dir, id_offset=20_000_000)
    return [name], 0


def write_quarantined_file(settings: Settings) -> tuple[list[str], int]:
    name = land_bad_file(settings.landing_dir)
    loaded = load_ledger(settings)
    assert loaded.rows_loaded == 0 and len(loaded.rejections) == 1
    return [name], 0


def write_cdc_batch(settings: Settings) -> tuple[list[str], int]:
    rows = cdc_micro_batch(settings, events=25)
    assert rows == 25
    return ["bronze.cdc_events", f"{rows} rows"], rows


WRITES = {"landing file loaded": write_loaded_file, "landing file only landed": write_landed_only,
          "bad landing file quarantined": write_quarantined_file, "CDC micro-batch": write_cdc_batch}


def bronze_rows(path: Path) -> int:
    return sum(t["rows"] for name, t in fingerprints(path).items() if name.startswith("bronze."))


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_on_the_dr_copy_survives_rollback(platform, write, capsys):
    primary = platform()
    backup = operations.backup(primary)
    operations.failover(primary)
    on_dr = platform()
    assert on_dr.active_location == f"dr:{backup.id}"
    named, rows = WRITES[write](on_dr)
    dr_rows = bronze_rows(on_dr.duckdb_path)

    with pytest.raises(RuntimeError) as refusal:
        operations.rollback(on_dr)
    assert "rollback refused" in str(refusal.value) and all(n in str(refusal.value) for n in named), str(refusal.value)
    assert platform().active_location == on_dr.active_location  # nothing moved

    items = operations.rollback(on_dr, carry=True)
    assert all(i.passed for i in items), items
    back = platform()
    assert back.active_location == "primary" and bronze_rows(back.duckdb_path) == dr_rows
    for name in (n for n in named if "/" in n):
        assert (back.landing_dir / name).read_bytes() == (on_dr.landing_dir / name).read_bytes()
    report(capsys, f"DR-copy write '{write}': rollback refused naming it, carried back: "
                   f"{rows} rows, primary Bronze {dr_rows:,} rows = DR copy's, 0 lost")


def test_drill_with_a_damaged_newest_backup_and_writes_on_the_dr_copy(platform, capsys):
    primary = platform()
    older = operations.backup(primary)
    newest = operations.backup(primary)
    flip_bytes(newest.dir / "landing" / "inventory_transactions" / "date=2025-06-30" / "part-00000.parquet", 64)
    with pytest.raises(BackupDamaged, match="date=2025-06-30"):
        operations.failover(primary)  # the newest backup by default
    operations.failover(primary, backup_id=older.id)
    on_dr = platform()
    batches = [write(on_dr) for write in (write_loaded_file, write_cdc_batch, write_landed_only)]
    dr_rows = bronze_rows(on_dr.duckdb_path)
    with pytest.raises(RuntimeError, match="rollback refused"):
        operations.rollback(on_dr)
    operations.rollback(on_dr, carry=True)
    back = platform()
    assert back.active_location == "primary" and bronze_rows(back.duckdb_path) == dr_rows
    assert load_backup(back.dr_dir, newest.id).dir.exists(), "the damaged backup stays for forensics"
    report(capsys, f"drill: newest backup damaged -> refused, failed over to {older.id}, "
                   f"{sum(r for _, r in batches)} rows written on the DR copy, carried back, 0 lost")

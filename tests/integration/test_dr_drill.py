"""Disaster recovery of the local platform, through the real `inventory-platform dr` processes on a real
tiny warehouse (Bronze loaded, `dbt build` run): the drill passes end to end, and a corrupted restored
copy fails verification while rollback returns to an intact primary."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from inventory_platform.dr.active_location import pointer_path
from inventory_platform.settings import REPO_ROOT
from tests.support.dbt_runner import run_dbt
from tests.support.dr import assert_refused, checklist_rows, dr, fingerprints, flip_bytes, settings_with
from tests.support.tiny_bronze import build_tiny_bronze


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("dr")
    data = root / "data"
    data.mkdir()
    # Its own warehouse, not the session's shared tiny Silver: the DR copy must hold this data dir's landing paths.
    run_dbt(["build"], "local", root, {"INVENTORY_DUCKDB_PATH": str(build_tiny_bronze(data, seed=11))})
    return {"INVENTORY_DATA_DIR": str(data), "INVENTORY_DR_DIR": str(root / "secondary"),
            "DAGSTER_HOME": str(root / "dagster_home")}


def checkout_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_drill_on_tiny_passes_every_item_and_logs_rpo_rto(platform):
    primary = Path(platform["INVENTORY_DATA_DIR"]) / "warehouse.duckdb"
    before = fingerprints(primary)
    runbooks = checkout_files(REPO_ROOT / "ops_runbooks")
    proc = dr(platform, "drill")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    rows = checklist_rows(proc.stdout)
    assert rows and set(rows.values()) == {"PASS"}, rows
    assert {f"rows+checksum {t}" for t in before} | {
        "tables: same set as the backup", "gold reconciliation: gold monthly = silver month-end snapshot",
        "gold reconciliation: gold by region = gold monthly", "freshness: newest loaded row within 24 h",
        "dbt tests green", "primary: nothing lost"} <= rows.keys()
    measured = re.search(r"RPO ([\d.]+) s .* RTO ([\d.]+) s", proc.stdout.replace("\n", " "))
    assert measured and float(measured.group(2)) > 0, proc.stdout[-1000:]
    # The log goes to the DR dir: a drill leaves the checkout as it was.
    assert checkout_files(REPO_ROOT / "ops_runbooks") == runbooks
    log_rows = [line for line in (Path(platform["INVENTORY_DR_DIR"]) / "dr_drill_log.md").read_text().splitlines()
                if "| tiny |" in line]
    assert len(log_rows) == 1 and log_rows[0].rstrip().endswith("| PASS |")
    assert f"| {measured.group(1)} s |" in log_rows[0] and f"| {measured.group(2)} s |" in log_rows[0]
    # The drill worked on a copy: the primary, the real backups and the platform's pointer are untouched.
    assert fingerprints(primary) == before
    secondary = Path(platform["INVENTORY_DR_DIR"])
    assert not pointer_path(secondary).exists() and not (secondary / "backups").exists()
    assert not any((secondary / "drills").iterdir()), "a passed drill cleans up its copy"


def test_corrupted_restore_fails_verify_and_rollback_restores_the_primary(platform, monkeypatch):
    primary = Path(platform["INVENTORY_DATA_DIR"]) / "warehouse.duckdb"
    before = fingerprints(primary)
    assert dr(platform, "backup").returncode == 0
    manifest = json.loads(next(Path(platform["INVENTORY_DR_DIR"], "backups").glob("*/manifest.json")).read_text())
    assert manifest["tables"] == before and manifest["landing"]["present"] and manifest["cold"]["present"] is False

    proc = dr(platform, "failover")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    settings = settings_with(platform, monkeypatch)
    assert settings.active_location == f"dr:{manifest['backup_id']}"
    restored = settings.duckdb_path
    assert restored != primary and restored.exists() and (settings.landing_dir / "manifest.json").exists()

    con = duckdb.connect(str(restored))
    try:
        deleted = con.execute("""delete from gold.gold_inventory_value_monthly
            where month_key = (select max(month_key) from gold.gold_inventory_value_monthly)""").fetchone()[0]
        con.execute("update silver.dim_warehouse set warehouse_name = warehouse_name || ' (flipped)' where warehouse_id = "
                    "(select min(warehouse_id) from silver.dim_warehouse)")
    finally:
        con.close()
    assert deleted > 0
    landing_file = "inventory_transactions/date=2025-12-30/part-00000.parquet"
    flip_bytes(settings.landing_dir / landing_file, 64)

    proc = dr(platform, "verify")
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    rows = checklist_rows(proc.stdout)
    failed = {name for name, state in rows.items() if state == "FAIL"}
    assert {"rows+checksum gold.gold_inventory_value_monthly", "rows+checksum silver.dim_warehouse",
            "gold reconciliation: gold monthly = silver month-end snapshot", "landing files: SHA-256 as backed up"} <= failed, rows
    assert f"landing/{landing_file}" in proc.stdout.replace("\n", ""), proc.stdout[-3000:]
    # The ledger's Bronze is the landed Parquet read in place (bronze/in_place.py): a damaged landed file damages it.
    assert rows["rows+checksum bronze.inventory_transactions"] == "FAIL"

    proc = dr(platform, "rollback")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The damaged landing file was never loaded on the copy: no write of the copy is lost by rolling back.
    assert checklist_rows(proc.stdout) == {"primary: holds every write of the DR copy": "PASS", "primary: nothing lost": "PASS"}
    settings = settings_with(platform, monkeypatch)
    assert settings.active_location == "primary" and settings.duckdb_path == primary
    assert fingerprints(primary) == before, "the primary lost or changed data"
    assert restored.exists(), "the failed copy stays for forensics"
    assert dr(platform, "verify").returncode != 0  # nothing to verify on the primary: a clear error, not a pass


@pytest.mark.parametrize("damaged", ["warehouse.duckdb", "landing/inventory_transactions/date=2025-12-31/part-00000.parquet"])
def test_failover_refuses_a_damaged_backup_by_name(platform, tmp_path, monkeypatch, damaged):
    env = {**platform, "INVENTORY_DR_DIR": str(tmp_path / "secondary")}
    assert dr(env, "backup").returncode == 0
    flip_bytes(next((tmp_path / "secondary" / "backups").glob(f"*/{damaged}")), 64)
    assert_refused(dr(env, "failover"), damaged, "SHA-256 differs")
    assert settings_with(env, monkeypatch).active_location == "primary"

"""Readers of Gold never wait for a writer: they open the published copy (inventory_platform/serving/), which each
Gold build replaces whole, while the warehouse file stays locked by whoever writes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.serving.gold_reader import GoldNotPublished, gold_query, published_info
from inventory_platform.serving.published_gold import publish_gold, remove_abandoned_copies
from inventory_platform.settings import load_settings

COLUMNS = ("value_usd DECIMAL(18,2), prior_year_value_usd DECIMAL(18,2), yoy_change_usd DECIMAL(18,2), yoy_pct DOUBLE, "
           "value_constant_currency_usd DECIMAL(18,2), constant_currency_yoy_pct DOUBLE")
# Holds the platform's writer lock and a DuckDB write transaction on the warehouse, as a long dbt build does.
WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from inventory_platform.lib.duckdb_warehouse import connect_duckdb
    with connect_duckdb(Path(sys.argv[1])) as con:
        con.execute("BEGIN")
        con.execute("UPDATE gold.gold_inventory_value_trend SET value_usd = value_usd + 1")
        print("writing", flush=True)
        time.sleep(float(sys.argv[2]))
        con.execute("COMMIT")
""")


def build_gold(path: Path, value: int) -> None:
    """A warehouse whose Gold has the roll-ups' real columns: 24 month ends, total + two regions."""
    with connect_duckdb(path) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS gold")
        months = "SELECT (DATE '2023-01-31' + INTERVAL (i) MONTH)::DATE AS month_end_date, 202301 + i AS month_key " \
                 "FROM range(24) t(i)"
        con.execute(f"CREATE OR REPLACE TABLE gold.gold_inventory_value_trend (month_end_date DATE, month_key INT, "
                    f"scope VARCHAR, {COLUMNS})")
        con.execute(f"INSERT INTO gold.gold_inventory_value_trend SELECT month_end_date, month_key, 'TOTAL', "
                    f"{value} + month_key, 1000, {value} + month_key - 1000, 0.5, {value}, 0.4 FROM ({months})")
        con.execute(f"CREATE OR REPLACE TABLE gold.gold_inventory_value_by_region (month_end_date DATE, month_key INT, "
                    f"region VARCHAR, {COLUMNS})")
        con.execute(f"INSERT INTO gold.gold_inventory_value_by_region SELECT month_end_date, month_key, r, {value}, "
                    f"1000, {value} - 1000, 0.5, {value}, 0.4 FROM ({months}), (VALUES ('EU'), ('NA')) v(r)")


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> dict:
    data = tmp_path / "data"
    monkeypatch.setenv("INVENTORY_ENV", "local")
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(data))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(data / "warehouse.duckdb"))
    monkeypatch.setenv("INVENTORY_LANDING_DIR", str(data / "landing"))
    monkeypatch.delenv("INVENTORY_PUBLISHED_GOLD_PATH", raising=False)
    settings = load_settings()
    build_gold(settings.duckdb_path, 5000)
    with connect_duckdb(settings.duckdb_path, read_only=True) as con:
        publish_gold(con, settings.published_gold_path, "build-1")
    return {"settings": settings, "env": {**os.environ}}


def latest_value(settings) -> float:
    with gold_query(settings) as query:
        return float(query("SELECT max(value_usd) FROM gold.gold_inventory_value_trend")[0][0])


def test_reads_answer_within_seconds_while_a_writer_holds_the_warehouse(workspace):
    settings = workspace["settings"]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(settings.duckdb_path), "40"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        with pytest.raises(duckdb.IOException, match="lock"):  # the warehouse itself is not readable meanwhile
            duckdb.connect(str(settings.duckdb_path), read_only=True)

        started = time.monotonic()
        report = subprocess.run([sys.executable, "-m", "inventory_platform.cli", "report", "yoy", "--format", "json"],
                                env=workspace["env"], capture_output=True, text=True, timeout=60)
        report_s = time.monotonic() - started
        assert report.returncode == 0, report.stderr
        rows = json.loads(report.stdout)
        assert [r["month_end_date"] for r in rows][-1] == "2024-12-31" and len(rows) == 24
        assert rows[-1]["value_usd"] == 5000 + 202301 + 23

        # The documented entry point for an analyst's own tool: the published file, read-only, plain DuckDB.
        started = time.monotonic()
        analyst = subprocess.run(
            [sys.executable, "-c", "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).execute("
                                   "'SELECT count(*) FROM gold.gold_inventory_value_by_region').fetchone()[0])",
             str(settings.published_gold_path)], capture_output=True, text=True, timeout=60)
        analyst_s = time.monotonic() - started
        assert analyst.stdout.strip() == "48", analyst.stderr

        assert writer.poll() is None, "the writer finished before the reads: they did not overlap it"
        assert report_s < 20 and analyst_s < 20, (report_s, analyst_s)
    finally:
        writer.kill()
        writer.wait()


def test_an_open_reader_keeps_one_build_and_a_new_reader_sees_the_next(workspace):
    settings = workspace["settings"]
    with gold_query(settings) as query:
        assert published_info(settings, query)["build_id"] == "build-1"
        before = float(query("SELECT max(value_usd) FROM gold.gold_inventory_value_trend")[0][0])
        build_gold(settings.duckdb_path, 9000)
        with connect_duckdb(settings.duckdb_path, read_only=True) as con:
            publish_gold(con, settings.published_gold_path, "build-2")
        assert float(query("SELECT max(value_usd) FROM gold.gold_inventory_value_trend")[0][0]) == before
        assert published_info(settings, query)["build_id"] == "build-1"
    with gold_query(settings) as query:
        info = published_info(settings, query)
    assert info["build_id"] == "build-2"
    assert info["row_counts"] == {"gold_inventory_value_by_region": 48, "gold_inventory_value_trend": 24}
    assert latest_value(settings) == 9000 + 202301 + 23


def test_a_failed_publish_leaves_the_last_build_and_no_temporary_file(workspace):
    settings = workspace["settings"]
    with connect_duckdb(settings.duckdb_path) as con:
        con.execute("CREATE SCHEMA silver")
        con.execute("CREATE TABLE silver.gone AS SELECT 1 AS x")
        con.execute("CREATE VIEW gold.zz_broken AS SELECT * FROM silver.gone")  # copied last, after the tables
        con.execute("DROP TABLE silver.gone")
        con.execute("UPDATE gold.gold_inventory_value_trend SET value_usd = 0")
    with connect_duckdb(settings.duckdb_path, read_only=True) as con:
        with pytest.raises(duckdb.CatalogException, match="gone"):
            publish_gold(con, settings.published_gold_path, "build-broken")
        # the connection is left usable: no attached copy, no open transaction
        assert con.execute("SELECT count(*) FROM gold.gold_inventory_value_trend").fetchone()[0] == 24
    assert latest_value(settings) == 5000 + 202301 + 23
    assert sorted(p.name for p in settings.published_gold_path.parent.iterdir()
                  if p.name.startswith(settings.published_gold_path.name)) == [settings.published_gold_path.name]


def test_a_copy_left_by_a_dead_publisher_is_removed_and_a_live_ones_kept(tmp_path):
    target = tmp_path / "warehouse_published.duckdb"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        for pid in (int(dead.stdout), live.pid):
            target.with_name(f"{target.name}.tmp-{pid}").write_bytes(b"partial")
        assert [p.name for p in remove_abandoned_copies(target)] == [f"{target.name}.tmp-{int(dead.stdout)}"]
        assert [p.name for p in tmp_path.iterdir()] == [f"{target.name}.tmp-{live.pid}"]
    finally:
        live.kill()
        live.wait()


def test_a_reader_before_the_first_publish_is_told_how_to_publish(workspace):
    settings = workspace["settings"]
    settings.published_gold_path.unlink()
    with pytest.raises(GoldNotPublished, match="inventory-platform materialize"):
        with gold_query(settings):
            pass
    report = subprocess.run([sys.executable, "-m", "inventory_platform.cli", "report", "yoy"],
                            env=workspace["env"], capture_output=True, text=True, timeout=60)
    assert report.returncode == 1 and "has not been published" in report.stderr

"""Bronze of the ledger read in place (bronze/in_place.py): the view serves exactly the rows, lineage and row
hashes a copied table held, computed here from the landing files themselves (pyarrow and hashlib, not the
loader's SQL); a changed or lost file fails `bronze_files_unchanged`; a restored copy of warehouse and
landing folder reads its own files; validation's window runs only over files with a problem."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inventory_platform.bronze import validation
from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS
from inventory_platform.simulation import simulate
from inventory_platform.transform.materialization_metadata import NEWEST_EVENT_DATE
from tests.unit.test_bronze_ingestion import TX_SCHEMA, tx_rows, write_tx

COLUMNS = INVENTORY_TRANSACTIONS.column_names


def _text(value) -> str:
    """A value as DuckDB's CAST(... AS VARCHAR) writes it ('\\N' for NULL, as the row hash does)."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return text + (f".{value.microsecond:06d}".rstrip("0") if value.microsecond else "")
    return str(value)


def expected_rows(files: dict[Path, tuple[str, datetime]]) -> list[tuple]:
    """What a copied Bronze table held: every row of every file with its lineage and md5 row hash.
    `files`: the landed file -> (batch id, loaded at)."""
    rows = []
    for path, (batch, loaded_at) in files.items():
        if path.suffix == ".csv":
            with path.open() as f:
                records = [{k: _csv_value(k, v) for k, v in r.items()} for r in csv.DictReader(f)]
        else:
            records = pq.read_table(path).to_pylist()
        for n, record in enumerate(records, start=1):
            values = tuple(record[c] for c in COLUMNS)
            digest = hashlib.md5(chr(31).join(_text(v) for v in values).encode()).hexdigest()
            rows.append((*values, batch, str(path), n, loaded_at, digest))
    return sorted(rows, key=lambda r: (r[-4], r[-3]))


def _csv_value(column: str, value: str):
    if value == "":
        return None
    if column in ("transaction_id", "quantity"):
        return int(value)
    if column == "event_ts":
        return datetime.fromisoformat(value).replace(tzinfo=None)  # the contract's offsets are UTC only
    return value


def served(con) -> list[tuple]:
    cols = ", ".join(COLUMNS)
    return con.execute(f"SELECT {cols}, _batch_id, _source_file, _source_row, _loaded_at, _row_hash "
                       "FROM bronze.inventory_transactions ORDER BY _source_file, _source_row").fetchall()


def logged(con) -> dict[str, tuple[str, datetime]]:
    return {f: (b, t) for f, b, t in con.execute(
        "SELECT source_file, batch_id, loaded_at FROM bronze.load_log WHERE status = 'loaded'").fetchall()}


def test_the_view_serves_what_a_copied_table_held_for_a_simulated_month(tmp_path: Path):
    landing = tmp_path / "landing"
    simulate("tiny", 3, landing, start=date(2024, 1, 1), end=date(2024, 1, 20), progress=False)
    files = landing_files(landing, INVENTORY_TRANSACTIONS)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        first = load_files(con, INVENTORY_TRANSACTIONS, files[:7], tmp_path / "q", landing_dir=landing)
        second = load_files(con, INVENTORY_TRANSACTIONS, files, tmp_path / "q", landing_dir=landing)
        assert (first.files_loaded, len(second.files_loaded)) == ([str(f) for f in files[:7]], len(files) - 7)
        log = logged(con)
        assert served(con) == expected_rows({f: log[str(f)] for f in files})
        # No copy: Bronze adds no table for the ledger, and its store holds nothing for Parquet landings.
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'inventory_transactions'").fetchone() == (0,)
        assert not (landing / ".bronze_store").exists()
        keys = [k for k, in con.execute("SELECT load_file_key FROM bronze.load_log ORDER BY load_file_key").fetchall()]
        assert keys == list(range(1, len(files) + 1))


def test_csv_and_zoned_timestamps_are_typed_once_into_the_store_and_glob_names_stay_literal(tmp_path: Path):
    landing = tmp_path / "landing"
    plain = write_tx(landing, 1, tx_rows(1, 1))
    glob_named = plain.with_name("part-*.parquet")
    pq.write_table(pa.table(tx_rows(1, 10), schema=TX_SCHEMA), glob_named)
    zoned_schema = pa.schema([pa.field("event_ts", pa.timestamp("us", tz="America/New_York")) if f.name == "event_ts"
                              else f for f in TX_SCHEMA])
    zoned = write_tx(landing, 2, tx_rows(2, 20), zoned_schema)
    day3 = landing / "inventory_transactions" / "date=2024-01-03"
    day3.mkdir(parents=True)
    text = day3 / "export.csv"
    text.write_text("transaction_id,event_ts,warehouse_id,sku_id,movement_type,quantity,reference_id\n"
                    "30,2024-01-03 08:00:00,WH-001,SKU-1,RECEIPT,5,PO-1\n"
                    "31,2024-01-03T09:30:00Z,WH-001,SKU-1,SHIPMENT,-2,\n")
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        con.execute("SET TimeZone = 'Asia/Tokyo'")  # the reading session's zone must not move a timestamp
        result = load_files(con, INVENTORY_TRANSACTIONS, landing_files(landing, INVENTORY_TRANSACTIONS),
                            tmp_path / "q", landing_dir=landing)
        assert not result.rejections and result.rows_loaded == 11
        stored = sorted(p.relative_to(landing / ".bronze_store").parent.as_posix()
                        for p in (landing / ".bronze_store").rglob("*.parquet"))
        assert stored == ["inventory_transactions/date=2024-01-02", "inventory_transactions/date=2024-01-03"]
        log = logged(con)
        expected = expected_rows({f: log[str(f)] for f in (plain, glob_named, text)})
        got = served(con)
        assert [r for r in got if r[-4] != str(zoned)] == sorted(expected, key=lambda r: (r[-4], r[-3]))
        assert [r[1] for r in got if r[-4] == str(zoned)] == tx_rows(2, 20)["event_ts"]


def _materialize_ledger(tmp_path: Path, landing: Path, day: str) -> dg.ExecuteInProcessResult:
    from inventory_platform.bronze.assets import build_bronze_asset
    from inventory_platform.bronze.landing_zone import LandingZone
    from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse

    asset = build_bronze_asset(INVENTORY_TRANSACTIONS, dg.DailyPartitionsDefinition(start_date="2024-01-01"))
    return dg.materialize(
        [asset], partition_key=day,
        resources={"warehouse": DuckDBWarehouse(path=str(tmp_path / "wh.duckdb")),
                   "landing": LandingZone(path=str(landing), quarantine_path=str(tmp_path / "quarantine"))})


def _ledger_asset_check(tmp_path: Path, landing: Path) -> dg.AssetCheckEvaluation:
    from inventory_platform.bronze.assets import FILES_UNCHANGED_CHECK

    result = _materialize_ledger(tmp_path, landing, "2024-01-01")
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == FILES_UNCHANGED_CHECK]
    return evaluation


def test_the_ledger_records_the_newest_event_day_it_holds_not_the_partition_it_loaded(tmp_path: Path):
    """data_is_current reads it: the newest day of any loaded file, whichever day a run loads; a quarantined
    file's day does not count."""
    landing = tmp_path / "landing"
    write_tx(landing, 3, tx_rows(3, 1))
    write_tx(landing, 1, tx_rows(1, 10))
    write_tx(landing, 5, tx_rows(6, 20))  # rows of Jan 6 in the Jan 5 folder: quarantined

    def newest(day: str) -> str | None:
        [event] = _materialize_ledger(tmp_path, landing, day).get_asset_materialization_events()
        value = event.materialization.metadata.get(NEWEST_EVENT_DATE)
        return value.value if value else None

    assert newest("2024-01-01") == "2024-01-01"
    assert newest("2024-01-03") == "2024-01-03"
    assert newest("2024-01-05") == "2024-01-03"
    assert newest("2024-01-01") == "2024-01-03"  # a re-run of an older day: still the newest held


def test_bronze_files_unchanged_names_a_changed_and_a_lost_file(tmp_path: Path):
    landing = tmp_path / "landing"
    kept = write_tx(landing, 1, tx_rows(1, 1))
    changed = kept.with_name("part-00001.parquet")
    pq.write_table(pa.table(tx_rows(1, 10), schema=TX_SCHEMA), changed)
    lost = kept.with_name("part-00002.parquet")
    pq.write_table(pa.table(tx_rows(1, 20), schema=TX_SCHEMA), lost)
    assert _ledger_asset_check(tmp_path, landing).passed

    stat = changed.stat()
    rows = tx_rows(1, 10)
    rows["quantity"][0] = 99
    pq.write_table(pa.table(rows, schema=TX_SCHEMA), changed)  # rewritten in place, same name
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    lost.unlink()
    evaluation = _ledger_asset_check(tmp_path, landing)
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert str(changed) in evaluation.description and str(lost) in evaluation.description
    assert str(kept) not in evaluation.description


def test_a_copy_of_warehouse_and_landing_reads_its_own_files(tmp_path: Path, monkeypatch):
    """DR: failover restores the backup's warehouse and landing folder and points Bronze at the restored
    folder, so the copy serves every row after the primary's disk is gone."""
    from inventory_platform.dr.operations import backup, failover
    from inventory_platform.settings import load_settings

    data = tmp_path / "data"
    landing = data / "landing"
    simulate("tiny", 5, landing, start=date(2024, 1, 1), end=date(2024, 1, 5), progress=False)
    with duckdb.connect(str(data / "warehouse.duckdb")) as con:
        load_files(con, INVENTORY_TRANSACTIONS, landing_files(landing, INVENTORY_TRANSACTIONS), data / "quarantine",
                   landing_dir=landing)
        before = served(con)
    for var, value in {"INVENTORY_ENV": "local", "INVENTORY_DATA_DIR": str(data), "INVENTORY_DR_DIR": str(tmp_path / "dr"),
                       "INVENTORY_DUCKDB_PATH": str(data / "warehouse.duckdb"), "INVENTORY_LANDING_DIR": str(landing),
                       "INVENTORY_QUARANTINE_DIR": str(data / "quarantine"), "INVENTORY_COLD_DIR": str(data / "cold"),
                       "DAGSTER_HOME": str(tmp_path / "home")}.items():
        monkeypatch.setenv(var, value)
    backup(load_settings())
    pointer = failover(load_settings())
    shutil.rmtree(data)  # the primary's disk is lost

    with duckdb.connect(pointer["duckdb_path"], read_only=True) as con:
        assert served(con) == before and len(before) > 1000
        root = con.execute("SELECT path FROM bronze.landing_root").fetchone()[0]
    assert root == os.path.abspath(pointer["landing_dir"])


def test_the_duplicate_key_window_reads_only_the_files_with_a_problem(tmp_path: Path, monkeypatch):
    landing = tmp_path / "landing"
    clean = [write_tx(landing, d, tx_rows(d, d * 100, n=20)) for d in (1, 2, 3)]
    rows = tx_rows(4, 400, n=20)
    rows["transaction_id"][7] = rows["transaction_id"][3]
    duplicate = write_tx(landing, 4, rows)
    windows = []
    real_execute = duckdb.DuckDBPyConnection.execute

    class Spy:
        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            if "OVER (PARTITION BY filename" in sql:
                windows.append([f for f in clean + [duplicate] if str(f) in sql])
            return real_execute(self.con, sql, *args)

        def __getattr__(self, name):
            return getattr(self.con, name)

    with duckdb.connect() as con:
        found = validation.find_bad_rows(Spy(con), INVENTORY_TRANSACTIONS, clean + [duplicate])
    assert list(found) == [str(duplicate)]
    assert found[str(duplicate)].message().endswith("row 4, column transaction_id: duplicate key (transaction_id) "
                                                    "within the file (got '403') (2 bad rows in file)")
    assert windows == [[duplicate]]


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def test_nightly_maintenance_rehashes_the_files_a_stat_cannot_tell_apart(tmp_path: Path):
    """A byte changed in place with size and modification time restored passes the per-load stat check;
    the nightly maintenance re-computes each file's SHA-256 and names it."""
    from inventory_platform.bronze import in_place
    from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse
    from inventory_platform.monitoring.maintenance import maintain_duckdb

    landing = tmp_path / "landing"
    kept, tampered = write_tx(landing, 1, tx_rows(1, 1)), write_tx(landing, 2, tx_rows(2, 10))
    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        load_files(con, INVENTORY_TRANSACTIONS, [kept, tampered], tmp_path / "q", landing_dir=landing)
    stat = tampered.stat()
    data = bytearray(tampered.read_bytes())
    data[len(data) // 3] ^= 0x01
    tampered.write_bytes(bytes(data))
    os.utime(tampered, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with duckdb.connect(str(db)) as con:
        assert in_place.changed_files(con, INVENTORY_TRANSACTIONS) == []

    result = maintain_duckdb(DuckDBWarehouse(path=str(db)), dg.get_dagster_logger())

    assert result["bronze_files_changed"] == 1
    with duckdb.connect(str(db)) as con:
        [changed] = in_place.changed_files(con, INVENTORY_TRANSACTIONS, verify_sha256=True)
    assert changed.path == tampered and "SHA-256" in changed.reason


def test_a_warehouse_with_the_copied_ledger_table_is_converted_to_the_view(tmp_path: Path):
    """A warehouse from before Bronze read in place holds the ledger as a table; its files are still landed:
    the next load registers them for the view and drops the copy, and serves the same rows."""
    landing = tmp_path / "landing"
    first, second = write_tx(landing, 1, tx_rows(1, 1)), write_tx(landing, 2, tx_rows(2, 10))
    loaded_at = datetime(2026, 1, 1, 8)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:  # the layout the copying loader left
        con.execute("CREATE SCHEMA bronze")
        con.execute("""CREATE TABLE bronze.load_log (batch_id VARCHAR, source_table VARCHAR, source_file VARCHAR,
            file_sha256 VARCHAR, file_size BIGINT, file_mtime_ns BIGINT, status VARCHAR, rows_loaded BIGINT, loaded_at TIMESTAMP)""")
        con.execute("""CREATE TABLE bronze.inventory_transactions AS SELECT *, 'old-batch' AS _batch_id,
            filename AS _source_file, file_row_number + 1 AS _source_row, ?::TIMESTAMP AS _loaded_at
            FROM read_parquet(?, filename = true, file_row_number = true)""", [loaded_at, str(first)])
        st = first.stat()
        con.execute("INSERT INTO bronze.load_log VALUES ('old-batch', 'inventory_transactions', ?, ?, ?, ?, 'loaded', 3, ?)",
                    [str(first), hashlib.sha256(first.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns, loaded_at])

        result = load_files(con, INVENTORY_TRANSACTIONS, [first, second], tmp_path / "q", landing_dir=landing)

        assert result.files_loaded == [str(second)] and result.files_skipped == 1
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'inventory_transactions'").fetchone() == (0,)
        log = logged(con)
        assert served(con) == expected_rows({first: log[str(first)], second: log[str(second)]})

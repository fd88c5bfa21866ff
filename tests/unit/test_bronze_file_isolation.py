"""One bad landing file never stops a load: a file that cannot be read, validated or inserted is quarantined
with a reason naming it, and the rest of its day and the other days load. File names are literal."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inventory_platform.bronze import loader
from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS
from tests.unit.test_bronze_ingestion import TX_SCHEMA, tx_rows, write_tx


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield connection
    connection.close()


def load(con, landing: Path, quarantine: Path):
    return load_files(con, INVENTORY_TRANSACTIONS, landing_files(landing, INVENTORY_TRANSACTIONS), quarantine)


def flip_middle(path: Path, n: int = 64) -> None:
    """Corrupt n bytes in the middle of the file; the footer (schema, offsets) stays intact."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + n] = bytes(b ^ 0xFF for b in data[middle:middle + n])
    path.write_bytes(bytes(data))


def bronze_rows_by_file(con) -> dict[str, int]:
    return dict(con.execute("SELECT _source_file, count(*) FROM bronze.inventory_transactions GROUP BY 1").fetchall())


def test_corrupt_data_pages_with_intact_footer_quarantine_only_that_file(con, tmp_path: Path):
    landing = tmp_path / "landing"
    good = write_tx(landing, 1, tx_rows(1, 1, n=50))
    other_day = write_tx(landing, 2, tx_rows(2, 100, n=50))
    corrupt = good.with_name("part-00001.parquet")
    corrupt.write_bytes(good.read_bytes())
    flip_middle(corrupt)
    assert pq.ParquetFile(corrupt).schema_arrow == TX_SCHEMA  # the footer still reads
    with pytest.raises(duckdb.Error):
        con.execute(f"SELECT * FROM read_parquet('{corrupt}')").fetchall()

    result = load(con, landing, tmp_path / "quarantine")

    [rejection] = result.rejections
    assert rejection.file == corrupt and rejection.message().startswith(f"{corrupt}: unreadable as parquet: ")
    assert bronze_rows_by_file(con) == {str(good): 50, str(other_day): 50}
    assert con.execute("SELECT source_file FROM bronze.quarantine").fetchall() == [(str(corrupt),)]


def test_value_out_of_the_contract_type_range_is_a_row_error(con, tmp_path: Path):
    """A Parquet uint64 above BIGINT's range made the validation query itself fail, for every file."""
    landing = tmp_path / "landing"
    ok = write_tx(landing, 1, tx_rows(1, 1))
    schema = pa.schema([pa.field("transaction_id", pa.uint64()) if f.name == "transaction_id" else f for f in TX_SCHEMA])
    rows = tx_rows(2, 10) | {"transaction_id": [10, 2**64 - 1, 12]}
    bad = write_tx(landing, 2, rows, schema)

    result = load(con, landing, tmp_path / "quarantine")

    [rejection] = result.rejections
    assert (rejection.file, rejection.row, rejection.column) == (bad, 2, "transaction_id")
    assert "not a valid BIGINT (got '18446744073709551615')" in rejection.reason
    assert bronze_rows_by_file(con) == {str(ok): 3}


def test_file_that_breaks_after_validation_is_quarantined_and_the_batch_retried(con, tmp_path: Path, monkeypatch):
    """The insert reads the files again: a file replaced or damaged between validation and insert
    must not fail the load (or slip in half-read); it is quarantined with the hash of what is there now."""
    landing = tmp_path / "landing"
    day1 = write_tx(landing, 1, tx_rows(1, 1, n=50))
    day2 = write_tx(landing, 2, tx_rows(2, 100, n=50))
    validate = loader._validate

    def validate_then_damage(con, table, files):
        rejected = validate(con, table, files)
        flip_middle(day2)
        return rejected

    monkeypatch.setattr(loader, "_validate", validate_then_damage)
    result = load(con, landing, tmp_path / "quarantine")

    [rejection] = result.rejections
    assert rejection.file == day2 and "unreadable as parquet" in rejection.reason
    assert bronze_rows_by_file(con) == {str(day1): 50}
    logged = dict(con.execute("SELECT source_file, file_sha256 FROM bronze.load_log WHERE status = 'quarantined'").fetchall())
    assert logged == {str(day2): loader.sha256_of(day2)}


@pytest.mark.parametrize(("folder", "name"), [
    ("landing", "part*.parquet"), ("landing", "part?.parquet"), ("landing", "[p]arta.parquet"),
    ("landing", "{a,b}.parquet"), ("landing", "part].parquet"), ("land*[i]ng", "part?.parquet"),
])
def test_glob_characters_in_a_file_name_are_literal(con, tmp_path: Path, folder: str, name: str):
    landing = tmp_path / folder
    neighbour = write_tx(landing, 1, tx_rows(1, 1))
    hostile = neighbour.with_name(name)
    pq.write_table(pa.table(tx_rows(1, 10), schema=TX_SCHEMA), hostile)
    (neighbour.parent / "parta.parquet").write_bytes(b"not parquet at all")  # what a glob would also match

    result = load(con, landing, tmp_path / "quarantine")

    assert bronze_rows_by_file(con) == {str(neighbour): 3, str(hostile): 3}
    assert [r.file.name for r in result.rejections] == ["parta.parquet"]


def test_a_bad_file_with_a_glob_name_is_quarantined_under_its_own_name(con, tmp_path: Path):
    landing = tmp_path / "landing"
    neighbour = write_tx(landing, 1, tx_rows(1, 1))
    hostile = neighbour.with_name("part-*.parquet")
    rows = tx_rows(1, 10)
    rows["quantity"][1] = 0
    pq.write_table(pa.table(rows, schema=TX_SCHEMA), hostile)

    [rejection] = load(con, landing, tmp_path / "quarantine").rejections

    assert (rejection.file, rejection.row, rejection.column) == (hostile, 2, "quantity")
    assert bronze_rows_by_file(con) == {str(neighbour): 3}
    assert con.execute("SELECT source_file FROM bronze.quarantine").fetchall() == [(str(hostile),)]


def test_a_file_name_that_is_not_utf8_is_quarantined_with_a_printable_name(con, tmp_path: Path):
    landing = tmp_path / "landing"
    neighbour = write_tx(landing, 1, tx_rows(1, 1))
    hostile = Path(os.fsdecode(os.fsencode(neighbour.parent) + b"/part-\xff\xfe.parquet"))
    sink = pa.BufferOutputStream()  # pyarrow cannot open such a path itself
    pq.write_table(pa.table(tx_rows(1, 10), schema=TX_SCHEMA), sink)
    hostile.write_bytes(sink.getvalue().to_pybytes())

    [rejection] = load(con, landing, tmp_path / "quarantine").rejections

    assert rejection.file == hostile and "part-\\xff\\xfe.parquet: file name is not valid UTF-8" in rejection.message()
    assert bronze_rows_by_file(con) == {str(neighbour): 3}
    reasons = list((tmp_path / "quarantine").rglob("*.reason.txt"))
    assert len(reasons) == 1 and "\\xff\\xfe" in reasons[0].read_text()


def test_a_file_quarantined_for_its_name_loads_once_renamed(con, tmp_path: Path):
    """Its content was never judged: the renamed file must not be skipped as 'already quarantined'."""
    landing = tmp_path / "landing"
    folder = write_tx(landing, 1, tx_rows(1, 1)).parent
    hostile = Path(os.fsdecode(os.fsencode(folder) + b"/part-\xff.parquet"))
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(tx_rows(1, 10), schema=TX_SCHEMA), sink)
    hostile.write_bytes(sink.getvalue().to_pybytes())
    assert load(con, landing, tmp_path / "quarantine").rejections

    renamed = hostile.rename(folder / "part-00001.parquet")
    result = load(con, landing, tmp_path / "quarantine")

    assert (result.rows_loaded, result.rejections) == (3, [])
    assert bronze_rows_by_file(con)[str(renamed)] == 3


def test_a_file_that_cannot_be_opened_is_quarantined_and_one_gone_is_skipped(con, tmp_path: Path, monkeypatch):
    """Permissions (simulated: the tests run as root) or a file removed after it was listed."""
    landing = tmp_path / "landing"
    ok = write_tx(landing, 1, tx_rows(1, 1))
    locked = write_tx(landing, 2, tx_rows(2, 10))
    gone = ok.with_name("part-00009.parquet")
    sha256_of = loader.sha256_of

    def sha_or_denied(path: Path) -> str:
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return sha256_of(path)

    monkeypatch.setattr(loader, "sha256_of", sha_or_denied)
    result = load_files(con, INVENTORY_TRANSACTIONS, [ok, locked, gone], tmp_path / "quarantine")

    assert [r.message() for r in result.rejections] == [f"{locked}: unreadable: Permission denied"]
    assert bronze_rows_by_file(con) == {str(ok): 3}
    assert result.files_skipped == 1


def test_parquet_timestamps_with_a_time_zone_are_stored_in_utc_whatever_the_session_zone(con, tmp_path: Path):
    """Cast in the session's zone (the machine's), 03:00 UTC became 22:00 the day before in New York."""
    landing = tmp_path / "landing"
    rows = tx_rows(1, 1) | {"event_ts": [datetime(2024, 1, 1, h, tzinfo=UTC) for h in (0, 3, 23)]}
    schema = pa.schema([pa.field("event_ts", pa.timestamp("us", tz="UTC")) if f.name == "event_ts" else f for f in TX_SCHEMA])
    aware = write_tx(landing, 1, rows, schema)
    plain = tx_rows(1, 10) | {"event_ts": [datetime(2024, 1, 1, h) for h in (1, 4, 22)]}
    pq.write_table(pa.table(plain, schema=TX_SCHEMA), aware.with_name("part-00001.parquet"))  # both in one query
    con.execute("SET TimeZone = 'America/New_York'")

    result = load(con, landing, tmp_path / "quarantine")

    assert [r.message() for r in result.rejections] == []
    stored = con.execute("SELECT list(event_ts ORDER BY transaction_id) FROM bronze.inventory_transactions").fetchone()[0]
    assert stored == [datetime(2024, 1, 1, h) for h in (0, 3, 23, 1, 4, 22)]
    assert con.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "America/New_York"

"""Readers and writers of the DuckDB file in different processes take turns instead of failing.

DuckDB itself refuses a writer while another process has the file open read-only (a sensor's peek used
to fail a dbt build that way), so every opener goes through the shared/exclusive warehouse lock.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.lib.writer_lock import exclusive_writer

READER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from inventory_platform.lib.duckdb_warehouse import connect_duckdb
    db, marker = Path(sys.argv[1]), Path(sys.argv[2])
    with connect_duckdb(db, read_only=True) as con:
        con.execute("select count(*) from t").fetchone()
        print("reading", flush=True)
        time.sleep(2)
        marker.write_text("reader done")
""")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "wh.duckdb"
    with connect_duckdb(path) as con:
        con.execute("create table t as select 1 as x")
    return path


def start_reader(db: Path, marker: Path) -> subprocess.Popen:
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(marker)], stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "reading"
    return reader


def test_duckdb_alone_refuses_a_writer_while_another_process_reads(db, tmp_path):
    reader = start_reader(db, tmp_path / "done")
    try:
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(db))
    finally:
        reader.wait(timeout=30)


def test_a_writer_waits_for_a_reader_in_another_process(db, tmp_path):
    marker = tmp_path / "done"
    reader = start_reader(db, marker)
    try:
        with connect_duckdb(db) as con:
            assert marker.read_text() == "reader done"  # got in only after the reader finished
            con.execute("insert into t values (2)")
    finally:
        reader.wait(timeout=30)
    assert reader.returncode == 0
    with connect_duckdb(db, read_only=True) as con:
        assert con.execute("select count(*) from t").fetchone()[0] == 2


def test_readers_in_two_processes_share_the_file(db, tmp_path):
    marker = tmp_path / "done"
    reader = start_reader(db, marker)
    try:
        with connect_duckdb(db, read_only=True, wait_seconds=1) as con:
            assert con.execute("select count(*) from t").fetchone()[0] == 1
            assert not marker.exists()  # the other reader was still reading
    finally:
        reader.wait(timeout=30)


def test_a_reader_gives_up_after_its_wait_while_a_writer_holds_the_file(db):
    with exclusive_writer(db):
        with pytest.raises(TimeoutError, match="a writer has held the warehouse lock"):
            with connect_duckdb(db, read_only=True, wait_seconds=0.3):
                pass


def test_a_timed_out_wait_names_the_writer_process(db, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from inventory_platform.lib.writer_lock import exclusive_writer
        with exclusive_writer(Path(sys.argv[1])):
            print("holding", flush=True)
            time.sleep(30)
    """), str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(TimeoutError, match=rf"last writer: pid {holder.pid} "):
            with exclusive_writer(db, timeout_s=0.3):
                pass
    finally:
        holder.kill()
        holder.wait(timeout=30)

"""The ledger's dedup ranks only files that can share a key (issue 18): on DuckDB, latest_restated_versions
passes a row of a file whose transaction_id range overlaps no other file's straight through, and ranks the
rows of overlapping files among themselves. On a Bronze of simulated `tiny` data (no file shares a key) a
chunk's statement has no hash aggregate, no window and no join; after a re-sent corrected file, a file
that moves keys to another day, a re-landed copy of a file, a quarantined file and a cold-tier offload,
every window (whole history, a daily window, chunks) returns the same rows as ranking every version of
the window's keys, computed here independently from the view."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from inventory_platform.bronze.loader import load_files
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS

from ..support.tiny_bronze import build_tiny_bronze
from .test_bronze_load_log_reads import _dbt, _offload_before, _quarantine, _resend

VIEW = "bronze.inventory_transactions"
SPLIT = "-- next window --"
# (from, until): the whole history, a daily run's window, a chunk, the chunk after it.
WINDOWS = [(None, None), ("2024-02-20", None), ("2024-02-01", "2024-03-01"), ("2024-03-01", "2024-04-01")]
COLUMNS = "transaction_id, event_ts, quantity, _batch_id, _source_row, _load_file_key, _load_rank"


def _literal(day: str | None) -> str:
    return "none" if day is None else f"\"cast('{day}' as date)\""


INLINE = f"\n{SPLIT}\n".join(
    f"select {COLUMNS} from ({{{{ latest_restated_versions(source('bronze', 'inventory_transactions'), "
    f"{_literal(start)}, {_literal(end)}) }}}}) as v" for start, end in WINDOWS)


def _compiled(root, warehouse) -> list[str]:
    compiled = _dbt(["compile", "--quiet", "--inline", INLINE], root, warehouse)
    assert compiled.returncode == 0, compiled.stdout[-4000:] + compiled.stderr[-2000:]
    return compiled.stdout.split(SPLIT)


def _every_version_ranked(con: duckdb.DuckDBPyConnection, start: str | None, end: str | None) -> list[tuple]:
    """The latest version of every key with a version in the window, ranking every version: the plain
    definition, independent of the macro."""
    bounds = [f"event_ts >= timestamp '{start}'"] if start else []
    bounds += [f"event_ts < timestamp '{end}'"] if end else []
    return con.execute(f"""
        select {COLUMNS.replace('_load_rank', '1')} from (
            select *, row_number() over (partition by transaction_id
                                         order by _loaded_at desc, _batch_id desc, _source_row desc) as rank
            from {VIEW}
            where transaction_id in (select transaction_id from {VIEW} where {' and '.join(bounds) or 'true'})
        ) where rank = 1 order by transaction_id""").fetchall()


def _move_to_day(landing, from_day: str, to_day: str, con, quarantine) -> int:
    """A correction that moves the first rows of `from_day` to `to_day` (their new event day), landed in
    `to_day`'s folder: the keys' latest versions now fall on another day, in another chunk."""
    source = sorted((landing / "inventory_transactions" / f"date={from_day}").glob("*.parquet"))[0]
    rows = pq.read_table(source).slice(0, 4)
    event_ts = rows["event_ts"]
    shift = pa.scalar(date.fromisoformat(to_day) - date.fromisoformat(from_day), pa.duration(event_ts.type.unit))
    rows = rows.set_column(rows.schema.get_field_index("event_ts"), "event_ts", pc.add(event_ts, shift))
    target = landing / "inventory_transactions" / f"date={to_day}" / "moved.parquet"
    pq.write_table(rows, target)
    result = load_files(con, INVENTORY_TRANSACTIONS, [target], quarantine, landing_dir=landing)
    assert result.rows_loaded == 4 and not result.rejections, [r.message() for r in result.rejections]
    return rows["transaction_id"].to_pylist()


def _reland_copy(landing, day: str, con, quarantine) -> None:
    """The same rows landed again under another name (a re-export): every key of the file twice."""
    source = sorted((landing / "inventory_transactions" / f"date={day}").glob("*.parquet"))[0]
    copy = source.parent / "re-export.parquet"
    table = pq.read_table(source)
    pq.write_table(table, copy, row_group_size=max(1, table.num_rows // 3))  # other bytes: not a duplicate file
    result = load_files(con, INVENTORY_TRANSACTIONS, [copy], quarantine, landing_dir=landing)
    assert result.rows_loaded == table.num_rows and not result.rejections, [r.message() for r in result.rejections]


def _land_without_statistics(landing, day: str, con, quarantine) -> None:
    """A file whose footer holds no min/max of transaction_id: its range is unknown."""
    source = sorted((landing / "inventory_transactions" / f"date={day}").glob("*.parquet"))[0]
    target = source.parent / "no-statistics.parquet"
    pq.write_table(pq.read_table(source).slice(0, 3), target, write_statistics=False)
    result = load_files(con, INVENTORY_TRANSACTIONS, [target], quarantine, landing_dir=landing)
    assert result.rows_loaded == 3 and not result.rejections, [r.message() for r in result.rejections]


@pytest.fixture(scope="module")
def bronze(tmp_path_factory):
    root = tmp_path_factory.mktemp("ledger_dedup")
    warehouse = build_tiny_bronze(root, seed=7)
    clean, unknown = root / "clean.duckdb", root / "unknown.duckdb"
    shutil.copy(warehouse, clean)
    landing, quarantine = root / "landing", root / "quarantine"
    shutil.copy(warehouse, unknown)
    with duckdb.connect(str(unknown)) as con:
        _land_without_statistics(landing, "2024-02-12", con, quarantine)
    with duckdb.connect(str(warehouse)) as con:
        _resend(landing, "2024-02-20", con, quarantine)
        moved = _move_to_day(landing, "2024-02-25", "2024-03-04", con, quarantine)
        _reland_copy(landing, "2024-03-10", con, quarantine)
        _quarantine(landing, "2024-02-21", con, quarantine)
        _offload_before("2024-01-15", con)
    return {"root": root, "warehouse": warehouse, "clean": clean, "unknown": unknown, "moved": moved}


def _operators(con: duckdb.DuckDBPyConnection, statement: str) -> Counter:
    def walk(node: dict) -> Iterator[str]:
        yield node["name"]
        for child in node.get("children", []):
            yield from walk(child)
    plans = json.loads(con.execute(f"explain (format json) {statement}").fetchall()[0][1])
    return Counter(name for plan in plans for name in walk(plan))


def test_a_chunk_of_files_that_share_no_key_is_read_without_ranking(bronze):
    root = bronze["root"] / "clean_compile"
    root.mkdir()
    sql = _compiled(root, bronze["clean"])
    with duckdb.connect(str(bronze["clean"]), read_only=True) as con:
        scan = _operators(con, f"select * from {VIEW}")  # the view's own joins: files to their load-log rows
        for (start, end), statement in zip(WINDOWS, sql, strict=True):
            plan = _operators(con, statement)
            assert not {"HASH_GROUP_BY", "PERFECT_HASH_GROUP_BY", "WINDOW", "STREAMING_WINDOW"} & set(plan), (start, end, plan)
            assert plan["HASH_JOIN"] == scan["HASH_JOIN"] and plan["READ_PARQUET"] == 1, (start, end, plan)
            assert con.execute(statement + " order by transaction_id").fetchall() == _every_version_ranked(con, start, end)


@pytest.mark.parametrize("window", WINDOWS, ids=lambda w: f"{w[0]}..{w[1]}")
def test_every_window_equals_ranking_every_version(bronze, window):
    root = bronze["root"] / "compile"
    root.mkdir(exist_ok=True)
    if "sql" not in bronze:
        bronze["sql"] = _compiled(root, bronze["warehouse"])
    statement = bronze["sql"][WINDOWS.index(window)]
    assert "row_number()" in statement, "the overlapping files were not ranked"
    with duckdb.connect(str(bronze["warehouse"]), read_only=True) as con:
        got = con.execute(statement + " order by transaction_id").fetchall()
        expected = _every_version_ranked(con, *window)
        assert got == expected
        assert len({row[0] for row in got}) == len(got)
        if window == ("2024-03-01", "2024-04-01"):  # the moved keys' latest versions are in March now
            march = {row[0]: row for row in got}
            assert all(str(march[k][1]).startswith("2024-03-04") for k in bronze["moved"])


def test_a_file_without_statistics_falls_back_to_ranking_every_repeated_key(bronze):
    root = bronze["root"] / "unknown_compile"
    root.mkdir()
    sql = _compiled(root, bronze["unknown"])
    with duckdb.connect(str(bronze["unknown"]), read_only=True) as con:
        for window, statement in zip(WINDOWS, sql, strict=True):
            assert "_load_file_key not in" not in statement, statement  # the portable reading, no pass-through
            assert con.execute(statement + " order by transaction_id").fetchall() == _every_version_ranked(con, *window)

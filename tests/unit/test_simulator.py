"""The simulator's tiny output obeys the landing contract and behaves like a real stock ledger."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from inventory_platform.landing_contract import CURRENCIES, MANIFEST_FILE, MOVEMENT_SIGNS, SOURCE_TABLES
from inventory_platform.simulation import simulate
from inventory_platform.simulation.assortment import build_assortment
from inventory_platform.simulation.ledger import _sorted_unique, _stable_order
from inventory_platform.simulation.products import build_catalogue
from inventory_platform.simulation.scales import get_scale
from inventory_platform.simulation.seasonality import Seasonality
from inventory_platform.simulation.timeline import History
from inventory_platform.simulation.warehouses import build_warehouses
from inventory_platform.simulation.writer import arrow_type

SEED = 7
START, END = date(2022, 1, 1), date(2025, 12, 31)
REFERENCE_PREFIX = {"RECEIPT": "PO-", "SHIPMENT": "SO-", "RETURN": "RMA-", "ADJUSTMENT": "ADJ-",
                    "CYCLE_COUNT": "CC-", "TRANSFER_OUT": "TR-", "TRANSFER_IN": "TR-"}


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    simulate("tiny", SEED, out, progress=False)
    return out


@pytest.fixture(scope="module")
def manifest(landing) -> dict:
    return json.loads((landing / MANIFEST_FILE).read_text())


def _glob(table: str) -> str:
    if SOURCE_TABLES[table].partitioned_by_day:
        return f"{table}/date=*/*.parquet"
    return f"{table}/{table}.parquet"


@pytest.fixture(scope="module")
def db(landing) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in SOURCE_TABLES:
        path = (landing / _glob(name)).as_posix()
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}', hive_partitioning = false)")
    con.execute("""
        CREATE TABLE ledger AS
        SELECT t.*, w.region, CAST(t.event_ts AS DATE) AS event_date
        FROM inventory_transactions t
        JOIN (SELECT DISTINCT warehouse_id, region FROM warehouses) w USING (warehouse_id)
    """)
    return con


def _one(con, sql: str):
    return con.execute(sql).fetchone()[0]


# ---- determinism and manifest ---------------------------------------------------------------------------

def test_same_seed_gives_byte_identical_files(landing, manifest, tmp_path):
    again = simulate("tiny", SEED, tmp_path, progress=False)
    assert again == manifest
    assert (tmp_path / MANIFEST_FILE).read_bytes() == (landing / MANIFEST_FILE).read_bytes()


def _expected_shipment_lines(start: date, day: date) -> float:
    """Shipment lines a simulation starting on `start` expects on `day` (every trading pair's demand)."""
    history = History(start, END)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(SEED).spawn(6)]
    network = build_warehouses(get_scale("tiny"), history, streams[0])
    catalogue = build_catalogue(get_scale("tiny"), history, streams[1])
    pairs = build_assortment(get_scale("tiny"), network, catalogue, history, streams[4])
    t = history.index(day)
    trading = (pairs.start_day <= t) & (pairs.end_day > t)
    return float((pairs.order_rate * Seasonality(history).daily[t, pairs.profile] * trading).sum())


def test_a_calendar_day_expects_the_same_volume_whatever_day_the_simulation_starts():
    """The bench compares a daily increment on a 4-year history with one on a simulation of its last tenth:
    both load the same day, which must not be smaller in the short one for starting later (growth compounds
    from a fixed epoch, not from the simulation's first day)."""
    late = date(2025, 8, 7)
    full, short = Seasonality(History(START, END)), Seasonality(History(late, END))
    offset = (late - START).days
    assert np.allclose(short.daily, full.daily[offset:])
    assert np.allclose(short.forward, full.forward[offset:])
    last = _expected_shipment_lines(START, END)
    assert last == pytest.approx(_expected_shipment_lines(late, END), rel=0.05)


def test_different_seed_gives_different_data(tmp_path):
    short = dict(start=date(2023, 3, 1), end=date(2023, 3, 31), progress=False)
    a = simulate("tiny", 1, tmp_path / "a", **short)
    b = simulate("tiny", 2, tmp_path / "b", **short)
    c = simulate("tiny", 1, tmp_path / "c", **short)
    assert {f["path"]: f["sha256"] for f in a["files"]} == {f["path"]: f["sha256"] for f in c["files"]}
    hashes_b = {f["path"]: f["sha256"] for f in b["files"]}
    for f in a["files"]:
        assert hashes_b.get(f["path"]) != f["sha256"], f["path"]


def test_rerun_into_the_same_folder_drops_files_of_the_old_run(tmp_path):
    simulate("tiny", 1, tmp_path, start=date(2023, 3, 1), end=date(2023, 3, 20), progress=False)
    manifest = simulate("tiny", 1, tmp_path, start=date(2023, 3, 1), end=date(2023, 3, 10), progress=False)
    days = sorted(p.name for p in (tmp_path / "inventory_transactions").iterdir())
    assert days == [f"date=2023-03-{d:02d}" for d in range(1, 11)]
    assert len(manifest["files"]) == 5 + 10


def test_manifest_describes_every_file(landing, manifest):
    assert manifest["scale"] == "tiny" and manifest["seed"] == SEED
    assert (manifest["start"], manifest["end"]) == (START.isoformat(), END.isoformat())
    on_disk = sorted(p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file())
    assert on_disk == sorted([f["path"] for f in manifest["files"]] + [MANIFEST_FILE])  # no leftover tmp files
    for f in manifest["files"]:
        path = landing / f["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == f["sha256"]
        assert pq.ParquetFile(path).metadata.num_rows == f["rows"]
        assert f["table"] in SOURCE_TABLES
    assert {f["table"] for f in manifest["files"]} == set(SOURCE_TABLES)
    day_files = [f for f in manifest["files"] if f["table"] == "inventory_transactions"]
    assert len(day_files) == (END - START).days + 1
    assert manifest["rows"]["inventory_transactions"] == sum(f["rows"] for f in day_files)


def test_tiny_volume_is_a_few_hundred_rows_a_day(manifest):
    per_day = manifest["rows"]["inventory_transactions"] / ((END - START).days + 1)
    assert 150 <= per_day <= 600


# ---- contract ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(SOURCE_TABLES))
def test_files_have_contract_columns_and_types(landing, db, name):
    table = SOURCE_TABLES[name]
    for path in sorted(landing.glob(_glob(name)))[:20]:
        schema = pq.read_schema(path)
        assert schema.names == list(table.column_names)
        assert [f.type for f in schema] == [arrow_type(c.type) for c in table.columns]
    described = db.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()
    assert [(r[0], r[1]) for r in described] == [(c.name, c.type) for c in table.columns]


@pytest.mark.parametrize("name", list(SOURCE_TABLES))
def test_rows_obey_contract_rules(db, name):
    table = SOURCE_TABLES[name]
    assert _one(db, f"SELECT count(*) FROM {name}") > 0
    keys = ", ".join(table.key)
    assert _one(db, f"SELECT count(*) FROM (SELECT {keys} FROM {name} GROUP BY ALL HAVING count(*) > 1)") == 0
    for col in table.columns:
        if not col.nullable:
            assert _one(db, f"SELECT count(*) FROM {name} WHERE {col.name} IS NULL") == 0, col.name
        if col.accepted_values:
            allowed = ", ".join(f"'{v}'" for v in col.accepted_values)
            assert _one(db, f"SELECT count(*) FROM {name} WHERE {col.name} NOT IN ({allowed})") == 0, col.name
        if col.min_value is not None:
            op = "<=" if col.exclusive_min else "<"
            assert _one(db, f"SELECT count(*) FROM {name} WHERE {col.name} {op} {col.min_value}") == 0, col.name
    for rule in table.row_rules:
        assert _one(db, f"SELECT count(*) FROM {name} WHERE NOT ({rule.predicate})") == 0, rule.reason


def test_movement_signs_and_reference_prefixes(db):
    rows = db.execute("""
        SELECT movement_type, min(quantity), max(quantity), min(reference_id), max(reference_id),
               count(*) FILTER (WHERE reference_id IS NULL)
        FROM ledger GROUP BY ALL
    """).fetchall()
    assert {r[0] for r in rows} == set(MOVEMENT_SIGNS)
    for movement, lo, hi, ref_lo, ref_hi, no_ref in rows:
        sign = MOVEMENT_SIGNS[movement]
        assert lo != 0 and hi != 0
        if sign > 0:
            assert lo > 0, movement
        if sign < 0:
            assert hi < 0, movement
        assert no_ref == 0
        assert ref_lo.startswith(REFERENCE_PREFIX[movement]) and ref_hi.startswith(REFERENCE_PREFIX[movement])
    # damage and shrink dominate adjustments
    assert _one(db, "SELECT avg((quantity < 0)::INT) FROM ledger WHERE movement_type = 'ADJUSTMENT'") > 0.7


def test_day_partitions_and_transaction_ids(landing, db):
    for folder in sorted((landing / "inventory_transactions").iterdir())[::97]:
        day = folder.name.removeprefix("date=")
        dates = db.execute(f"""
            SELECT DISTINCT CAST(event_ts AS DATE)::VARCHAR
            FROM read_parquet('{(folder / "part-00000.parquet").as_posix()}')
        """).fetchall()
        assert dates == [(day,)]
    # ids increase with the day and, within it, with event time
    assert _one(db, """
        SELECT count(*) FROM (
            SELECT transaction_id, event_ts,
                   lag(event_ts) OVER (ORDER BY transaction_id) AS previous_ts
            FROM ledger) WHERE event_ts < previous_ts
    """) == 0
    assert _one(db, "SELECT min(event_ts)::DATE FROM ledger") == START
    assert _one(db, "SELECT max(event_ts)::DATE FROM ledger") == END


# ---- stock behaviour -----------------------------------------------------------------------------------

def test_on_hand_never_negative(db):
    db.execute("""
        CREATE OR REPLACE TEMP TABLE running AS
        SELECT warehouse_id, sku_id, event_date, transaction_id,
               coalesce(o.quantity_on_hand, 0)
                 + sum(quantity) OVER (PARTITION BY warehouse_id, sku_id ORDER BY event_ts, transaction_id)
                 AS on_hand
        FROM ledger l LEFT JOIN opening_balances o USING (warehouse_id, sku_id)
    """)
    end_of_day = """
        SELECT min(on_hand) FROM (
            SELECT warehouse_id, sku_id, event_date, arg_max(on_hand, transaction_id) AS on_hand
            FROM running GROUP BY ALL)
    """
    assert _one(db, end_of_day) >= 0
    assert _one(db, "SELECT min(on_hand) FROM running") >= 0  # even movement by movement


def test_transfers_pair_up_within_a_region(db):
    bad = db.execute("""
        SELECT reference_id FROM ledger
        WHERE movement_type IN ('TRANSFER_OUT', 'TRANSFER_IN')
        GROUP BY reference_id
        HAVING count(*) <> 2 OR sum(quantity) <> 0 OR count(DISTINCT warehouse_id) <> 2
            OR count(DISTINCT region) <> 1 OR count(DISTINCT event_date) <> 1 OR count(DISTINCT sku_id) <> 1
            OR count(*) FILTER (WHERE movement_type = 'TRANSFER_OUT') <> 1
    """).fetchall()
    assert bad == []
    assert _one(db, "SELECT count(*) FROM ledger WHERE movement_type = 'TRANSFER_IN'") > 0
    # TR- is reserved for transfers
    assert _one(db, "SELECT count(*) FROM ledger WHERE reference_id LIKE 'TR-%' "
                    "AND movement_type NOT IN ('TRANSFER_OUT', 'TRANSFER_IN')") == 0


def test_no_movements_before_launch_or_outside_warehouse_lifetime(db):
    assert _one(db, """
        SELECT count(*) FROM ledger l
        JOIN (SELECT sku_id, min(valid_from) AS launched FROM products GROUP BY 1) p USING (sku_id)
        WHERE l.event_date < p.launched
    """) == 0
    assert _one(db, """
        SELECT count(*) FROM ledger l
        JOIN (SELECT DISTINCT warehouse_id, open_date, close_date FROM warehouses) w USING (warehouse_id)
        WHERE l.event_date < w.open_date OR l.event_date >= w.close_date
    """) == 0
    assert _one(db, """
        SELECT count(*) FROM opening_balances o
        JOIN (SELECT DISTINCT warehouse_id, open_date FROM warehouses) w USING (warehouse_id)
        JOIN (SELECT sku_id, min(valid_from) AS launched FROM products GROUP BY 1) p USING (sku_id)
        WHERE w.open_date > o.as_of_date OR p.launched > o.as_of_date
    """) == 0
    assert _one(db, "SELECT count(DISTINCT as_of_date) FROM opening_balances") == 1
    assert _one(db, "SELECT min(as_of_date) FROM opening_balances") == START - timedelta(days=1)


def test_warehouse_lifecycles(db):
    opened = db.execute(f"""
        SELECT DISTINCT warehouse_id, open_date FROM warehouses WHERE open_date > DATE '{START}'
    """).fetchall()
    assert opened, "some warehouse should open during the history"
    for wh, open_date in opened:
        assert _one(db, f"SELECT count(*) FROM opening_balances WHERE warehouse_id = '{wh}'") == 0
        first = db.execute(f"""
            SELECT movement_type, event_date FROM ledger WHERE warehouse_id = '{wh}'
            ORDER BY transaction_id LIMIT 1
        """).fetchone()
        assert first[0] == "RECEIPT" and first[1] >= open_date

    closed = db.execute("SELECT DISTINCT warehouse_id, close_date FROM warehouses WHERE close_date IS NOT NULL")
    closed = closed.fetchall()
    assert closed, "some warehouse should close during the history"
    for wh, close_date in closed:
        stock = _one(db, f"""
            SELECT coalesce((SELECT sum(quantity_on_hand) FROM opening_balances WHERE warehouse_id = '{wh}'), 0)
                 + coalesce((SELECT sum(quantity) FROM ledger WHERE warehouse_id = '{wh}'), 0)
        """)
        assert stock == 0
        last = db.execute(f"""
            SELECT DISTINCT movement_type FROM ledger
            WHERE warehouse_id = '{wh}' AND event_date = DATE '{close_date}' - 1
        """).fetchall()
        assert last == [("TRANSFER_OUT",)]


def test_slowly_changing_masters(db):
    assert _one(db, "SELECT count(*) FROM (SELECT warehouse_id FROM warehouses GROUP BY 1 HAVING count(*) > 1)") >= 1
    assert _one(db, """
        SELECT count(*) FROM (SELECT sku_id FROM products GROUP BY 1 HAVING count(DISTINCT category_code) > 1)
    """) >= 1
    assert _one(db, "SELECT count(DISTINCT category_code) FROM products") == 50
    assert _one(db, "SELECT count(*) FROM products WHERE valid_from > DATE '2022-01-01'") > 0
    regions = db.execute("SELECT DISTINCT region FROM warehouses ORDER BY 1").fetchall()
    assert regions == [("APAC",), ("EU",), ("NA",)]
    assert _one(db, "SELECT count(DISTINCT currency_code) FROM warehouses") >= 4


def test_fx_has_every_business_day_for_every_currency(db):
    in_use = {r[0] for r in db.execute("SELECT DISTINCT currency_code FROM warehouses").fetchall()} | {"USD"}
    assert {r[0] for r in db.execute("SELECT DISTINCT currency_code FROM fx_rates").fetchall()} == in_use
    missing = db.execute(f"""
        WITH days AS (
            SELECT d::DATE AS d FROM range(DATE '{START - timedelta(days=10)}', DATE '{END}' + 1, INTERVAL 1 DAY) r(d)
            WHERE isodow(d) <= 5),
        wanted AS (SELECT d, c FROM days, (SELECT DISTINCT currency_code AS c FROM fx_rates))
        SELECT count(*) FROM wanted w
        LEFT JOIN fx_rates f ON f.rate_date = w.d AND f.currency_code = w.c
        WHERE f.usd_per_unit IS NULL
    """)
    assert missing.fetchone()[0] == 0
    assert _one(db, "SELECT count(*) FROM fx_rates WHERE isodow(rate_date) > 5") == 0
    assert _one(db, "SELECT count(*) FROM fx_rates WHERE currency_code = 'USD' AND usd_per_unit <> 1") == 0
    assert set(in_use) <= set(CURRENCIES)


def test_standard_costs_cover_every_sku_and_currency_from_the_start(db):
    assert _one(db, f"""
        WITH wanted AS (
            SELECT sku_id, c FROM (SELECT DISTINCT sku_id FROM products),
                 (SELECT DISTINCT currency_code AS c FROM warehouses UNION SELECT 'USD'))
        SELECT count(*) FROM wanted w
        WHERE NOT EXISTS (SELECT 1 FROM standard_costs s
                          WHERE s.sku_id = w.sku_id AND s.currency_code = w.c AND s.effective_date <= DATE '{START}')
    """) == 0
    # all currencies of a SKU change cost on the same days
    assert _one(db, """
        SELECT count(DISTINCT n) FROM (SELECT sku_id, currency_code, count(*) AS n FROM standard_costs GROUP BY ALL)
        GROUP BY sku_id ORDER BY 1 DESC LIMIT 1
    """) == 1


def test_unknown_scale_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown scale"):
        simulate("huge", 1, tmp_path, progress=False)


# ---- the fast paths equal what they replace (the output must stay byte-identical) ------------------------

def test_fast_paths_equal_the_numpy_calls_they_replace():
    rng = np.random.default_rng(3)
    second = np.concatenate([rng.integers(lo, hi, n) for lo, hi, n in
                             ((4 * 3600, 9 * 3600, 5000), (9 * 3600, 10 * 3600, 300), (12 * 3600, 22 * 3600, 90_000),
                              (22 * 3600, 86_400, 4000))])
    assert np.array_equal(_stable_order(second), np.argsort(second, kind="stable"))
    drawn = rng.integers(0, 50_000, 30_000)
    assert np.array_equal(_sorted_unique(drawn), np.unique(drawn))
    assert len(_sorted_unique(drawn[:0])) == 0
    # a Poisson draw with rate 0 returns 0 and takes no random number, so zeroing the rates of pairs that do
    # not sell equals drawing for the selling pairs alone
    rate = rng.gamma(0.3, 20, 50_000)  # a fifth of them >= 10 (numpy's other Poisson method)
    sells = rng.random(len(rate)) < 0.7
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    everyone = a.poisson(rate * sells)
    assert np.array_equal(everyone[sells], b.poisson(rate[sells])) and not everyone[~sells].any()
    assert a.bit_generator.state == b.bit_generator.state

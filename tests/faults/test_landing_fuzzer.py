"""Landing-zone fuzzer: a few hundred malformed files, many with hostile names, beside valid ones.

Issue 16 asks that one bad file never stops a load. The fuzzer writes, from a fixed seed, files that an
operator's exports can really produce (corrupted bytes, truncated or empty Parquet, wrong types, bad
UTF-8, lenient CSV numbers, extra or missing columns) under names with glob characters, quotes, unicode
and undecodable bytes, then loads them as the Bronze asset does. Every bad file must be quarantined with
a reason that names it, no load may raise, and every valid file must load whole. Whether a file is bad
is decided when it is written (for corrupted bytes: pyarrow cannot read it back), not by the loader.
Misplaced files (a folder that is not a day such as date=2025-13-45, a file outside the day folders, an
extension other than .parquet/.csv) are never read by a load: the check every_landed_file_accounted_for
must name every one of them, and only them.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from inventory_platform.bronze.landing_accounting import account_for_landing
from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.bronze.validation import display_name
from inventory_platform.landing_contract import FX_RATES, INVENTORY_TRANSACTIONS, MOVEMENT_SIGNS

SEED = int(os.environ.get("LANDING_FUZZ_SEED", "16"))  # another seed explores other files; 16 is CI's
DAYS = [date(2024, 3, 1) + timedelta(days=i) for i in range(8)]
BAD_FILES, VALID_FILES, MISPLACED_FILES = 240, 90, 30
MISPLACED_FOLDERS = ["date=2025-13-45", "date=2024-02-30", "date=24-03-01", "dt=2024-03-01", "date=2024-03-01 ",
                     "DATE=2024-03-01", "date=2024-03-01/late", "date=*", "date=2024-03-0[1]", ""]
MISPLACED_EXTENSIONS = [".parquet", ".csv", ".CSV", ".PARQUET", ".txt", ".parquet.bak", ""]

TX_SCHEMA = pa.schema([
    ("transaction_id", pa.int64()), ("event_ts", pa.timestamp("us")), ("warehouse_id", pa.string()),
    ("sku_id", pa.string()), ("movement_type", pa.string()), ("quantity", pa.int64()), ("reference_id", pa.string()),
])
FX_SCHEMA = pa.schema([("rate_date", pa.date32()), ("currency_code", pa.string()), ("usd_per_unit", pa.decimal128(18, 8))])
HOSTILE_STEMS = [
    "part*", "part?", "[part]", "part]", "{a,b}", "**", "a[!b]c", "日本語データ", "café-é", "📦-box", "rtl-\u202e-gnp",
    "space name", "quote'name", 'double"quote', "semi;colon", "back\\slash", "new\nline", "tab\tname", "%20percent",
    "~tilde", "-dash", "$(touch pwned)", "x" * 200,
]


@dataclass
class Landed:
    path: Path
    table: str
    kind: str
    rows: int | None  # rows it must load; None when it must be quarantined


class LandingFuzzer:
    def __init__(self, landing: Path, seed: int):
        self.landing, self.rng, self.next_id, self.files = landing, random.Random(seed), 1, []
        self.misplaced: list[Path] = []

    # --- valid content -------------------------------------------------------------------------
    def tx_rows(self, day: date, n: int) -> dict[str, list]:
        ids = list(range(self.next_id, self.next_id + n))
        self.next_id += n
        moves = [self.rng.choice(list(MOVEMENT_SIGNS)) for _ in ids]
        qty = [(MOVEMENT_SIGNS[m] or self.rng.choice((1, -1))) * self.rng.randint(1, 500) for m in moves]
        return {
            "transaction_id": ids,
            "event_ts": [datetime.combine(day, datetime.min.time()) + timedelta(seconds=self.rng.randrange(86400),
                                                                                microseconds=self.rng.randrange(10**6))
                         for _ in ids],
            "warehouse_id": [f"WH-{self.rng.randint(1, 30):03d}" for _ in ids],
            "sku_id": [f"SKU-{self.rng.randint(1, 9999):06d}" for _ in ids],
            "movement_type": moves,
            "quantity": qty,
            "reference_id": [self.rng.choice([None, f"REF-{i}"]) for i in ids],
        }

    def fx_rows(self, n: int) -> dict[str, list]:
        start = self.next_id
        self.next_id += n
        return {"rate_date": [date(2000, 1, 1) + timedelta(days=start + i) for i in range(n)],
                "currency_code": [self.rng.choice(["EUR", "GBP", "JPY"]) for _ in range(n)],
                "usd_per_unit": [Decimal(self.rng.randint(1, 10**9)).scaleb(-8) for _ in range(n)]}

    @staticmethod
    def parquet(rows: dict[str, list], schema: pa.Schema, compression: str = "zstd") -> bytes:
        sink = pa.BufferOutputStream()
        table = pa.table({k: rows[k] for k in schema.names if k in rows}, schema=schema)
        pq.write_table(table, sink, compression=compression)
        return sink.getvalue().to_pybytes()

    @staticmethod
    def csv(rows: dict[str, list], columns: list[str] | None = None) -> bytes:
        columns = columns or list(rows)
        def text(v):
            if v is None:
                return ""
            return v.isoformat(sep=" ") if isinstance(v, datetime) else str(v)
        lines = [",".join(columns)] + [",".join(text(rows[c][i]) for c in columns)
                                       for i in range(len(rows[columns[0]]))]
        return ("\n".join(lines) + "\n").encode()

    # --- writing ------------------------------------------------------------------------------------
    def write(self, table: str, day: date | None, kind: str, content: bytes, ext: str, rows: int | None) -> None:
        folder = self.landing / table / (f"date={day.isoformat()}" if day else "")
        folder.mkdir(parents=True, exist_ok=True)
        n = len(self.files)
        roll = self.rng.random()
        if roll < 0.05:  # undecodable bytes: not a name DuckDB can be given, so quarantined whatever the content
            path = Path(os.fsdecode(os.fsencode(folder) + f"/bad-\xff{n}".encode("latin-1") + ext.encode()))
            rows = None
            kind += "+non_utf8_name"
        elif roll < 0.45:
            stem = self.rng.choice(HOSTILE_STEMS)
            path = folder / f"{stem}-{n}{ext}"
        else:
            path = folder / f"part-{n:05d}{ext}"
        path.write_bytes(content)
        self.files.append(Landed(path, table, kind, rows))

    def valid(self) -> None:
        if self.rng.random() < 0.15:
            rows = self.fx_rows(self.rng.randint(0, 20))
            as_csv = self.rng.random() < 0.5
            content = self.csv(rows) if as_csv else self.parquet(rows, FX_SCHEMA)
            self.write("fx_rates", None, "valid", content, ".csv" if as_csv else ".parquet", len(rows["rate_date"]))
            return
        day = self.rng.choice(DAYS)
        rows = self.tx_rows(day, self.rng.choice([0, 1, 5, 40, 300]))
        if self.rng.random() < 0.3:
            self.write("inventory_transactions", day, "valid_csv", self.csv(rows), ".csv", len(rows["transaction_id"]))
        else:
            compression = self.rng.choice(["zstd", "snappy", "none", "gzip"])
            self.write("inventory_transactions", day, f"valid_{compression}", self.parquet(rows, TX_SCHEMA, compression),
                       ".parquet", len(rows["transaction_id"]))

    def bad(self) -> None:
        if self.rng.random() < 0.1:
            content, ext = fx_bad(self)
            self.write("fx_rates", None, "fx_bad", content, ext, None)
            return
        kind = self.rng.choice(BAD_KINDS)
        day = self.rng.choice(DAYS)
        content, ext = kind(self, day)
        self.write("inventory_transactions", day, kind.__name__, content, ext, None)


    def misplaced_file(self) -> None:
        """Valid content where no load reads it: a bad day folder, the table's root, a subfolder, another extension."""
        folder = self.rng.choice(MISPLACED_FOLDERS)
        ext = self.rng.choice(MISPLACED_EXTENSIONS if folder else [e for e in MISPLACED_EXTENSIONS if e != ".parquet"]
                              + [".parquet"] * 3)
        if folder.startswith("date=2024-03-01") and folder != "date=2024-03-01 " and ext in (".parquet", ".csv"):
            folder = "date=2024-03-01/late"  # a loadable place: keep it misplaced
        day = self.rng.choice(DAYS)
        rows = self.tx_rows(day, 3)
        content = self.csv(rows) if ext.lower() == ".csv" else self.parquet(rows, TX_SCHEMA)
        path = self.landing / "inventory_transactions" / folder / f"misplaced-{len(self.misplaced)}{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        self.misplaced.append(path)


# --- bad content: each returns (bytes, extension); every one must be quarantined ------------------

def flipped_bytes(f: LandingFuzzer, day: date):
    """Bytes flipped in the data pages, footer intact, until pyarrow itself cannot read the file.

    Not gzip: pyarrow finds a flipped gzip page by its checksum, DuckDB does not check it and can load
    the changed values when they still meet the contract (seed 2 changed 15 sku_ids). Only a per-file
    hash from the sender (the landing manifest's sha256) would catch that; see the issue 16 notes."""
    data = f.parquet(f.tx_rows(day, 200), TX_SCHEMA, f.rng.choice(["zstd", "snappy"]))
    footer_start = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    for _ in range(50):
        at, n = f.rng.randrange(4, footer_start - 1), f.rng.randint(1, 64)
        n = min(n, footer_start - at)
        corrupt = data[:at] + bytes(b ^ 0xFF for b in data[at:at + n]) + data[at + n:]
        try:
            pq.read_table(pa.BufferReader(corrupt)).validate(full=True)
        except Exception:  # noqa: BLE001 - any failure of the independent reader makes it a bad file
            return corrupt, ".parquet"
    return data[: footer_start // 2], ".parquet"  # never unreadable: truncate instead


def truncated(f: LandingFuzzer, day: date):
    data = f.parquet(f.tx_rows(day, 50), TX_SCHEMA)
    return data[: f.rng.randrange(0, len(data) - 1)], ".parquet"


def empty_or_magic_only(f: LandingFuzzer, day: date):
    return f.rng.choice([b"", b"PAR1", b"PAR1PAR1", b"PAR1\x00\x00\x00\x00PAR1"]), ".parquet"


def random_garbage(f: LandingFuzzer, day: date):
    return f.rng.randbytes(f.rng.randint(1, 4000)), f.rng.choice([".parquet", ".csv"])


def garbled_footer_length(f: LandingFuzzer, day: date):
    data = f.parquet(f.tx_rows(day, 20), TX_SCHEMA)
    return data[:-8] + f.rng.randbytes(4) + b"PAR1", ".parquet"


def wrong_type(f: LandingFuzzer, day: date):
    rows = f.tx_rows(day, 10)
    column, typ, convert = f.rng.choice([
        ("quantity", pa.string(), str), ("quantity", pa.float64(), float), ("event_ts", pa.string(), str),
        ("event_ts", pa.date32(), lambda v: v.date()), ("warehouse_id", pa.int64(), lambda v: int(v[3:])),
        ("transaction_id", pa.float64(), float), ("transaction_id", pa.bool_(), bool), ("sku_id", pa.binary(), str.encode),
    ])
    rows[column] = [convert(v) for v in rows[column]]
    schema = pa.schema([pa.field(column, typ) if fl.name == column else fl for fl in TX_SCHEMA])
    return f.parquet(rows, schema), ".parquet"


def missing_or_extra_column(f: LandingFuzzer, day: date):
    rows = f.tx_rows(day, 10)
    choice = f.rng.randrange(3)
    if choice == 0:
        drop = f.rng.choice(TX_SCHEMA.names)
        return f.parquet(rows, pa.schema([fl for fl in TX_SCHEMA if fl.name != drop])), ".parquet"
    if choice == 1:
        rows["comment"] = ["x"] * 10
        return f.parquet(rows, TX_SCHEMA.append(pa.field("comment", pa.string()))), ".parquet"
    rows["Quantity"] = rows.pop("quantity")  # a renamed (recased) column
    return f.parquet(rows, pa.schema([pa.field("Quantity", pa.int64()) if fl.name == "quantity" else fl
                                      for fl in TX_SCHEMA])), ".parquet"


def bad_value(f: LandingFuzzer, day: date):
    rows = f.tx_rows(day, 30)
    i = f.rng.randrange(30)
    schema = TX_SCHEMA
    match f.rng.randrange(7):
        case 0:
            rows["quantity"][i] = 0
        case 1:
            rows["movement_type"][i], rows["quantity"][i] = "RECEIPT", -abs(rows["quantity"][i])
        case 2:
            rows["movement_type"][i] = f.rng.choice(["TELEPORT", "receipt", ""])  # (spaces around are trimmed in CSV)
        case 3:
            rows[f.rng.choice(["warehouse_id", "sku_id", "event_ts", "transaction_id"])][i] = None
        case 4:
            rows["transaction_id"][i] = rows["transaction_id"][(i + 1) % 30]
        case 5:
            rows["event_ts"][i] += timedelta(days=f.rng.choice([-1, 1, 400]))
        case _:
            schema = pa.schema([pa.field("transaction_id", pa.uint64()) if fl.name == "transaction_id" else fl
                                for fl in TX_SCHEMA])
            rows["transaction_id"][i] = 2**63 + f.rng.randrange(2**62)
    if schema is TX_SCHEMA and f.rng.random() < 0.3:
        return f.csv(rows), ".csv"
    return f.parquet(rows, schema), ".parquet"


def csv_bad_text(f: LandingFuzzer, day: date):
    rows = f.tx_rows(day, 20)
    i = f.rng.randrange(20)
    match f.rng.randrange(6):
        case 0:
            rows["quantity"][i] = f.rng.choice(["5.7", "0x10", "1e3", "1_000", "٣", "12abc", "--4"])
        case 1:
            offset = f.rng.choice(["+05:00", "-08:00", "+0530", " UTC", "+01"])
            rows["event_ts"][i] = rows["event_ts"][i].isoformat(sep=" ") + offset
        case 2:
            rows["transaction_id"][i] = f.rng.choice(["1.0", "0b1", "99999999999999999999", "NaN"])
        case 3:
            content = f.csv(rows)
            at = f.rng.randrange(len(content) // 2, len(content) - 2)
            return content[:at] + b"\xff\xfe\xc3" + content[at:], ".csv"  # not UTF-8
        case 4:
            return f.csv(rows).replace(b"\n", b",extra\n", 3), ".csv"  # ragged rows
        case _:
            return f.csv(rows).replace(b",", b';'), ".csv"  # another delimiter: one column
    return f.csv(rows), ".csv"


def fx_bad(f: LandingFuzzer):
    """An FX file with one bad date, currency or rate (decimals and dates, which the ledger lacks)."""
    rows = f.fx_rows(10)
    i = f.rng.randrange(10)
    if f.rng.random() < 0.5:
        text = {k: [str(v) for v in vals] for k, vals in rows.items()}
        column, value = f.rng.choice([
            ("rate_date", "2024-02-30"), ("rate_date", "24-01-02"), ("rate_date", "2024-01-02 00:00:00"),
            ("usd_per_unit", "1e-3"), ("usd_per_unit", "0"), ("usd_per_unit", "NaN"), ("usd_per_unit", "1,08"),
            ("usd_per_unit", "12345678901.5"), ("currency_code", "XXX"), ("currency_code", "eur"),
        ])
        text[column][i] = value
        return f.csv(text), ".csv"
    schema = pa.schema([pa.field("usd_per_unit", pa.float64()) if fl.name == "usd_per_unit" else fl for fl in FX_SCHEMA])
    rows["usd_per_unit"] = [float(v) for v in rows["usd_per_unit"]]
    rows["usd_per_unit"][i] = f.rng.choice([float("nan"), float("inf"), -1.5, 0.0, 1e30])
    return f.parquet(rows, schema), ".parquet"


BAD_KINDS = [flipped_bytes, truncated, empty_or_magic_only, random_garbage, garbled_footer_length, wrong_type,
             missing_or_extra_column, bad_value, csv_bad_text]


def test_landing_fuzzer_quarantines_every_bad_file_and_loads_every_valid_one(tmp_path: Path, capsys):
    started = time.monotonic()
    fuzzer = LandingFuzzer(tmp_path / "landing", SEED)
    plan = [fuzzer.bad] * BAD_FILES + [fuzzer.valid] * VALID_FILES + [fuzzer.misplaced_file] * MISPLACED_FILES
    fuzzer.rng.shuffle(plan)
    for step in plan:
        step()

    crashed, rejections = [], []
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        for table in (INVENTORY_TRANSACTIONS, FX_RATES):
            files = landing_files(tmp_path / "landing", table)
            for half in (files[::2], files):  # two runs, as a backfill would: the second loads the rest
                try:
                    rejections += load_files(con, table, half, tmp_path / "quarantine").rejections
                except Exception as exc:  # noqa: BLE001 - counted: the test fails on any crashed load
                    crashed.append(f"{table.name}: {type(exc).__name__}: {exc}")
        again = [load_files(con, t, landing_files(tmp_path / "landing", t), tmp_path / "quarantine")
                 for t in (INVENTORY_TRANSACTIONS, FX_RATES)]
        loaded_rows = dict(con.execute(
            "SELECT _source_file, count(*) FROM (SELECT _source_file FROM bronze.inventory_transactions "
            "UNION ALL SELECT _source_file FROM bronze.fx_rates) GROUP BY 1").fetchall())
        status = dict(con.execute("SELECT source_file, status FROM bronze.load_log").fetchall())
        accounting = account_for_landing(con, INVENTORY_TRANSACTIONS, tmp_path / "landing", (DAYS[0], DAYS[-1]), [])
    elapsed = time.monotonic() - started

    bad = [f for f in fuzzer.files if f.rows is None]
    good = [f for f in fuzzer.files if f.rows is not None]
    rejected_by_path = {r.file: r for r in rejections}
    loaded = sum(1 for f in good if status.get(str(f.path)) == "loaded")
    with capsys.disabled():
        print(f"\nlanding fuzzer (seed {SEED}): {len(fuzzer.files)} files tried ({len(bad)} bad, {len(good)} valid, "
              f"{sum(1 for f in fuzzer.files if f.path.name.split('-')[0] != 'part')} with hostile names), "
              f"{len(rejections)} quarantined, {loaded} loaded ({sum(loaded_rows.values())} rows; "
              f"{len(good) - loaded} repeated 0-row files skipped as already loaded), {len(fuzzer.misplaced)} misplaced "
              f"files named by every_landed_file_accounted_for, {len(crashed)} crashed loads, "
              f"{elapsed:.1f} s")

    assert crashed == []
    # Every bad file quarantined, unless its bytes were loaded already (a 0-row file under a non-UTF-8 name).
    loaded_content = {f.path.read_bytes() for f in good if status.get(str(f.path)) == "loaded"}
    assert [f"{f.kind}: {display_name(f.path)}" for f in bad
            if f.path not in rejected_by_path and f.path.read_bytes() not in loaded_content] == []
    assert [f"{f.kind}: {display_name(f.path)}: {rejected_by_path[f.path].message()}"
            for f in good if f.path in rejected_by_path] == []
    assert [r.message() for r in rejections if not r.message().startswith((display_name(r.file) + ":",
                                                                           display_name(r.file) + ", "))] == []
    assert {display_name(f.path): f.rows for f in good if f.rows} == loaded_rows
    # Every valid file loaded, or (a 0-row file) has the same bytes as one that did.
    assert [display_name(f.path) for f in good if f.path.read_bytes() not in loaded_content] == []
    assert [(r.rows_loaded, r.files_loaded, r.rejections) for r in again] == [(0, [], [])] * 2
    # Every misplaced file, and nothing else, is named by the landing accounting check with its rows.
    named = {u.path: u for u in accounting.unaccounted}
    assert sorted(map(str, named)) == sorted(map(str, fuzzer.misplaced))
    assert [u.message() for u in named.values() if not (u.rows == 3 and u.reason.startswith("not loaded: ") and not u.pending)] == []

"""Writes landing-zone files typed exactly as the contract says, atomically, and the manifest that lists them."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from inventory_platform.landing_contract import MANIFEST_FILE, SourceTable

_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_SIMPLE_TYPES = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
}


def arrow_type(duckdb_type: str) -> pa.DataType:
    if duckdb_type in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[duckdb_type]
    if m := _DECIMAL.fullmatch(duckdb_type):
        return pa.decimal128(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"no Parquet mapping for contract type {duckdb_type}")


def contract_schema(table: SourceTable) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c.type), nullable=c.nullable) for c in table.columns])


def _decimal_array(values: np.ndarray, dtype: pa.Decimal128Type) -> pa.Array:
    """Floats already rounded to the column's scale, stored exactly (no float-to-decimal rounding surprises)."""
    unscaled = np.rint(np.asarray(values, dtype=np.float64) * 10**dtype.scale).astype(np.int64)
    words = np.empty((len(unscaled), 2), dtype=np.int64)  # little-endian 128-bit two's complement
    words[:, 0] = unscaled
    words[:, 1] = np.where(unscaled < 0, -1, 0)
    return pa.Array.from_buffers(dtype, len(unscaled), [None, pa.py_buffer(words.tobytes())])


def _column(values: Any, dtype: pa.DataType) -> pa.Array:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values if values.type == dtype else values.cast(dtype)
    if pa.types.is_decimal(dtype):
        return _decimal_array(values, dtype)
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        unit = "D" if pa.types.is_date(dtype) else "us"
        return pa.array(values.astype(f"datetime64[{unit}]"), dtype)
    if isinstance(values, np.ndarray) and values.dtype == object:
        values = values.tolist()
    return pa.array(values, dtype)


def to_arrow(table: SourceTable, columns: Mapping[str, Any]) -> pa.Table:
    if set(columns) != set(table.column_names):
        raise ValueError(f"{table.name}: columns {sorted(columns)} do not match the contract {table.column_names}")
    schema = contract_schema(table)
    arrays = []
    for field, spec in zip(schema, table.columns, strict=True):
        array = _column(columns[spec.name], field.type)
        if not spec.nullable and array.null_count:
            raise ValueError(f"{table.name}.{spec.name} has nulls but the contract says it is never empty")
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=schema)


def _atomic_write(path: Path, data: bytes | pa.Buffer) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")  # hidden, so a reader globbing *.parquet never sees it
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class LandingWriter:
    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.files: list[dict[str, Any]] = []

    def write(self, table: SourceTable, relative_path: str, data: pa.Table) -> int:
        sink = pa.BufferOutputStream()
        pq.write_table(data, sink, compression="zstd")
        buffer = sink.getvalue()
        _atomic_write(self.out_dir / relative_path, buffer)
        self.files.append({
            "path": relative_path,
            "table": table.name,
            "rows": data.num_rows,
            "sha256": hashlib.sha256(buffer).hexdigest(),
        })
        return data.num_rows

    def write_manifest(self, header: Mapping[str, Any]) -> dict[str, Any]:
        files = sorted(self.files, key=lambda f: f["path"])
        rows: dict[str, int] = {}
        for f in files:
            rows[f["table"]] = rows.get(f["table"], 0) + f["rows"]
        manifest = {**header, "rows": rows, "files": files}
        _atomic_write(self.out_dir / MANIFEST_FILE, (json.dumps(manifest, indent=2) + "\n").encode())
        return manifest


class BackgroundWriter:
    """Builds and writes files on one worker thread while the caller simulates the next day.

    Arrow building, Parquet encoding, zstd and sha256 release the GIL, so on two cores they overlap the
    simulation's numpy work. Files are written one at a time in submission order (the writer's records
    stay in that order), and at most `depth` files wait, which bounds the memory they hold.
    """

    def __init__(self, writer: LandingWriter, depth: int = 2):
        self.writer = writer
        self.depth = depth
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-writer")
        self._pending: deque[Future] = deque()

    def submit(self, table: SourceTable, relative_path: str, build: Callable[[], pa.Table]) -> None:
        while len(self._pending) >= self.depth:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(lambda: self.writer.write(table, relative_path, build())))

    def wait(self) -> None:
        """Every submitted file is on disk (or its error is raised here)."""
        while self._pending:
            self._pending.popleft().result()

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, error_type, *_) -> None:
        try:
            if error_type is None:
                self.wait()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=error_type is not None)


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / MANIFEST_FILE
    return json.loads(path.read_text()) if path.exists() else None

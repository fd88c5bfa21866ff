"""Runs the whole simulation and writes the landing zone: masters first, then the ledger day by day."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from inventory_platform.landing_contract import (
    FX_RATES,
    INVENTORY_TRANSACTIONS,
    MANIFEST_FILE,
    OPENING_BALANCES,
    PRODUCTS,
    STANDARD_COSTS,
    WAREHOUSES,
)

from . import checkpoint
from .assortment import build_assortment
from .costs import build_standard_costs
from .fx import build_fx
from .ledger import MOVEMENT_TYPES, DayParts, Ledger
from .products import build_catalogue
from .scales import get_scale
from .seasonality import Seasonality
from .timeline import DEFAULT_END, DEFAULT_START, History
from .warehouses import build_warehouses
from .writer import BackgroundWriter, LandingWriter, read_manifest, to_arrow

_MICROS_PER_DAY = 86_400 * 1_000_000


def simulate(scale: str, seed: int, out_dir: Path, start: date | None = None, end: date | None = None,
             progress: bool = True) -> dict:
    """Generate a GlobalRetail landing zone under out_dir and return its manifest.

    The same (scale, seed, start, end) always produces byte-identical files. A run that was interrupted
    continues from its last monthly checkpoint when rerun with the same inputs (module checkpoint).
    """
    spec = get_scale(scale)
    history = History(start or DEFAULT_START, end or DEFAULT_END)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = checkpoint.run_key(spec.name, seed, history.start.isoformat(), history.end.isoformat())
    saved = checkpoint.load(out_dir)
    resume = saved if _resumable(out_dir, saved, key) else None
    if resume is None:
        previous_paths = _files_of_an_earlier_run(out_dir, saved)
        checkpoint.remove(out_dir)
    else:
        previous_paths = resume.previous_paths
    # Without a manifest the landing zone reads as incomplete until this run finishes.
    (out_dir / MANIFEST_FILE).unlink(missing_ok=True)

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    network = build_warehouses(spec, history, streams[0])
    catalogue = build_catalogue(spec, history, streams[1])
    fx = build_fx(network.currencies_in_use, history, streams[2])
    costs = build_standard_costs(catalogue, network.currencies_in_use, fx, history, streams[3])
    assortment = build_assortment(spec, network, catalogue, history, streams[4])
    ledger = Ledger(assortment, network, history, Seasonality(history), spec.transactions_per_day, streams[5])

    writer = LandingWriter(out_dir)
    sku_ids = pa.array(catalogue.ids.tolist(), pa.string())
    wh_ids = pa.array(network.ids.tolist(), pa.string())
    if resume is None:
        first_day = 0
        writer.write(PRODUCTS, "products/products.parquet", to_arrow(PRODUCTS, catalogue.versions.to_dict("series")))
        writer.write(WAREHOUSES, "warehouses/warehouses.parquet", to_arrow(WAREHOUSES, network.versions))
        writer.write(STANDARD_COSTS, "standard_costs/standard_costs.parquet", to_arrow(STANDARD_COSTS, costs))
        writer.write(FX_RATES, "fx_rates/fx_rates.parquet", to_arrow(FX_RATES, fx.columns()))
        opening = ledger.opening_balances()
        held = np.flatnonzero(opening > 0)
        writer.write(OPENING_BALANCES, "opening_balances/opening_balances.parquet", to_arrow(OPENING_BALANCES, {
            "warehouse_id": wh_ids.take(pa.array(assortment.wh[held])),
            "sku_id": sku_ids.take(pa.array(assortment.sku[held])),
            "as_of_date": np.full(len(held), np.datetime64(history.opening_date, "D")),
            "quantity_on_hand": opening[held],
        }))
    else:
        first_day = resume.next_day
        writer.files = list(resume.files)
        ledger.restore(resume.ledger, resume.arrays)
        for stream, state in zip(streams, resume.rng_states, strict=True):
            stream.bit_generator.state = state

    movement_names = pa.array(MOVEMENT_TYPES, pa.string())
    columns = [SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rows]:,} rows"), TimeElapsedColumn(), TimeRemainingColumn()]
    total_rows = sum(f["rows"] for f in writer.files if f["table"] == INVENTORY_TRANSACTIONS.name)
    days = history.days
    with Progress(*columns, disable=not progress) as bar, BackgroundWriter(writer) as background:
        task = bar.add_task(f"Simulating {spec.name} ledger (days)", total=history.n_days, completed=first_day,
                            rows=total_rows)
        for t in range(first_day, history.n_days):
            day = days[t]
            movements = ledger.step(t)
            if len(movements):
                background.submit(INVENTORY_TRANSACTIONS, _day_path(day), partial(
                    _transactions, movements, day, assortment.wh, assortment.sku, wh_ids, sku_ids, movement_names))
                total_rows += len(movements)
            if t + 1 < history.n_days and _month(days[t + 1]) != _month(day):
                background.wait()
                checkpoint.save(out_dir, _checkpoint(key, t + 1, writer, previous_paths, streams, ledger))
            bar.update(task, advance=1, rows=total_rows)

    _remove_stale_files(out_dir, previous_paths, {f["path"] for f in writer.files})

    manifest = writer.write_manifest({
        "scale": spec.name,
        "seed": seed,
        "start": history.start.isoformat(),
        "end": history.end.isoformat(),
        "opening_balance_date": history.opening_date.isoformat(),
    })
    checkpoint.remove(out_dir)
    return manifest


def _day_path(day: np.datetime64) -> str:
    return f"{INVENTORY_TRANSACTIONS.name}/date={day}/part-00000.parquet"


def _month(day: np.datetime64) -> np.datetime64:
    return day.astype("datetime64[M]")


def _resumable(out_dir: Path, saved: checkpoint.Checkpoint | None, key: dict) -> bool:
    """A checkpoint of an interrupted run with these same inputs, whose files are all still there."""
    return saved is not None and saved.key == key and all((out_dir / f["path"]).exists() for f in saved.files)


def _files_of_an_earlier_run(out_dir: Path, interrupted: checkpoint.Checkpoint | None) -> list[str]:
    """What the last completed run listed, plus what an interrupted run with other inputs had written."""
    paths = [f["path"] for f in (read_manifest(out_dir) or {}).get("files", [])]
    if interrupted is not None:  # it may also have written days after its checkpoint
        planned = History(date.fromisoformat(interrupted.key["start"]), date.fromisoformat(interrupted.key["end"]))
        paths += interrupted.previous_paths + [f["path"] for f in interrupted.files] + [_day_path(d) for d in planned.days]
    return sorted(set(paths))


def _checkpoint(key: dict, next_day: int, writer: LandingWriter, previous_paths: list[str],
                streams: list[np.random.Generator], ledger: Ledger) -> checkpoint.Checkpoint:
    scalars, arrays = ledger.checkpoint_state()
    return checkpoint.Checkpoint(key=key, next_day=next_day, files=list(writer.files), previous_paths=previous_paths,
                                 rng_states=[s.bit_generator.state for s in streams], ledger=scalars, arrays=arrays)


def _remove_stale_files(out_dir: Path, previous_paths: list[str], current: set[str]) -> None:
    """Files an earlier run wrote but this run did not (e.g. days outside a new range)."""
    for relative in previous_paths:
        if relative in current:
            continue
        path = out_dir / relative
        path.unlink(missing_ok=True)
        if path.parent != out_dir and path.parent.is_dir() and not any(path.parent.iterdir()):
            path.parent.rmdir()


def _transactions(parts: DayParts, day: np.datetime64, pair_wh: np.ndarray, pair_sku: np.ndarray,
                  wh_ids: pa.Array, sku_ids: pa.Array, movement_names: pa.Array) -> pa.Table:
    m = parts.movements()
    micros = day.astype("datetime64[D]").astype(np.int64) * _MICROS_PER_DAY + m.second * 1_000_000
    return to_arrow(INVENTORY_TRANSACTIONS, {
        "transaction_id": m.transaction_id,
        "event_ts": pa.array(micros, pa.timestamp("us")),
        "warehouse_id": wh_ids.take(pa.array(pair_wh[m.pair])),
        "sku_id": sku_ids.take(pa.array(pair_sku[m.pair])),
        "movement_type": movement_names.take(pa.array(m.movement)),
        "quantity": m.quantity,
        "reference_id": m.reference(),
    })

"""Monthly checkpoints of a running simulation, so an interrupted run continues where it stopped.

A `full` history takes many minutes to simulate; a crash or a kill near the end must not cost the whole run.
After each simulated month the simulator saves everything it needs to continue bit-identically (the ledger's
state, every random stream, the files written so far) in one file, replaced atomically. A rerun with the
same inputs (scale, seed, start, end, simulator code) resumes from it; any other rerun starts over. The
checkpoint lives in a hidden folder of the landing zone (readers skip hidden entries) and is removed when
the run completes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CHECKPOINT_DIR = ".simulation"
CHECKPOINT_FILE = "checkpoint.npz"
_META = "meta"
_FORMAT = 1


def code_fingerprint() -> str:
    """Hash of the code that decides the output: a checkpoint made by other code is not resumed."""
    from inventory_platform import landing_contract

    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")) + [Path(landing_contract.__file__)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def run_key(scale: str, seed: int, start: str, end: str) -> dict[str, Any]:
    return {"format": _FORMAT, "scale": scale, "seed": seed, "start": start, "end": end, "code": code_fingerprint()}


@dataclass(frozen=True)
class Checkpoint:
    key: dict[str, Any]
    next_day: int  # index of the first day not yet simulated
    files: list[dict[str, Any]]  # the writer's records of every file written before next_day
    previous_paths: list[str]  # files of the run before this one, to remove if this run does not rewrite them
    rng_states: list[dict[str, Any]]
    ledger: dict[str, Any]  # Ledger.checkpoint_state()'s scalars
    arrays: dict[str, np.ndarray]  # and its arrays


def _path(out_dir: Path) -> Path:
    return out_dir / CHECKPOINT_DIR / CHECKPOINT_FILE


def save(out_dir: Path, checkpoint: Checkpoint) -> None:
    meta = {"key": checkpoint.key, "next_day": checkpoint.next_day, "files": checkpoint.files,
            "previous_paths": checkpoint.previous_paths, "rng_states": checkpoint.rng_states,
            "ledger": checkpoint.ledger}
    path = _path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **{_META: np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}, **checkpoint.arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # a kill at any point leaves either the previous checkpoint or this one


def load(out_dir: Path) -> Checkpoint | None:
    """The last checkpoint in out_dir, or None if there is none or it cannot be read (then the run starts over)."""
    path = _path(out_dir)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(npz[_META].tobytes())
            arrays = {name: npz[name] for name in npz.files if name != _META}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return Checkpoint(key=meta["key"], next_day=meta["next_day"], files=meta["files"],
                      previous_paths=meta["previous_paths"], rng_states=meta["rng_states"], ledger=meta["ledger"],
                      arrays=arrays)


def remove(out_dir: Path) -> None:
    shutil.rmtree(out_dir / CHECKPOINT_DIR, ignore_errors=True)

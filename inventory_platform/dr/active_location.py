"""The active-location pointer: which copy of the warehouse and landing zone the platform runs on.

It lives in the DR directory, not the data directory, so it survives the loss of the primary's disk.
Absent means the primary. `load_settings()` reads it; only `dr failover` writes it and `dr rollback`
removes it. Imports nothing from the package: settings imports this module.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

POINTER_FILE = "active_location.json"


def pointer_path(dr_dir: Path) -> Path:
    return dr_dir / POINTER_FILE


def read_active_pointer(dr_dir: Path) -> dict | None:
    path = pointer_path(dr_dir)
    if not path.exists():
        return None
    try:
        pointer = json.loads(path.read_text())
        for key in ("backup_id", "duckdb_path", "landing_dir"):
            if not isinstance(pointer.get(key), str):
                raise ValueError(f"missing or non-text {key!r}")
    except ValueError as exc:
        raise ValueError(f"{path}: not a valid active-location pointer ({exc}); fix it or delete it to run on the primary") from None
    return pointer


def write_active_pointer(dr_dir: Path, pointer: dict) -> Path:
    """Atomic: a reader sees the old pointer or the new one, never half of one."""
    path = pointer_path(dr_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(pointer, indent=2))
    os.replace(tmp, path)
    return path


def clear_active_pointer(dr_dir: Path) -> bool:
    path = pointer_path(dr_dir)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed

"""The writers' gate (lib/writer_lock.py): while a process holds writers off, another process's writer waits
and its reader does not, and the holder's own writers go on."""

from __future__ import annotations

import subprocess
import sys

from inventory_platform.lib.writer_lock import exclusive_writer, shared_reader, writers_held_off

TRY = """
import sys
from pathlib import Path
from inventory_platform.lib.writer_lock import exclusive_writer, shared_reader
lock = exclusive_writer if sys.argv[2] == "writer" else shared_reader
try:
    with lock(Path(sys.argv[1]), timeout_s=0.5):
        print("in")
except TimeoutError:
    print("waits")
"""


def _other_process(db, role: str) -> str:
    return subprocess.run([sys.executable, "-c", TRY, str(db), role], capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip()


def test_writers_held_off_keeps_other_writers_out_and_lets_readers_and_its_own_writers_in(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    assert _other_process(db, "writer") == "in"
    with writers_held_off(db):
        assert _other_process(db, "writer") == "waits"
        assert _other_process(db, "reader") == "in"
        with exclusive_writer(db, timeout_s=0.5):
            assert _other_process(db, "reader") == "waits"
        with shared_reader(db, timeout_s=0.5):
            pass
    assert _other_process(db, "writer") == "in"

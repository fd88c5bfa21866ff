"""A simulation killed midway continues from its last monthly checkpoint instead of starting over (issue 18).

The child process is SIGKILLed while it writes a day in the third month, after the checkpoint at the end of
the second. The rerun must produce exactly the files of an uninterrupted run (byte for byte) without
rewriting the months the checkpoint covers; a rerun with other inputs must start over and leave nothing
of the killed run behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from inventory_platform.landing_contract import MANIFEST_FILE
from inventory_platform.simulation import simulate, writer
from inventory_platform.simulation.checkpoint import CHECKPOINT_DIR

SEED = 7
START, END = date(2023, 1, 1), date(2023, 4, 30)
KILL_DAY = "2023-03-15"

# Simulates START..END and kills itself (SIGKILL, nothing runs after it) when it comes to write KILL_DAY.
KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    from datetime import date
    from pathlib import Path
    from inventory_platform.simulation import simulate, writer

    write = writer.LandingWriter.write
    def write_or_die(self, table, relative_path, data):
        if sys.argv[2] in relative_path:
            os.kill(os.getpid(), signal.SIGKILL)
        return write(self, table, relative_path, data)
    writer.LandingWriter.write = write_or_die
    simulate("tiny", int(sys.argv[3]), Path(sys.argv[1]), start=date.fromisoformat(sys.argv[4]),
             end=date.fromisoformat(sys.argv[5]), progress=False)
""")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _kill_midway(out: Path) -> None:
    run = subprocess.run([sys.executable, "-c", KILLED_RUN, str(out), f"date={KILL_DAY}", str(SEED),
                          START.isoformat(), END.isoformat()], capture_output=True, text=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert not (out / MANIFEST_FILE).exists()
    assert (out / "inventory_transactions" / "date=2023-03-14").is_dir()  # it got past the checkpoint


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("uninterrupted")
    simulate("tiny", SEED, out, start=START, end=END, progress=False)
    return _files(out)


def test_killed_run_resumes_from_its_last_checkpoint(tmp_path, uninterrupted):
    _kill_midway(tmp_path)
    assert (tmp_path / CHECKPOINT_DIR).is_dir()
    covered = sorted((tmp_path / "inventory_transactions").glob("date=2023-0[12]-*/*.parquet"))
    assert len(covered) == 31 + 28
    written = {p: os.stat(p).st_ino for p in covered}

    simulate("tiny", SEED, tmp_path, start=START, end=END, progress=False)

    assert _files(tmp_path) == uninterrupted  # same files, same bytes, no checkpoint or temp file left
    assert {p: os.stat(p).st_ino for p in covered} == written  # January and February were not simulated again


def test_rerun_with_other_inputs_starts_over_and_removes_the_killed_runs_files(tmp_path):
    _kill_midway(tmp_path)
    shorter = dict(start=START, end=date(2023, 2, 20), progress=False)
    simulate("tiny", SEED, tmp_path, **shorter)
    fresh = tmp_path / "fresh"
    simulate("tiny", SEED, fresh, **shorter)
    assert {k: v for k, v in _files(tmp_path).items() if not k.startswith("fresh/")} == _files(fresh)


def test_unreadable_checkpoint_starts_over(tmp_path, uninterrupted):
    _kill_midway(tmp_path)
    (checkpoint,) = (tmp_path / CHECKPOINT_DIR).iterdir()
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])
    simulate("tiny", SEED, tmp_path, start=START, end=END, progress=False)
    assert _files(tmp_path) == uninterrupted


def test_a_failed_write_stops_the_run_and_the_rerun_continues(tmp_path, uninterrupted, monkeypatch):
    write = writer.LandingWriter.write

    def disk_full_on_the_kill_day(self, table, relative_path, data):
        if f"date={KILL_DAY}" in relative_path:
            raise OSError(28, "No space left on device")
        return write(self, table, relative_path, data)

    monkeypatch.setattr(writer.LandingWriter, "write", disk_full_on_the_kill_day)
    with pytest.raises(OSError, match="No space left"):  # raised on the writer's thread, reported by the run
        simulate("tiny", SEED, tmp_path, start=START, end=END, progress=False)
    assert not (tmp_path / MANIFEST_FILE).exists() and (tmp_path / CHECKPOINT_DIR).is_dir()

    monkeypatch.setattr(writer.LandingWriter, "write", write)
    simulate("tiny", SEED, tmp_path, start=START, end=END, progress=False)
    assert _files(tmp_path) == uninterrupted

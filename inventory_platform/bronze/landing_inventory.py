"""Every file the landing zone holds for a source table, and whether a load can read it.

This is the one place that decides which landed files a load reads. It lists every file under the
table's folder, so a file a load will never read (a folder name that is not a day, a file outside the
day folders, an unsupported extension) is named with its reason instead of being skipped silently;
the Bronze check `every_landed_file_accounted_for` reports them (bronze/landing_accounting.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from inventory_platform.landing_contract import DAY_FOLDER_PATTERN, SourceTable

LOADABLE_SUFFIXES = (".parquet", ".csv")
_DAY_FOLDER = re.compile(DAY_FOLDER_PATTERN)


@dataclass(frozen=True)
class LandedFile:
    path: Path
    day: date | None = None  # the date=YYYY-MM-DD folder's day (day-partitioned tables)
    problem: str | None = None  # why no load can read the file where it is; None when loadable


def landed_files(landing_dir: Path, table: SourceTable) -> list[LandedFile]:
    """Every file under <landing_dir>/<table>/ in path order, through symlinked folders (a landing zone
    may link day folders in). Hidden files and folders (a writer's temporary files) are not landed yet
    and are left out."""
    root = landing_dir / table.name
    if not root.is_dir():
        return []
    found, seen = [], set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a symlink loop
            subfolders.clear()
            continue
        seen.add(real)
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        for name in names:
            path = Path(folder) / name
            if not name.startswith(".") and path.is_file():
                found.append(_classify(table, path, path.relative_to(root)))
    return sorted(found, key=lambda f: f.path)


def _classify(table: SourceTable, path: Path, relative: Path) -> LandedFile:
    folders = relative.parts[:-1]
    if path.suffix not in LOADABLE_SUFFIXES:
        hint = f" (extensions are case-sensitive: rename it to {path.stem}{path.suffix.lower()})" \
            if path.suffix.lower() in LOADABLE_SUFFIXES else ""
        return LandedFile(path, problem=f"not a {' or '.join(LOADABLE_SUFFIXES)} file{hint}")
    if not table.partitioned_by_day:
        if folders:
            return LandedFile(path, problem=f"in subfolder {'/'.join(folders)!r}: {table.name} files sit directly "
                                            f"in the {table.name}/ folder")
        return LandedFile(path)
    if not folders:
        return LandedFile(path, problem=f"not inside a date=YYYY-MM-DD folder: {table.name} files sit in "
                                        f"{table.name}/date=YYYY-MM-DD/")
    day = day_of_folder(folders[0])
    if isinstance(day, str):
        return LandedFile(path, problem=day)
    if len(folders) > 1:
        return LandedFile(path, day, problem=f"in subfolder {'/'.join(folders[1:])!r} of {folders[0]}: files sit "
                                             f"directly in the day folder")
    return LandedFile(path, day)


def day_of_folder(name: str) -> date | str:
    """The day a `date=YYYY-MM-DD` folder holds, or the reason the name is not one."""
    match = _DAY_FOLDER.fullmatch(name)
    if not match:
        return f"folder {name!r} is not named date=YYYY-MM-DD"
    try:
        return date.fromisoformat(match.group(1))
    except ValueError as exc:
        return f"folder {name!r} is not a valid day ({exc})"


def loadable_days(landing_dir: Path, table: SourceTable) -> list[date]:
    """The days that have at least one loadable file, ascending."""
    return sorted({f.day for f in landed_files(landing_dir, table) if f.problem is None and f.day is not None})

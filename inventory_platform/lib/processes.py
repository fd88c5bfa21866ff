"""Whether a process on this host still runs, by its pid."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """True while `pid` names a running process (also another user's, which signal 0 may not reach)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

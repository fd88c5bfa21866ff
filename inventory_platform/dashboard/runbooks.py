"""Runbooks rendered by the dashboard, so the links on asset pages and in alerts open without configuration
(catalog/runbook_links.py): only files of ops_runbooks/ are served, by name."""

from __future__ import annotations

import re

from inventory_platform.settings import REPO_ROOT

RUNBOOK_DIR = REPO_ROOT / "ops_runbooks"
_LOCAL_LINK = re.compile(r"\]\((?:\./)?(?:\.\./ops_runbooks/)?([A-Za-z0-9_]+)\.md(#[^)]*)?\)")


def runbook_names() -> list[str]:
    return sorted(p.stem for p in RUNBOOK_DIR.glob("*.md"))


def runbook_markdown(name: str) -> str:
    """The runbook's text with links to sibling runbooks pointing at this page; KeyError for any other name."""
    if name not in runbook_names():
        raise KeyError(f"no runbook named {name!r}; runbooks: {', '.join(runbook_names())}")
    text = (RUNBOOK_DIR / f"{name}.md").read_text()
    return _LOCAL_LINK.sub(lambda m: f"](?doc={m.group(1)}{m.group(2) or ''})" if m.group(1) in runbook_names()
                           else m.group(0), text)

"""The layout stays navigable: every domain that adds to the code location does it through its own
definitions.py, listed in inventory_platform/definitions.py; engine decisions (DuckDB or Redshift) are made
only where definitions are assembled, in settings, and in the CLI's guards; docs name only paths that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from inventory_platform.definitions import DOMAINS
from inventory_platform.settings import REPO_ROOT

PACKAGE = REPO_ROOT / "inventory_platform"
# Outside the definitions.py files, where an engine decision may be made.
ENGINE_DECISIONS = {"settings.py", "cli.py", "cdc/local_stack.py"}


def _engine_branches(path: Path) -> list[int]:
    """Lines that read `<settings>.is_local` (not `owner.is_local()`, a process's host)."""
    tree = ast.parse(path.read_text())
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "is_local" and id(node) not in called]


def test_engine_decisions_are_made_where_definitions_are_assembled():
    stray = {f"{path.relative_to(PACKAGE)}:{line}" for path in PACKAGE.rglob("*.py") for line in _engine_branches(path)
             if path.name != "definitions.py" and str(path.relative_to(PACKAGE)) not in ENGINE_DECISIONS}
    assert not stray, ("decide the engine in the domain's definitions.py (or use settings.warehouse_kind / the "
                       f"warehouse resource): {sorted(stray)}")


def test_every_domain_with_definitions_is_in_the_code_location():
    folders = {p.parent.name for p in PACKAGE.glob("*/definitions.py")}
    assert folders == {d.__name__.split(".")[1] for d in DOMAINS}


TOP = ("inventory_platform", "streaming", "dbt_project", "docs", "ops_runbooks", "tests", ".ci")
PATH = re.compile(rf"(?<![\w./-])((?:{'|'.join(map(re.escape, TOP))})/[\w./-]*[\w/])")


def _named_texts():
    for path in [REPO_ROOT / "README.md", *REPO_ROOT.glob("docs/**/*.md"), *REPO_ROOT.glob("ops_runbooks/**/*.md")]:
        yield path, path.read_text()
    for path in [*PACKAGE.rglob("*.py"), *(REPO_ROOT / "streaming").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        yield path, "\n".join(doc for node in ast.walk(tree)
                              if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                              if (doc := ast.get_docstring(node)))
    for path in [*REPO_ROOT.glob("dbt_project/macros/**/*.sql"), *REPO_ROOT.glob("dbt_project/models/**/*.yml")]:
        yield path, path.read_text()


def test_every_path_the_docs_name_exists():
    missing = sorted({(str(path.relative_to(REPO_ROOT)), ref)
                      for path, text in _named_texts() for m in PATH.finditer(text)
                      if not (REPO_ROOT / (ref := m.group(1).rstrip(".").split("#")[0])).exists()})
    assert not missing, "\n".join(f"{doc} names {ref}, which does not exist" for doc, ref in missing)


def _package_folders() -> list[str]:
    return sorted(f"inventory_platform/{p.name}/" for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__")


def test_readme_map_lists_every_package_folder():
    readme = (REPO_ROOT / "README.md").read_text()
    streaming = REPO_ROOT / "streaming"
    folders = [*_package_folders(), "streaming/",
               *(f"streaming/{p.name}/" for p in streaming.iterdir() if p.is_dir() and p.name != "__pycache__")]
    assert not [f for f in folders if f"`{f}`" not in readme], "README's map of where things live misses a folder"


def test_architecture_doc_describes_every_domain_folder():
    text = (REPO_ROOT / "docs" / "architecture.md").read_text()
    assert not [f for f in _package_folders() if f"`{f}`" not in text], "docs/architecture.md misses a domain folder"

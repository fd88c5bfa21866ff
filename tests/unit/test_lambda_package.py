"""streaming/ is the Lambda deployment package as it is: its modules import only what the Lambda runtime
and the zip provide (stdlib, boto3/botocore, pydantic, aws-lambda-powertools) and each other; the local
AWS harness (streaming.local) never ships and the platform (inventory_platform) is never imported.
The packaging step of docs/deploy_redshift.md is run as written and must copy exactly those modules,
which then import with nothing else on the path. The other direction is pinned too: the harness does
not import the platform, and in the platform only the CDC domain and the benchmark import streaming."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from inventory_platform.settings import REPO_ROOT

LAMBDA_DEPENDENCIES = {"boto3", "botocore", "pydantic", "aws_lambda_powertools"}
DEPLOY_DOC = REPO_ROOT / "docs" / "deploy_redshift.md"


def lambda_modules() -> list[Path]:
    return sorted((REPO_ROOT / "streaming").glob("*.py"))


def imported_modules(path: Path, package: str) -> list[str]:
    """Every module `path` imports, at any depth of the file (function-level imports included);
    relative imports resolved against `package`."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.append(".".join(base + ([node.module] if node.module else [])))
            else:
                names.append(node.module)
    return names


def is_lambda_import(name: str) -> bool:
    root = name.split(".")[0]
    if root == "streaming":
        return name != "streaming.local" and not name.startswith("streaming.local.")
    return root in LAMBDA_DEPENDENCIES or root in sys.stdlib_module_names


def test_lambda_modules_import_only_what_ships():
    """Each module with what it reaches through the other streaming modules (pipeline.py -> bronze_loader.py
    -> pyarrow is reported for both), so a refused import names every module it would break."""
    modules = {f"streaming.{p.stem}" if p.stem != "__init__" else "streaming": p for p in lambda_modules()}
    assert "streaming.lambda_handler" in modules
    refused = []
    for name, path in modules.items():
        seen, todo = {name}, [name]
        while todo:
            current = todo.pop()
            for imported in imported_modules(modules[current], "streaming"):
                if not is_lambda_import(imported):
                    refused.append(f"streaming/{path.name}: {imported}" + (f" (via {current})" if current != name else ""))
                elif imported in modules and imported not in seen:
                    seen.add(imported)
                    todo.append(imported)
    assert not refused, "imports that the Lambda package does not ship:\n" + "\n".join(refused)


def packaging_commands() -> str:
    """The deploy doc's shell lines that build dist/lambda/streaming: `rm -rf dist/lambda ...` and the
    `cp` lines after it (with their continuation lines)."""
    lines = DEPLOY_DOC.read_text().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("rm -rf dist/lambda")), None)
    assert start is not None, "docs/deploy_redshift.md: the Lambda packaging step (rm -rf dist/lambda) not found"
    commands, continued = [lines[start]], False
    for line in lines[start + 1:]:
        if not (continued or line.startswith("cp ")):
            break
        commands.append(line)
        continued = line.endswith("\\")
    assert len(commands) > 1, "docs/deploy_redshift.md: no cp of the Lambda modules after rm -rf dist/lambda"
    return "\n".join(commands)


def test_deploy_doc_packages_exactly_the_lambda_modules(tmp_path):
    shutil.copytree(REPO_ROOT / "streaming", tmp_path / "streaming",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run(["bash", "-euo", "pipefail", "-c", packaging_commands()], cwd=tmp_path, check=True)
    package = tmp_path / "dist" / "lambda"
    shipped = sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file())
    assert shipped == [f"streaming/{p.name}" for p in lambda_modules()]

    # With only the zip's content and the installed libraries on the path (-S: no .pth files, so not
    # the editable checkout), every shipped module imports.
    names = [f"streaming.{p.stem}" for p in lambda_modules() if p.stem != "__init__"]
    code = (f"import sys; sys.path[:0] = {[str(package), sysconfig.get_paths()['purelib']]!r}\n"
            f"import importlib\nfor name in {names!r}: importlib.import_module(name)\n"
            "import streaming; assert streaming.__file__.startswith(sys.path[0]), streaming.__file__")
    result = subprocess.run([sys.executable, "-S", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env={"AWS_DEFAULT_REGION": "eu-west-1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr


def test_local_harness_does_not_import_the_platform():
    harness = sorted((REPO_ROOT / "streaming" / "local").glob("*.py"))
    assert {"moto_server.py", "local_endpoint.py", "event_source_mapping.py"} <= {p.name for p in harness}
    refused = [f"streaming/local/{p.name}: {name}" for p in harness
               for name in imported_modules(p, "streaming.local") if name.split(".")[0] == "inventory_platform"]
    assert not refused, "\n".join(refused)


def test_only_the_cdc_domain_and_the_benchmark_import_streaming():
    package = REPO_ROOT / "inventory_platform"
    allowed = (package / "cdc", package / "bench")
    refused = [f"{p.relative_to(REPO_ROOT)}: {name}" for p in sorted(package.rglob("*.py"))
               if not any(p.is_relative_to(a) for a in allowed)
               for name in imported_modules(p, ".".join(p.relative_to(REPO_ROOT).with_suffix("").parts[:-1]))
               if name.split(".")[0] == "streaming"]
    assert not refused, "\n".join(refused)

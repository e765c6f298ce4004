"""Import contracts: arrows point toward the core, and only the clients talk to their APIs."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pure_models_import_only_stdlib_and_their_decoder():
    import ast

    allowed = set(sys.stdlib_module_names) | {"msgspec", "sliceaudit"}
    offenders = []
    pure = ("api", "controller", "consumers", "audit", "render")
    for path in [p for d in pure for p in (ROOT / "shared" / "sliceaudit" / d).rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            for name in names:
                top = name.split(".")[0]
                if top not in allowed or (top == "sliceaudit" and not name.startswith(
                        tuple(f"sliceaudit.{d}" for d in pure))):
                    offenders.append(f"{path.name}: {name}")
    assert not offenders


def test_consumer_models_import_only_the_records_layer():
    """Consumers see records (and kube-proxy's reference resolution), never the audit built on them."""
    import ast

    allowed_own = ("sliceaudit.consumers", "sliceaudit.api.records", "sliceaudit.consumers.kube_proxy")
    allowed = set(sys.stdlib_module_names) | {"msgspec"}
    offenders = []
    for path in (ROOT / "shared" / "sliceaudit" / "consumers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            for name in names:
                if name.split(".")[0] == "sliceaudit":
                    if not name.startswith(allowed_own):
                        offenders.append(f"{path.name}: {name}")
                elif name.split(".")[0] not in allowed:
                    offenders.append(f"{path.name}: {name}")
    assert not offenders

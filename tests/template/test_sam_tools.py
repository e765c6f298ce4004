"""The real tools on template.yaml: cfn-lint, `sam validate --lint` and `sam build` (SAM CLI from its
own virtualenv, .venv-sam, which scripts/install-tools.sh installs)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv-sam" / "bin" / "sam"
# Lambda's runtime ships these beside the layer; everything else a function imports must be in it.
RUNTIME = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}


def tool_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1"}
    env.update(extra)
    return env


def find_python312() -> Path | None:
    """A python3.12 with pip (sam build runs `python3.12 -m pip`): pyenv's, then PATH's."""
    candidates = sorted(Path("/root/.pyenv/versions").glob("3.12*/bin/python3.12"), reverse=True)
    on_path = shutil.which("python3.12")
    if on_path:
        candidates.append(Path(on_path))
    for python in candidates:
        ok = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, timeout=60)
        if ok.returncode == 0:
            return python
    return None


def require_sam() -> None:
    if not SAM.exists():
        pytest.skip(f"SAM CLI not installed at {SAM.relative_to(ROOT)}: run `make tools` (scripts/install-tools.sh)")


def test_cfn_lint_passes():
    lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(lint), "template.yaml"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_sam_validate_lint_passes():
    require_sam()
    result = subprocess.run([str(SAM), "validate", "--lint", "--template-file", "template.yaml"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env=tool_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    require_sam()
    python = find_python312()
    if python is None:
        pytest.skip("sam build needs python3.12 (with pip) on PATH, and none was found; see docs/deploy.md")
    out = tmp_path_factory.mktemp("sam")
    env = tool_env(PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    # --no-cached: a cached build keeps dependencies in .aws-sam/ of the repository, whatever --cache-dir says
    result = subprocess.run([str(SAM), "build", "--no-cached", "--template-file", "template.yaml",
                             "--build-dir", str(out / "build"), "--cache-dir", str(out / "cache")],
                            cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out / "build"


@pytest.mark.slow
def test_sam_build_puts_the_core_in_the_layer_and_the_handlers_in_each_function(built):
    layer = built / "CoreLayer" / "python"
    assert (layer / "sliceaudit" / "audit" / "cluster.py").is_file()
    assert (layer / "sliceaudit" / "kube" / "pages.py").is_file()
    assert (layer / "kubernetes-37.0.1.dist-info").is_dir()
    assert list((layer / "msgspec").glob("_core.cpython-312-aarch64-linux-gnu.so")), "arm64 wheels"
    for function in ("PlanFunction", "ScanFunction"):
        for module in ("plan/app.py", "scan/app.py", "fleetaws/scanner.py"):
            assert (built / function / module).is_file()
    assert (built / "template.yaml").is_file()


@pytest.mark.slow
def test_everything_the_functions_import_ships_in_the_layer_or_the_runtime(built):
    layer = built / "CoreLayer" / "python"
    shipped = {p.name.removesuffix(".py") for p in layer.iterdir()} | set(sys.stdlib_module_names) | RUNTIME
    shipped |= {"plan", "scan", "fleetaws"}
    missing = set()
    sources = list((built / "ScanFunction").rglob("*.py")) + [
        p for sub in ("api", "audit", "consumers", "controller", "render", "kube", "live")
        for p in (layer / "sliceaudit" / sub).rglob("*.py")]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            missing |= {f"{path.name}: {n}" for n in names if n.split(".")[0] not in shipped}
    assert not missing

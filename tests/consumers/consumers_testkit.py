"""Shared by the consumer tests: the golden shapes, loaded by the same code that writes docs/consumers.md."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def matrix_script():
    """scripts/consumer_matrix.py as a module (scripts/ is not a package)."""
    name = "consumer_matrix"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "consumer_matrix.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]

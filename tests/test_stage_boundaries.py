"""Stage boundaries: a stage imports the shared base, its own modules, and earlier stages only
through their package's public API (`from analysis.<stage> import <name in __all__>`); never a
later stage. The CLI (`analysis/__main__.py`) dispatches to every stage and is exempt."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "analysis"
ORDER = ["fetch", "etl", "coding", "models", "report", "replication"]
BASE = {"analysis", "analysis.config", "analysis.errors", "analysis.io", "analysis.dictionary"}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("analysis"):
            yield node.lineno, node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("analysis"):
                    yield node.lineno, a.name, []


MODULES = [p for s in ORDER for p in sorted((ROOT / s).glob("*.py"))]


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_no_stage_imports_a_later_stage_or_an_earlier_stages_internals(path):
    stage = path.parent.name
    for line, module, names in _imports(path):
        parts = module.split(".")
        if module in BASE and not (module == "analysis" and set(names) & set(ORDER)):
            continue
        target = parts[1] if len(parts) > 1 else names[0]
        if target not in ORDER:
            continue  # the shared base
        if target == stage:
            continue
        where = f"{path.relative_to(ROOT)}:{line} imports {module} {names}"
        assert ORDER.index(target) < ORDER.index(stage), f"later stage: {where}"
        assert module == f"analysis.{target}", f"an earlier stage's internals: {where}"
        api = importlib.import_module(module).__all__
        assert set(names) <= set(api), f"not in analysis.{target}.__all__: {where}"

"""Every path and default in one place (cookiecutter-data-science style).

Paths can be redirected with environment variables so tests can run the pipeline in a
temporary copy: ANALYSIS_ROOT (project root), ANALYSIS_MIRROR (offline mirror folder).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def root() -> Path:
    """Project root: ANALYSIS_ROOT if set, else the checkout holding this package."""
    return Path(os.environ.get("ANALYSIS_ROOT", PACKAGE_ROOT)).resolve()


def raw_dir() -> Path:
    return root() / "data" / "raw"


def processed_dir() -> Path:
    return root() / "data" / "processed"


def codebook_dir() -> Path:
    return root() / "data" / "codebook"


def reports_dir() -> Path:
    return root() / "reports"


def config_dir() -> Path:
    return root() / "config"


def mirror_dir() -> Path:
    """Offline mirror of the publishers' files; default ../shared/data-sources."""
    env = os.environ.get("ANALYSIS_MIRROR")
    if env:
        return Path(env).resolve()
    return (root().parent / "shared" / "data-sources").resolve()


def load_yaml(name: str) -> dict[str, Any]:
    """Load config/<name>.yaml (read fresh each call so tests can swap configs)."""
    from analysis.errors import InputError, not_utf8

    path = config_dir() / f"{name}.yaml"
    if not path.exists():
        raise InputError(
            path,
            "",
            "configuration file not found",
            f"restore config/{name}.yaml from the repository",
        )
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "YAML"
        raise InputError(
            path, where, f"malformed YAML: {getattr(exc, 'problem', exc)}", "fix the YAML syntax"
        ) from None
    except UnicodeDecodeError:  # saved by an editor in Windows-1252, Latin-1 or UTF-16
        raise not_utf8(path, "save the file as UTF-8 (the editor's encoding option)") from None
    if not isinstance(data, dict):
        raise InputError(
            path, "top level", "expected a mapping", f"see the comments in config/{name}.yaml"
        )
    return data


@lru_cache(maxsize=1)
def indicators() -> tuple[str, ...]:
    return (
        "BS1",
        "BS2",
        "BS3",
        "IE1",
        "IE2",
        "IE3",
        "IE4",
        "IE5",
        "IE6",
        "SG1",
        "SG2",
        "SG3",
        "SG4",
        "SG5",
    )

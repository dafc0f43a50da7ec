"""Shared fixtures: a throw-away project root (config, codebook, symlinked raw files) so tests
never touch the checkout's outputs, and a CLI runner that checks the no-traceback contract."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


def pytest_collection_modifyitems(config, items):
    """One session runs everything, the tests marked slow last: the session fixtures (panel,
    coding, models) are built once for both."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)


def need_raw() -> None:
    if not (RAW / "nato-2024").exists():
        pytest.skip("raw files not fetched: run `make fetch` (make test does it)")


def make_root(tmp: Path, link_raw: bool = True) -> Path:
    """A project root in tmp: config/ and data/codebook copied, raw files symlinked one by one."""
    shutil.copytree(ROOT / "config", tmp / "config")
    shutil.copytree(ROOT / "data" / "codebook", tmp / "data" / "codebook")
    shutil.copytree(ROOT / "data" / "paper", tmp / "data" / "paper")
    for sub in ("validation", "double_coding", "audit"):  # committed measurement files
        if (ROOT / "data" / sub).exists():
            shutil.copytree(ROOT / "data" / sub, tmp / "data" / sub)
    shutil.copyfile(ROOT / "CITATION.cff", tmp / "CITATION.cff")
    (tmp / "data" / "processed").mkdir(parents=True)
    (tmp / "reports").mkdir()
    raw = tmp / "data" / "raw"
    raw.mkdir(parents=True)
    if link_raw:
        for d in RAW.iterdir():
            if d.is_dir():
                (raw / d.name).mkdir()
                for f in d.iterdir():
                    (raw / d.name / f.name).symlink_to(f)
    return tmp


def replace_raw(root: Path, source: str, name: str) -> Path:
    """Turn one symlinked raw file into a private copy the test may damage (never the original)."""
    p = root / "data" / "raw" / source / name
    target = p.resolve()
    p.unlink()
    shutil.copyfile(target, p)
    with open(root / ".changed_raw", "a") as fh:
        fh.write(f"{source}/{name}\n")
    return p


def register_changed_raw(root: Path) -> None:
    """Enter each raw file a test changed (through replace_raw) in the root's
    config/sources.yaml with its new checksum, as a user adding a new edition does. The panel
    stage refuses a raw file whose checksum is not the recorded one; a test of a parser's own
    checks must get past that, as a registered new edition would."""
    import hashlib

    import yaml

    changed = root / ".changed_raw"
    if not changed.exists():
        return
    path = root / "config" / "sources.yaml"
    text = path.read_text()
    recorded = {
        (s["id"], f["file"]): f["sha256"]
        for s in yaml.safe_load(text)["sources"]
        for f in s["files"]
    }
    for line in sorted(set(changed.read_text().split())):
        source, name = line.split("/", 1)
        p = root / "data" / "raw" / source / name
        old = recorded.get((source, name))
        if old and p.is_file() and not p.is_symlink():
            text = text.replace(old, hashlib.sha256(p.read_bytes()).hexdigest())
    path.write_text(text)


def run_cli(root: Path, *args: str, mirror: Path | None = None) -> subprocess.CompletedProcess:
    register_changed_raw(root)
    env = {**os.environ, "ANALYSIS_ROOT": str(root)}
    if mirror:
        env["ANALYSIS_MIRROR"] = str(mirror)
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args], capture_output=True, text=True, env=env, cwd=ROOT
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    need_raw()
    return make_root(tmp_path)


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """A root with the panel built once for the session."""
    need_raw()
    root = make_root(tmp_path_factory.mktemp("built"))
    res = run_cli(root, "panel")
    assert res.returncode == 0, res.stderr
    return root


@pytest.fixture(scope="session")
def coded(built) -> Path:
    """The session root after the coding stage."""
    res = run_cli(built, "code")
    assert res.returncode == 0, res.stderr
    return built


def edit_yaml(root: Path, name: str, edit) -> None:
    """Change config/<name>.yaml of a test root in place: edit(cfg) mutates the parsed dict."""
    import yaml

    p = root / "config" / f"{name}.yaml"
    cfg = yaml.safe_load(p.read_text())
    edit(cfg)
    p.write_text(yaml.safe_dump(cfg, sort_keys=False))


def _fast_models(c: dict) -> None:
    """Shorter replicate counts for the test pipeline (the estimators are the same)."""
    c["bootstrap"].update(B=49)
    c["power"].update(reps=20)
    c["few_cluster"].update(wild_B=99)
    c["imputation"].update(m=5)
    c["latent"].update(mi_draws=10)
    c["few_cluster"]["size_simulation"].update(reps=20, B=49)


@pytest.fixture(scope="session")
def modelled(coded) -> Path:
    """The session root after the models and simulate stages, with shorter replicate counts."""
    edit_yaml(coded, "models", _fast_models)
    res = run_cli(coded, "models")
    assert res.returncode == 0, res.stderr
    res = run_cli(coded, "simulate")
    assert res.returncode == 0, res.stderr
    return coded


@pytest.fixture(scope="session")
def reported(modelled) -> Path:
    """The session root after the report stage (shared by the report and replication tests)."""
    res = run_cli(modelled, "report")
    assert res.returncode == 0, res.stderr
    return modelled

"""The lock file and the replication package (`make replication`).

Fast: requirements.lock pins every dependency of pyproject.toml to one exact version with hashes;
the zip writer is deterministic; the table/figure catalogue on a small made-up report; a source
without a redistribution decision stops the build. Slow: the package built twice from a copy of
the session's reported root: MANIFEST against the files, every .tex and .png of the report in
it, no raw file whose licence forbids republishing, the same zip bytes both times.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from analysis.errors import InputError
from analysis.replication import build, catalog
from tests.conftest import ROOT, edit_yaml, make_root, run_cli

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _lock() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes), read independently of analysis.replication."""
    pins: dict[str, tuple[str, int]] = {}
    name = None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = PIN.match(line)
        if m:
            name = canonicalize_name(m.group(1))
            assert name not in pins, f"{name} pinned twice"
            pins[name] = (m.group(2), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            v, n = pins[name]
            pins[name] = (v, n + 1)
        elif line and not line.startswith((" ", "#")):
            pytest.fail(f"requirements.lock: a line that is not an exact pin: {line!r}")
    return pins


def test_lock_pins_every_dependency_of_pyproject_exactly():
    proj = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in proj["dependencies"]]
    reqs += [Requirement(r) for extra in proj["optional-dependencies"].values() for r in extra]
    pins = _lock()
    for r in reqs:
        name = canonicalize_name(r.name)
        assert name in pins, f"{r.name} (pyproject.toml) is not in requirements.lock: run make lock"
        version, hashes = pins[name]
        assert r.specifier.contains(version, prereleases=True), (
            f"{r.name}=={version} in requirements.lock does not satisfy {r} (run make lock)"
        )
        assert hashes >= 1, f"{r.name}: no sha256 hash in requirements.lock"
    assert all(n >= 1 for _, n in pins.values()), "every pin carries its hashes"


def test_lock_is_for_python_311_like_the_makefile():
    head = (ROOT / "requirements.lock").read_text().splitlines()[:3]
    assert any("--python-version 3.11" in line for line in head)
    mk = (ROOT / "Makefile").read_text()
    assert "--python-version 3.11" in mk and "sys.version_info[:2] != (3, 11)" in mk


def test_zip_is_sorted_with_fixed_times_and_modes():
    files = {"b/x.txt": b"x" * 1000, "a.txt": b"a", "run_all.sh": b"#!/bin/sh\n"}
    blob = build.zip_bytes(files)
    assert blob == build.zip_bytes(dict(reversed(list(files.items()))))
    zf = zipfile.ZipFile(io.BytesIO(blob))
    infos = zf.infolist()
    assert [i.filename for i in infos] == [
        "replication/a.txt",
        "replication/b/x.txt",
        "replication/run_all.sh",
    ]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {i.filename.rsplit("/", 1)[-1]: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes == {"a.txt": 0o644, "x.txt": 0o644, "run_all.sh": 0o755}
    assert zf.read("replication/b/x.txt") == files["b/x.txt"]


def _fake_report(tmp: Path) -> tuple[Path, Path]:
    root, src = tmp / "root", tmp / "src"
    (root / "reports" / "tables").mkdir(parents=True)
    (root / "reports" / "figures").mkdir()
    src.mkdir()
    (src / "t.py").write_text(
        "def one(lk):\n"
        "    return Table('one', 'First table: 5 % of GDP', df, latex=True)\n"
        "def many(dep):\n"
        "    return _table(rows, names, f'panel_{dep}', f'Panel of {dep}', note)\n"
        "def shown(lk):\n"
        "    return Table('shown', 'Only in the report', df)\n"
        "def blocks(inp):\n"
        "    return Figure('grid', 'A grid', figures.grid(inp))\n"
    )
    md = [
        "# Report", "## 1. Data", "**First table: 5 % of GDP**", "", "| a |", "|---|", "| 1 |",
        "**Only in the report**", "", "| b |", "|---|", "| 2 |",
        "## 2. Models", "**Panel of log_tiv**", "", "| c |", "|---|", "| 3 |",
        "![A grid](figures/grid.png)", "", "*A grid*",
    ]  # fmt: skip
    (root / "reports" / "report.md").write_text("\n".join(md) + "\n")
    tex = "\\begin{table}\n\\caption*{\n{\\large %s}\n} \n\\end{table}\n"
    (root / "reports" / "tables" / "one.tex").write_text(tex % "First table: 5 \\% of GDP")
    (root / "reports" / "tables" / "panel_log_tiv.tex").write_text(tex % "Panel of log\\_tiv")
    (root / "reports" / "figures" / "grid.png").write_bytes(b"png")
    return root, src


def test_catalog_reads_the_reports_outputs_and_finds_the_maker(tmp_path):
    root, src = _fake_report(tmp_path)
    items = catalog.catalog(root, src)
    got = [(i.kind, i.number, i.caption, i.section, i.file, i.maker) for i in items]
    assert got == [
        ("table", 1, "First table: 5 % of GDP", "1. Data", "reports/tables/one.tex",
         "analysis.report.t.one"),
        ("table", 2, "Only in the report", "1. Data", "", "analysis.report.t.shown"),
        ("table", 3, "Panel of log_tiv", "2. Models", "reports/tables/panel_log_tiv.tex",
         "analysis.report.t.many"),
        ("figure", 1, "A grid", "2. Models", "reports/figures/grid.png",
         "analysis.report.figures.grid"),
    ]  # fmt: skip


def test_catalog_stops_on_a_table_file_the_report_does_not_show(tmp_path):
    root, src = _fake_report(tmp_path)
    (root / "reports" / "tables" / "old.tex").write_text("\\caption*{\n{\\large Gone}\n}\n")
    with pytest.raises(InputError, match=r"tables/old\.tex not shown in report\.md"):
        catalog.catalog(root, src)


def test_a_source_without_a_redistribution_decision_stops_the_build(tmp_path):
    root = make_root(tmp_path, link_raw=False)
    edit_yaml(root, "replication", lambda c: c["redistribution"].pop("mme-7"))
    res = run_cli(root, "replication")
    assert res.returncode == 2, res.stderr
    assert "redistribution.mme-7" in res.stderr and "Traceback" not in res.stderr
    assert not (root / "replication").exists() and not (root / "replication.zip").exists()


# ------------------------------------------------------------------------ the built package
@pytest.fixture(scope="module")
def package(reported, tmp_path_factory) -> tuple[Path, bytes, bytes]:
    """A copy of the reported root with the package built twice; the two zips' bytes."""
    root = tmp_path_factory.mktemp("replication") / "root"
    shutil.copytree(reported, root, symlinks=True)
    zips = []
    for _ in range(2):
        res = run_cli(root, "replication")
        assert res.returncode == 0, res.stderr
        zips.append((root / "replication.zip").read_bytes())
    return root, zips[0], zips[1]


def _manifest(root: Path) -> dict[str, dict[str, str]]:
    with open(root / "replication" / "MANIFEST.csv", newline="") as fh:
        return {r["path"]: r for r in csv.DictReader(fh)}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_zip_is_byte_identical_when_built_twice(package):
    _, first, second = package
    assert first == second


@pytest.mark.slow
def test_manifest_matches_every_file_in_folder_and_zip(package):
    root, blob, _ = package
    man = _manifest(root)
    folder = {
        p.relative_to(root / "replication").as_posix(): p
        for p in (root / "replication").rglob("*")
        if p.is_file()
    }
    assert set(folder) == set(man) | {"MANIFEST.csv"}
    zf = zipfile.ZipFile(io.BytesIO(blob))
    names = [n.removeprefix("replication/") for n in zf.namelist()]
    assert names == sorted(folder)
    for rel, row in man.items():
        data = folder[rel].read_bytes()
        assert _sha(data) == row["sha256"] and len(data) == int(row["bytes"]), rel
        assert zf.read(f"replication/{rel}") == data, rel
    assert zf.read("replication/MANIFEST.csv") == folder["MANIFEST.csv"].read_bytes()


@pytest.mark.slow
def test_manifest_lists_every_table_and_figure_the_report_wrote(package):
    root, _, _ = package
    man = _manifest(root)
    wrote = sorted((root / "reports" / "tables").glob("*.tex"))
    wrote += sorted((root / "reports" / "figures").glob("*.png"))
    assert len(wrote) >= 10
    for p in wrote:
        rel = p.relative_to(root).as_posix()
        assert rel in man, f"{rel} missing from MANIFEST.csv"
        assert man[rel]["role"] == ("table" if p.suffix == ".tex" else "figure")
        assert man[rel]["sha256"] == _sha(p.read_bytes()), rel
    readme = (root / "replication" / "README.md").read_text()
    for p in wrote:
        assert f"`{p.relative_to(root).as_posix()}`" in readme
    md = (root / "reports" / "report.md").read_text().splitlines()
    shown = [
        ln
        for i, ln in enumerate(md)
        if re.fullmatch(r"\*\*.+\*\*", ln)
        and next((x for x in md[i + 1 : i + 3] if x.strip()), "").startswith("|")
    ]
    assert len(re.findall(r"^\| Table \d+ \|", readme, re.M)) == len(shown)


@pytest.mark.slow
def test_raw_files_are_in_only_where_the_licence_allows(package):
    root, blob, _ = package
    cfg = yaml.safe_load((root / "config" / "replication.yaml").read_text())["redistribution"]
    sources = yaml.safe_load((root / "config" / "sources.yaml").read_text())["sources"]
    names = set(zipfile.ZipFile(io.BytesIO(blob)).namelist())
    man = _manifest(root)
    assert any(not cfg[s["id"]]["copy"] for s in sources), "a source that may not be republished"
    for s in sources:
        for f in s["files"]:
            rel = f"data/raw/{s['id']}/{f['file']}"
            if cfg[s["id"]]["copy"]:
                assert man[rel]["sha256"] == f["sha256"] and man[rel]["role"] == "raw-data"
            else:
                assert rel not in man and f"replication/{rel}" not in names
                assert not (root / "replication" / rel).exists()
    withheld = [
        n
        for n in names
        if n.startswith("replication/data/raw/") and not cfg[n.split("/")[3]]["copy"]
    ]
    assert withheld == []
    assert "data/processed/panel.csv" not in man


@pytest.mark.slow
def test_run_all_installs_then_reruns_every_stage(package):
    root, blob, _ = package
    info = zipfile.ZipFile(io.BytesIO(blob)).getinfo("replication/run_all.sh")
    assert (info.external_attr >> 16) & 0o111
    text = (root / "replication" / "run_all.sh").read_text()
    assert text.index("make .venv/.installed\n") < text.index(
        "make --always-make --old-file=.venv/.installed all\n"
    )

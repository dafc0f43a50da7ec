"""Codebook files: schema validity, coverage minimum, and bad input with key paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis import config
from analysis.coding import codebook
from tests.conftest import ROOT, make_root, run_cli

CB = ROOT / "data" / "codebook"


def test_every_codebook_file_is_valid():
    dyads = codebook.load_all(CB)
    assert len(dyads) >= 24
    for d in dyads:
        for p in d.periods:
            for ind in config.indicators():
                item = getattr(p, ind)
                for e in item.evidence:
                    if e.kind == "web":
                        assert re.match(r"^https?://[^\s/]+\.[^\s/]+", str(e.url)), e.url


def test_no_duplicated_dyad_periods():
    keys = [(d.patron, d.client, p.id) for d in codebook.load_all(CB) for p in d.periods]
    assert len(keys) == len(set(keys))


def test_coverage_minimum_24_allies_by_3_periods():
    full = [
        d
        for d in codebook.load_all(CB)
        if {"obama2", "trump", "biden"} <= {p.id for p in d.periods}
    ]
    assert len(full) >= 24, [d.client for d in full]
    for d in full:
        for p in d.periods:
            assert set(p.codes()) == set(config.indicators())


def test_non_null_codes_carry_evidence():
    for d in codebook.load_all(CB):
        for p in d.periods:
            for ind in config.indicators():
                item = getattr(p, ind)
                if item.grade is not None:
                    assert item.evidence, (d.client, p.id, ind)


def _fails(root: Path, *needles: str) -> None:
    res = run_cli(root, "validate-codebook")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and "what to do:" in res.stderr
    for n in needles:
        assert n in res.stderr, (n, res.stderr)


def _edit(tmp_path: Path, change) -> Path:
    """A project copy whose USA-POL.yaml has been changed by change(raw dict, trump period)."""
    import yaml

    root = make_root(tmp_path, link_raw=False)
    p = root / "data" / "codebook" / "USA-POL.yaml"
    raw = yaml.load(p.read_text(), Loader=codebook._NoDates)
    change(raw, next(x for x in raw["periods"] if x["id"] == "trump"))
    p.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    return root


def test_missing_evidence(tmp_path):
    def change(raw, trump):
        trump["IE3"]["grade"] = 1
        trump["IE3"]["evidence"] = []

    _fails(
        _edit(tmp_path, change),
        "USA-POL.yaml: periods[trump].IE3",
        "needs at least one evidence item",
    )


def test_bad_date(tmp_path):
    def change(raw, trump):
        trump["IE4"]["evidence"][0]["when"] = "2019-02-30"

    _fails(_edit(tmp_path, change), "periods[trump].IE4.evidence[0].when", "no such calendar date")


def test_unknown_indicator(tmp_path):
    def change(raw, trump):
        trump["IE7"] = trump["IE6"]

    _fails(_edit(tmp_path, change), "periods[trump].IE7", "unknown field 'IE7'")


def test_duplicated_period(tmp_path):
    _fails(
        _edit(tmp_path, lambda raw, trump: raw["periods"].append(trump)),
        "USA-POL.yaml: periods[trump]",
        "duplicated period",
    )


def test_malformed_yaml(tmp_path):
    root = make_root(tmp_path, link_raw=False)
    p = root / "data" / "codebook" / "USA-POL.yaml"
    p.write_text(p.read_text() + "\n  bad: [unclosed\n")
    _fails(root, "USA-POL.yaml", "malformed YAML", "line ")


def test_wrong_type(tmp_path):
    def change(raw, trump):
        trump["SG1"]["grade"] = "yes"

    _fails(_edit(tmp_path, change), "periods[trump].SG1.grade")


def test_bad_codebook_leaves_no_partial_output(built, tmp_path):
    # the coding stage refuses to run and writes nothing
    root = make_root(tmp_path, link_raw=True)
    import shutil

    for f in (built / "data" / "processed").glob("panel.*"):  # the panel only, never coded outputs
        shutil.copy(f, root / "data" / "processed" / f.name)
    p = root / "data" / "codebook" / "USA-POL.yaml"
    p.write_text(p.read_text().replace("confidence: high", "confidence: certain", 1))
    res = run_cli(root, "code")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert not (root / "data" / "processed" / "coded_periods.parquet").exists()
    assert not (root / "reports" / "four_cases.csv").exists()


@pytest.mark.slow
def test_add_a_dyad_without_code_change(built, tmp_path):
    """docs/adding_a_dyad.md: one new file flows through coding to coded_periods.csv."""
    import shutil

    root = make_root(tmp_path, link_raw=True)
    for f in (built / "data" / "processed").iterdir():
        shutil.copy(f, root / "data" / "processed" / f.name)
    # the example replaces Slovenia's real file, whose biden period is double-coded: this test
    # is about the codebook track, so the project copy carries no double coding
    shutil.rmtree(root / "data" / "double_coding")
    src = (ROOT / "docs" / "examples" / "USA-SVN.yaml").read_text()
    (root / "data" / "codebook" / "USA-SVN.yaml").write_text(src)
    assert run_cli(root, "validate-codebook").returncode == 0
    res = run_cli(root, "code")
    assert res.returncode == 0, res.stderr
    import pandas as pd

    cp = pd.read_csv(root / "data" / "processed" / "coded_periods.csv")
    row = cp[(cp.client == "SVN") & (cp.track == "codebook")]
    assert len(row) == 1 and row.iloc[0].period == "trump"

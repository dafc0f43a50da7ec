"""Bad input: one clear message (file, place, what to do), exit code 2, no traceback, and no
partial output. Each test damages a private copy of one raw file, never the original."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import RAW, make_root, replace_raw, run_cli

NATO = ("nato-2024", "240617-def-exp-2024-TABLES-en.xlsx")


def assert_clean_failure(res, *needles: str) -> None:
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert "what to do:" in res.stderr
    for n in needles:
        assert n in res.stderr, (n, res.stderr)


def assert_no_output(root: Path) -> None:
    left = [p.name for p in (root / "data" / "processed").iterdir()]
    assert left == [], left


def _edit_nato(root: Path, fn) -> None:
    p = replace_raw(root, *NATO)
    wb = openpyxl.load_workbook(p)
    fn(wb)
    wb.save(p)


def test_truncated_xlsx(project):
    p = replace_raw(project, *NATO)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    res = run_cli(project, "panel")
    assert_clean_failure(res, "240617-def-exp-2024-TABLES-en.xlsx", "truncated or corrupt")
    assert_no_output(project)


def test_corrupt_xlsx_inside_valid_zip(project):
    p = replace_raw(project, *NATO)
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    res = run_cli(project, "panel")
    assert_clean_failure(res, "240617-def-exp-2024-TABLES-en.xlsx")
    assert_no_output(project)


def test_empty_file(project):
    p = replace_raw(project, "sipri-tiv-2024", "us_import-export-values.csv")
    p.write_bytes(b"")
    res = run_cli(project, "panel")
    assert_clean_failure(res, "us_import-export-values.csv", "empty")
    assert_no_output(project)


def test_renamed_sheet(project):
    _edit_nato(project, lambda wb: setattr(wb["TABLE3"], "title", "Share"))
    res = run_cli(project, "panel")
    assert_clean_failure(
        res, "240617-def-exp-2024-TABLES-en.xlsx", "sheet 'TABLE3'", "sheet not found"
    )
    assert_no_output(project)


def test_renamed_year_header(project):
    def clobber(wb):
        ws = wb["TABLE3"]
        for c in ws[8]:
            if c.value is not None:
                c.value = f"Y{c.value}"

    _edit_nato(project, clobber)
    res = run_cli(project, "panel")
    assert_clean_failure(res, "240617-def-exp-2024-TABLES-en.xlsx", "no year header")
    assert_no_output(project)


def test_renamed_column(project):
    p = replace_raw(project, "sipri-tiv-2024", "trade-register.csv")
    text = p.read_bytes().decode("latin-1").replace("Year of order", "Order year", 1)
    p.write_bytes(text.encode("latin-1"))
    res = run_cli(project, "panel")
    assert_clean_failure(res, "trade-register.csv", "missing column", "Year of order")
    assert_no_output(project)


def test_unknown_country(project):
    def rename(wb):
        ws = wb["TABLE3"]
        ws["C32"].value = "Ruritania"  # was 'Poland*'

    _edit_nato(project, rename)
    res = run_cli(project, "panel")
    assert_clean_failure(
        res, "240617-def-exp-2024-TABLES-en.xlsx", "'Ruritania'", "row 32", "country_overrides.csv"
    )
    assert_no_output(project)


def test_duplicated_row(project):
    def dup(wb):
        ws = wb["TABLE3"]
        ws["C13"].value = "Belgium"  # row 13 was Bulgaria: Belgium now appears twice

    _edit_nato(project, dup)
    res = run_cli(project, "panel")
    assert_clean_failure(res, "240617-def-exp-2024-TABLES-en.xlsx", "duplicated row", "Belgium")
    assert_no_output(project)


def test_checksum_mismatch(tmp_path):
    if not (RAW / "nato-2024").exists():
        pytest.skip("raw files not fetched")
    mirror = tmp_path / "mirror"
    # a mirror holding every file, one of them altered by a single byte
    from analysis.fetch import manifest  # noqa: PLC0415

    root = make_root(tmp_path / "root", link_raw=False)
    for s in manifest.load():
        for f in s.files:
            target = mirror / f.mirror_path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(RAW / s.id / f.file, target)
    bad = mirror / "sipri-tiv" / "us_import-export-values.csv"
    bad.write_bytes(bad.read_bytes() + b"\n")
    res = run_cli(root, "fetch", "--route", "mirror", mirror=mirror)
    assert_clean_failure(res, "us_import-export-values.csv", "checksum mismatch")
    assert not (root / "data" / "raw" / "sipri-tiv-2024" / "us_import-export-values.csv").exists()


def test_missing_mirror_file(tmp_path):
    root = make_root(tmp_path / "root", link_raw=False)
    res = run_cli(root, "fetch", "--route", "mirror", mirror=tmp_path / "nowhere")
    assert_clean_failure(res, "not found in the mirror")


def test_malformed_config(project):
    p = project / "config" / "panel.yaml"
    p.write_text(p.read_text() + "\n  broken: [\n")
    res = run_cli(project, "panel")
    assert_clean_failure(res, "panel.yaml", "malformed YAML")
    assert_no_output(project)


def test_corrupt_csv(project):
    p = replace_raw(project, "troopdata-2026", "troopdata-rebuild-country-year-quarter-format.csv")
    p.write_bytes(b'ccode,year\n"unterminated,1\n' + b"\xff\xfe" * 10)
    res = run_cli(project, "panel")
    assert_clean_failure(res, "troopdata-rebuild-country-year-quarter-format.csv")
    assert_no_output(project)

"""More realistic mistakes (issue 13): each stops with exit code 2 and one message naming the
file, the place (sheet and cell, line, key or folder) and what to do; never a traceback or an
"internal error"; and the outputs already in the project stay byte-identical. Files a Windows
editor saved (BOM, CRLF, non-ASCII text) and unquoted YAML dates are accepted with identical
codes. Every damaged file is a private copy in a temporary root, never the original."""

from __future__ import annotations

import csv
import errno
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import typer

from analysis import io as aio
from analysis.errors import OutputError
from tests.conftest import make_root, replace_raw, run_cli

NATO = ("nato-2024", "240617-def-exp-2024-TABLES-en.xlsx")
SIPRI = ("sipri-milex-2025", "SIPRI-Milex-data-1949-2024_2.xlsx")
TROOPS = ("troopdata-2026", "troopdata-rebuild-country-year-quarter-format.csv")
ROOT_CODEBOOK = Path(__file__).resolve().parents[1] / "data" / "codebook"
PREVIOUS = ("panel.parquet", "panel.csv", "panel.dta", "panel.sources.json")


# ------------------------------------------------------------------ helpers
def outputs(root: Path) -> dict[str, bytes]:
    """Every file under data/processed and reports (or that path itself, if it is a file)."""
    out = {}
    for sub in ("data/processed", "reports"):
        top = root / sub
        paths = [top] if top.is_file() else sorted(top.rglob("*"))
        for p in paths:
            if p.is_file():
                out[str(p.relative_to(root))] = p.read_bytes()
    return out


def seed(root: Path) -> dict[str, bytes]:
    """Stand-ins for a previous run's outputs; returns the snapshot to compare against."""
    for name in PREVIOUS:
        (root / "data" / "processed" / name).write_bytes(b"previous run: " + name.encode())
    if (root / "reports").is_dir():
        (root / "reports" / "four_cases.csv").write_bytes(b"previous run\n")
    return outputs(root)


def assert_clean_failure(res, before: dict[str, bytes], root: Path, *needles: str) -> None:
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr, res.stderr
    assert "what to do:" in res.stderr, res.stderr
    for n in needles:
        assert n in res.stderr, (n, res.stderr)
    assert outputs(root) == before
    assert not [p for p in root.rglob("*.tmp")]


@pytest.fixture
def root(project) -> Path:
    """A test root (config, codebook, raw files symlinked) from conftest's `project`."""
    return project


def _nato(root: Path, **cells) -> dict[str, bytes]:
    p = replace_raw(root, *NATO)
    wb = openpyxl.load_workbook(p)
    for ref, value in cells.items():
        wb["TABLE3"][ref].value = value
    wb.save(p)
    return seed(root)


# ------------------------------------------------------------------ 1. NATO workbook
def test_nato_year_header_cell_left_empty_between_years(root):
    before = _nato(root, H8=None)  # was 2018
    res = run_cli(root, "panel")
    needles = ("TABLE3!H8", "year header cell is empty", "2017", "2019", "make fetch")
    assert_clean_failure(res, before, root, NATO[1], *needles)


def test_nato_first_year_header_cell_left_empty(root):
    before = _nato(root, D8=None)  # was 2014: the numbers below it lost their year
    res = run_cli(root, "panel")
    assert_clean_failure(
        res, before, root, NATO[1], "TABLE3!D8", "column D holds numbers", "type the year"
    )


def test_nato_text_in_a_value_cell(root):
    before = _nato(root, D12="n/a")  # Belgium 2014
    res = run_cli(root, "panel")
    assert_clean_failure(
        res, before, root, NATO[1], "TABLE3!D12", "'n/a'", "Belgium", "2014", "empty cell"
    )


def test_nato_excel_error_in_a_value_cell(root):
    # calamine reads an error cell as empty: it must not become a silent NA
    before = _nato(root, E12="#N/A")
    res = run_cli(root, "panel")
    assert_clean_failure(res, before, root, NATO[1], "TABLE3!E12", "Excel error '#N/A'")


def test_nato_value_out_of_range(root):
    before = _nato(root, G32=189.5)  # Poland 2017, % of GDP
    res = run_cli(root, "panel")
    assert_clean_failure(
        res, before, root, NATO[1], "TABLE3!G32", "189.5", "[0, 15]", "nato_editions.yaml"
    )


# ------------------------------------------------------------------ SIPRI markers
def _sipri_cell(path: Path, country: str, year: int) -> tuple[str, int, int]:
    from analysis.etl.xlsx import col_letter, read_grid

    grid = read_grid(path, "Share of GDP")
    hdr = next(i for i, r in enumerate(grid) if r and r[0] == "Country")
    j = grid[hdr].index(year)
    i = next(i for i, r in enumerate(grid) if r and r[0] == country)
    return f"{col_letter(j)}{i + 1}", i, j


def _sipri_set(path: Path, texts: dict[str, str]) -> None:
    """Write text into cells of the 'Share of GDP' sheet by editing the sheet's XML (openpyxl
    takes seconds to load and save this workbook; this takes a fraction of one)."""
    from analysis.etl.xlsx import sheet_part

    with zipfile.ZipFile(path) as z:
        part = sheet_part(z, "Share of GDP")
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == part:
                xml = data.decode("utf-8")
                for ref, text in texts.items():
                    cell = re.compile(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', re.S)
                    new = f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
                    xml, n = cell.subn(new, xml, count=1)
                    assert n == 1, ref
                data = xml.encode("utf-8")
            z.writestr(info, data)
    path.write_bytes(out.getvalue())


def test_sipri_documented_markers_are_na_with_their_reason(root):
    from analysis.etl import sipri_milex

    p = replace_raw(root, *SIPRI)
    a, _, _ = _sipri_cell(p, "Japan", 2017)
    b, _, _ = _sipri_cell(p, "Japan", 2018)
    _sipri_set(p, {a: "...", b: "xxx"})
    df = sipri_milex.parse_sheet(p, "Share of GDP", "milex_gdp_sipri", 100.0, "sipri-milex-2025")
    jp = df[df.iso3 == "JPN"].set_index("year")
    assert (
        pd.isna(jp.loc[2017, "value"]) and jp.loc[2017, "na_reason"] == "data unavailable ('...')"
    )
    assert pd.isna(jp.loc[2018, "value"]) and "did not exist" in jp.loc[2018, "na_reason"]
    assert jp.loc[2016, "value"] > 0 and pd.isna(jp.loc[2016, "na_reason"])  # neighbours intact


def test_sipri_undocumented_text_stops_with_the_cell(root):
    p = replace_raw(root, *SIPRI)
    ref, _, _ = _sipri_cell(p, "Japan", 2017)
    _sipri_set(p, {ref: "n/a"})
    before = seed(root)
    res = run_cli(root, "panel")
    assert_clean_failure(
        res, before, root, SIPRI[1], f"'Share of GDP'!{ref}", "'n/a'", "Japan", "'...'"
    )


# ------------------------------------------------------------------ 2. troops
def _troops_set(root: Path, value: str) -> tuple[Path, int]:
    """Write `value` as troops_ad of Poland (ccode 290), September 2019; returns the file line."""
    p = replace_raw(root, *TROOPS)
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    head = next(csv.reader([lines[0]]))
    k = next(
        n
        for n, ln in enumerate(lines[1:], start=1)
        if (r := next(csv.reader([ln])))[head.index("ccode")] == "290"
        and r[head.index("year")] == "2019"
        and r[head.index("month")] == "September"
    )
    row = next(csv.reader([lines[k]]))
    row[head.index("troops_ad")] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    lines[k] = buf.getvalue()
    p.write_text("".join(lines), encoding="utf-8")
    return p, k + 1


def test_negative_troop_count_names_the_file_and_line(root):
    _, line = _troops_set(root, "-120")
    before = seed(root)
    res = run_cli(root, "panel")
    assert_clean_failure(
        res,
        before,
        root,
        TROOPS[1],
        f"line {line} column troops_ad",
        "is negative (-120)",
        "ccode 290 2019 September",
    )


def test_text_troop_count_names_the_line_and_the_text(root):
    """read_csv reads 'n/a' as NaN: the message still quotes what the file says."""
    from analysis.errors import InputError
    from analysis.etl import troops

    p, line = _troops_set(root, "n/a")
    with pytest.raises(InputError) as exc:
        troops.load(p)
    assert exc.value.where == f"line {line} column troops_ad"
    assert "is 'n/a', not a whole number" in exc.value.problem


# ------------------------------------------------------------------ 3. output folders
def test_reports_is_a_file_where_a_folder_is_expected(tmp_path):
    """As root, chmod does not stop a write, so the unwritable folder is made real another
    way: `reports` is a regular file. The stage stops before computing anything."""
    root = make_root(tmp_path / "root", link_raw=False)
    (root / "reports").rmdir()
    (root / "reports").write_text("not a folder\n")
    before = seed(root)
    res = run_cli(root, "code")
    assert_clean_failure(
        res, before, root, "reports", "is a file where the stage needs a folder", "move or delete"
    )


def test_permission_denied_at_the_write_names_the_folder_and_chmod(tmp_path, monkeypatch):
    """A read-only folder, simulated at the io layer (as root no chmod blocks a write)."""
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "a.csv").write_bytes(b"previous a\n")

    def denied(*a, dir=None, **kw):
        raise PermissionError(errno.EACCES, "Permission denied", str(dir))

    monkeypatch.setattr(aio.tempfile, "mkstemp", denied)
    with pytest.raises(OutputError) as exc:
        aio.write_files_together({folder / "a.csv": b"new a\n", folder / "b.csv": b"new b\n"})
    msg = str(exc.value)
    assert str(folder) in msg and "permission denied" in msg and f"chmod u+w {folder}" in msg
    assert sorted(p.name for p in folder.iterdir()) == ["a.csv"]
    assert (folder / "a.csv").read_bytes() == b"previous a\n"


def test_read_only_output_folder_through_the_cli_is_exit_2(tmp_path, monkeypatch, capsys):
    from analysis.__main__ import _run

    root = make_root(tmp_path / "root", link_raw=False)
    monkeypatch.setenv("ANALYSIS_ROOT", str(root))

    def denied(*a, dir=None, **kw):
        raise PermissionError(errno.EACCES, "Permission denied", str(dir))

    monkeypatch.setattr(aio.tempfile, "TemporaryFile", denied)
    ran = []
    with pytest.raises(typer.Exit) as exc:
        _run(lambda: ran.append(1), outputs=("processed_dir", "reports_dir"))
    assert exc.value.exit_code == 2 and ran == []  # stopped before the stage ran
    err = capsys.readouterr().err
    assert "what to do:" in err and "chmod u+w" in err and str(root / "data" / "processed") in err
    assert "internal error" not in err and "Traceback" not in err

    # a PermissionError raised anywhere else in a stage is exit 2 too, with the file
    def stage():
        raise PermissionError(errno.EACCES, "Permission denied", "/some/where/file.csv")

    with pytest.raises(typer.Exit) as exc:
        _run(stage)
    err = capsys.readouterr().err
    assert exc.value.exit_code == 2 and "/some/where/file.csv" in err and "chmod" in err
    assert "internal error" not in err


# ------------------------------------------------------------------ 5. Windows editors, YAML dates
def _windows_copy(src: Path, dst: Path) -> None:
    """The file as a Windows editor saves it: UTF-8 with BOM, CRLF, and non-ASCII text in a
    note; with every quoted date unquoted (`when: 2018-05-04`)."""
    text = src.read_text(encoding="utf-8")
    text, n = re.subn(
        r"(\b(?:when|start|end|coded_on|date): )'(\d{4}(?:-\d{2}(?:-\d{2})?)?)'", r"\1\2", text
    )
    assert n > 20
    text, n = re.subn(r"(?m)^(    note: ['\"]?)", r"\1Zoë’s “Ünïcödé” note — ±2 %; ", text, count=1)
    assert n == 1
    dst.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))


def test_windows_saved_codebook_with_unquoted_dates_gives_identical_codes(tmp_path):
    """The loader gives the same grades, codes and evidence dates for the Windows-saved copy
    (the coding stage derives everything it writes from these)."""
    from analysis.coding import codebook

    src = ROOT_CODEBOOK / "USA-POL.yaml"
    p = tmp_path / "USA-POL.yaml"
    _windows_copy(src, p)
    assert p.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in p.read_bytes()
    ref, got = codebook.load_file(src), codebook.load_file(p)
    assert [q.id for q in got.periods] == [q.id for q in ref.periods]
    for a, b in zip(ref.periods, got.periods, strict=True):
        assert a.grades() == b.grades() and a.codes() == b.codes()
        for k in a.grades():
            ea, eb = getattr(a, k).evidence, getattr(b, k).evidence
            assert [e.when for e in ea] == [e.when for e in eb]
    assert "Ünïcödé" in str(got.model_dump())


def test_codebook_saved_as_windows_1252_is_a_clear_error(tmp_path):
    root = make_root(tmp_path / "root", link_raw=False)
    p = root / "data" / "codebook" / "USA-EST.yaml"
    text = p.read_text(encoding="utf-8")
    line = text[: text.index("’")].count("\n") + 1  # a curly apostrophe: 0x92 in Windows-1252
    p.write_bytes(text.encode("cp1252", errors="replace"))
    before = seed(root)
    res = run_cli(root, "validate-codebook")
    assert_clean_failure(
        res,
        before,
        root,
        "USA-EST.yaml",
        f"line {line} column",
        "not UTF-8: byte 0x92",
        "Windows-1252",
        "save the file as UTF-8",
    )


def test_codebook_saved_as_utf16_is_a_clear_error(tmp_path):
    from analysis.coding import codebook
    from analysis.errors import InputError

    p = tmp_path / "USA-EST.yaml"
    p.write_bytes(codebook.read_text(ROOT_CODEBOOK / "USA-EST.yaml").encode("utf-16"))
    with pytest.raises(InputError) as exc:
        codebook.read_raw(p)
    assert "saved as UTF-16" in exc.value.problem and "UTF-8" in exc.value.fix


# ------------------------------------------------------------------ 6. all or nothing
def test_panel_stage_failing_at_the_write_leaves_the_previous_set(tmp_path, monkeypatch):
    """panel.dta is a folder (where the stage writes a file): the stage fails while writing,
    and the three other files are still the previous run's, not new ones beside old ones."""
    from analysis import dictionary
    from analysis.__main__ import _run
    from analysis.etl import panel as panel_mod
    from analysis.etl import run as etl_run
    from analysis.etl import schema

    root = make_root(tmp_path / "root", link_raw=False)
    monkeypatch.setenv("ANALYSIS_ROOT", str(root))
    cols = list(dictionary.load()["panel"])
    df = pd.DataFrame({c: [1] for c in cols}).assign(patron="USA", client="POL", year=2019)
    meta = {"domains": {}, "years": [2019, 2019], "columns": {c: {"source_id": "t"} for c in cols}}
    monkeypatch.setattr(panel_mod, "build", lambda: (df, dict(meta)))
    monkeypatch.setattr(schema, "validate", lambda d, domains: d)
    seed(root)
    dta = root / "data" / "processed" / "panel.dta"
    dta.unlink()
    dta.mkdir()
    (dta / "keep").write_bytes(b"x")
    before = outputs(root)
    with pytest.raises(typer.Exit) as exc:
        _run(etl_run.run, outputs=("processed_dir",))
    assert exc.value.exit_code == 2
    assert outputs(root) == before
    assert not list(root.rglob("*.tmp"))

    dta.joinpath("keep").unlink()
    dta.rmdir()
    etl_run.run()  # the same stage with the folder gone writes all four files
    after = outputs(root)
    assert all(after[f"data/processed/{n}"] != before.get(f"data/processed/{n}") for n in PREVIOUS)


@pytest.mark.slow
def test_coding_stage_failing_at_the_write_leaves_every_previous_output(coded, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(coded, root, symlinks=True)
    target = root / "reports" / "track_agreement.csv"
    target.unlink()
    target.mkdir()  # a folder where the stage writes its last files
    before = outputs(root)
    res = run_cli(root, "code")
    assert_clean_failure(
        res, before, root, "track_agreement.csv", "is a folder where the stage writes a file"
    )


# ------------------------------------------------------------------ panel.yaml against the data
def _panel_cfg(root: Path, edit) -> dict[str, bytes]:
    from tests.conftest import edit_yaml

    edit_yaml(root, "panel", edit)
    return seed(root)


def test_excluding_a_code_that_is_not_a_client_names_the_nearest_clients(root):
    """A typo in clients.exclude (DUE for DEU) removed nothing and ran on silently."""
    before = _panel_cfg(root, lambda c: c["clients"].update(exclude=["DUE"]))
    res = run_cli(root, "panel")
    assert_clean_failure(
        res, before, root, "panel.yaml: clients.exclude[0]", "'DUE' is not a client", "DEU"
    )


def test_adding_a_code_with_no_state_behind_it_is_refused(root):
    before = _panel_cfg(root, lambda c: c["clients"].update(extra=["NZL", "XKZ"]))
    res = run_cli(root, "panel")
    assert_clean_failure(
        res, before, root, "panel.yaml: clients.extra[1]", "'XKZ' has no COW country code"
    )


def test_an_end_year_past_the_data_names_the_last_year(root):
    """years.end: 2030 used to end in a pandera dump of 8,749 failed checks."""
    before = _panel_cfg(root, lambda c: c["years"].update(end=2030))
    res = run_cli(root, "panel")
    assert_clean_failure(
        res, before, root, "panel.yaml: years.end", "2030 is after the last year", "up to 2024"
    )


# ------------------------------------------------------------------ damaged outputs of a stage
def test_a_damaged_parquet_input_names_the_stage_that_writes_it(tmp_path):
    p = tmp_path / "coded_periods.parquet"
    p.write_bytes(b"PAR1 truncated")
    with pytest.raises(aio.InputError) as e:
        aio.read_parquet(p, "code")
    assert "damaged or truncated" in str(e.value) and "run `make code` again" in str(e.value)
    with pytest.raises(aio.InputError, match="run `make panel` first"):
        aio.read_parquet(tmp_path / "panel.parquet", "panel")


def test_a_truncated_panel_stops_the_code_stage_with_exit_2(root):
    (root / "data" / "processed" / "panel.parquet").write_bytes(b"PAR1" + b"\0" * 64)
    before = outputs(root)
    res = run_cli(root, "code")
    assert_clean_failure(res, before, root, "panel.parquet", "damaged or truncated", "make panel")


def test_report_refuses_simulations_from_another_models_run(tmp_path):
    from analysis.io import sha256
    from analysis.report.inputs import load_simulations

    models = tmp_path / "models.json"
    models.write_text('{"models": []}\n')
    sims = tmp_path / "simulations.json"
    with pytest.raises(aio.InputError, match="run `make simulate` first"):
        load_simulations(sims, models)
    sims.write_text(json.dumps({"models_json_sha256": sha256(models)}))
    assert load_simulations(sims, models)["models_json_sha256"] == sha256(models)
    models.write_text('{"models": [1]}\n')  # the models stage ran again
    with pytest.raises(aio.InputError) as e:
        load_simulations(sims, models)
    assert "made from another models.json" in str(e.value)
    assert "run `make simulate` again" in str(e.value)


# ------------------------------------------------------------------ raw files changed after fetch
def test_a_raw_file_replaced_after_fetch_is_refused_by_the_panel_stage(root):
    """A publisher's next edition dropped in under the old name (the fetch stamp kept) was
    parsed silently and changed the panel. Not through replace_raw: nothing is registered."""
    p = root / "data" / "raw" / NATO[0] / NATO[1]
    target = p.resolve()
    p.unlink()
    shutil.copyfile(target, p)
    wb = openpyxl.load_workbook(p)
    ws = wb["TABLE3"]
    ws["C20"].value = 9.99
    wb.save(p)
    before = seed(root)
    res = run_cli(root, "panel")
    assert_clean_failure(
        res,
        before,
        root,
        f"{NATO[0]}/{NATO[1]}",
        "not the edition config/sources.yaml records",
        "its own source id and checksum",
    )


# ------------------------------------------------------------------ committed project files
def test_a_url_in_the_host_list_is_refused(root):
    p = root / "config" / "source_hosts.yaml"
    p.write_text(p.read_text().replace("  - gov\n", "  - gov\n  - http://www.bbc.co.uk/news\n", 1))
    before = seed(root)
    (root / "data" / "processed" / "panel.parquet").unlink()
    before.pop("data/processed/panel.parquet")
    res = run_cli(root, "code")
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "source_hosts.yaml: official_suffixes[1]" in res.stderr, res.stderr
    assert "'http://www.bbc.co.uk/news' is not a host name" in res.stderr
    assert outputs(root) == before


def test_a_paper_figure_that_is_not_a_number_names_its_line(tmp_path):
    from analysis.report.inputs import paper_table

    src = Path(__file__).resolve().parents[1] / "data" / "paper" / "nato_share_gdp.csv"
    lines = src.read_text().splitlines()
    lines[3] = lines[3].replace(",1.", ",one point ", 1)
    p = tmp_path / "nato_share_gdp.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(aio.InputError) as e:
        paper_table(p)
    assert "line 4, column value" in str(e.value) and "is not a number" in str(e.value)
    assert paper_table(src).value.dtype == float


# ------------------------------------------------------------------ a stage's outputs edited later
def test_the_report_refuses_a_coded_table_cut_short_after_the_code_stage(reported, tmp_path):
    """A coded_periods.csv cut in half (a copy interrupted, an edit in a spreadsheet) still
    parsed: the report built from the rows left, exit 0. Each file the coding stage writes is
    recorded with its sha256 in data/processed/code_outputs.json, and the report checks it."""
    root = tmp_path / "copy"
    shutil.copytree(reported, root, symlinks=True)
    p = root / "data" / "processed" / "coded_periods.csv"
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    before = outputs(root)
    res = run_cli(root, "report")
    assert_clean_failure(
        res,
        before,
        root,
        "coded_periods.csv",
        "not the file the code stage wrote",
        "run `make code` again",
    )


def test_the_report_refuses_a_power_table_edited_after_simulate(reported, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(reported, root, symlinks=True)
    p = root / "reports" / "power_expert.csv"
    p.write_text(p.read_text().replace("0.", "0.9", 1))
    before = outputs(root)
    res = run_cli(root, "report")
    assert_clean_failure(res, before, root, "power_expert.csv", "run `make simulate` again")

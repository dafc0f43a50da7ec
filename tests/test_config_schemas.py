"""Schemas of the configuration files (analysis/schemas.py): every committed file validates, and a
bad edit gives one message naming the file, the key path (or CSV line and column), the bad
value, what is allowed and what to do (exit 2), leaving every earlier output as it was."""

from __future__ import annotations

import copy
import re
import shutil
from functools import cache
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import config, schemas
from analysis.errors import InputError
from tests.conftest import ROOT, edit_yaml, run_cli

ALL_FILES = [*schemas.YAML_MODELS, *schemas.CSV_SPECS]


@pytest.fixture
def cfg_root(tmp_path: Path, monkeypatch) -> Path:
    """A root holding only a copy of config/: enough for the validators, no pipeline."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    return tmp_path


def _fails(name: str) -> str:
    with pytest.raises(InputError) as exc:
        schemas.check_file(name)
    return str(exc.value)


def _assert_msg(msg: str, file: str, where: str, *needles: str) -> None:
    assert f"error: {file}: {where}: " in msg, msg
    assert "what to do: " in msg and f"config/{file}" in msg, msg
    for n in needles:
        assert n in msg, (n, msg)


# ------------------------------------------------------------------ the committed files pass
@pytest.mark.parametrize("name", ALL_FILES)
def test_every_committed_config_file_validates(name, monkeypatch):
    monkeypatch.delenv("ANALYSIS_ROOT", raising=False)
    schemas.check_file(name)


@pytest.mark.parametrize("stage", sorted(schemas.STAGES))
def test_every_stage_check_passes_on_the_committed_files(stage, monkeypatch):
    monkeypatch.delenv("ANALYSIS_ROOT", raising=False)
    schemas.check_stage(stage)


def test_validation_returns_the_file_unchanged(monkeypatch):
    """The stages keep using the plain mapping: validation must not coerce any value."""
    monkeypatch.delenv("ANALYSIS_ROOT", raising=False)
    for name in ("rules", "panel", "nato_editions", "sources"):
        assert schemas.validate(name, schemas.YAML_MODELS[name]()) == config.load_yaml(name)


def test_schema_lists_match_the_code():
    """Each `rules` entry of the schema is a code analysis/coding/rules.py computes; the troops
    rules are the reports analysis/etl/troops.py can take."""
    from analysis.coding import rules
    from analysis.etl import troops

    assert set(schemas.MEASURED_CODES) == {*rules.MEASURED, "SG1L"}
    assert set(schemas.TROOPS_RULES) == set(troops.MONTH)


@cache
def _committed(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / f"{name}.yaml").read_text())


def _raw(name: str) -> dict:
    """A fresh copy of the committed config/<name>.yaml (parsed once)."""
    return copy.deepcopy(_committed(name))


# ------------------------------------------------------------------------------- rules.yaml
def _agg(**kw):
    return lambda c: c["aggregation"].update(**kw)


def _mg(**kw):
    return lambda c: c["measured_guarantee"].update(**kw)


def _period(i, **kw):
    return lambda c: c["periods"][i].update(**kw)


RULES_CASES = [
    (_agg(bs_high_min=4), "aggregation.bs_high_min", ["got 4", "from 1 to 3"]),
    (_agg(bs_high_min=0), "aggregation.bs_high_min", ["got 0", "from 1 to 3"]),
    (_agg(ie_high_min=7), "aggregation.ie_high_min", ["got 7", "from 1 to 6"]),
    (_agg(ie_high_min_alternative=0), "aggregation.ie_high_min_alternative", ["from 1 to 6"]),
    (_agg(sg_high_min=6), "aggregation.sg_high_min", ["got 6", "from 1 to 5"]),
    (_agg(sg_limited_min=4), "aggregation.sg_limited_min", ["got 4", "from 1 to 3"]),
    (_agg(sg_limited_min=0), "aggregation.sg_limited_min", ["got 0"]),
    (_agg(bs_high_min=2.5), "aggregation.bs_high_min", ["got 2.5", "an integer"]),
    (_mg(high_min=4), "measured_guarantee.high_min", ["got 4", "from 1 to 3"]),
    (_mg(limited_min=3), "measured_guarantee.limited_min", ["got 3", "below high_min"]),
    (_mg(bs_high_min=2), "measured_guarantee.bs_high_min", ["got 2", "from 1 to 1"]),
    (_mg(ie_high_min=4), "measured_guarantee.ie_high_min", ["got 4", "from 1 to 3"]),
    (
        _mg(components=["SG1", "SG2", "SG5"]),
        r"measured_guarantee.components[1]",
        ["'SG2'", "SG1, SG1L, SG5"],
    ),
    (
        lambda c: c["rules"]["BS1"].update(level_min_pct="2%"),
        "rules.BS1.level_min_pct",
        ["got '2%'", "a number, without quotes or units"],
    ),
    (
        lambda c: c["rules"]["BS1"].update(level_min_pct="2.0"),
        "rules.BS1.level_min_pct",
        ["got '2.0'", "a number"],
    ),
    (
        lambda c: c["rules"]["SG1"].update(min_increase=5),
        "rules.SG1.min_increase",
        ["got 5", "<= 1"],
    ),
    (
        lambda c: c["rules"]["BS1"].update(levle_min_pct=2.0),
        "rules.BS1.levle_min_pct",
        ["unknown key 'levle_min_pct'", "level_min_pct, rise_min_pp, year_rise_window"],
    ),
    (
        lambda c: c.update(agregation={}),
        "agregation",
        ["unknown key", "periods, aggregation, rules, measured_guarantee, grade_cuts"],
    ),
    (
        lambda c: c["rules"]["IE1"].update(reference="allied_mean"),
        "rules.IE1.reference",
        ["'allied_mean'", "'allied_median'"],
    ),
    (_period(1, end="2016-01-01"), "periods[trump].end", ["2016-01-01", "after 2017-01-20"]),
    (_period(1, start="2017-13-01"), "periods[trump].start", ["'2017-13-01'", "YYYY-MM-DD"]),
    (_period(1, years=[2020, 2017]), "periods[trump].years", ["[2020, 2017]", "[2017, 2020]"]),
    (_period(1, years=[2016, 2020]), "periods[trump].years", ["between 2017 and 2021"]),
    (_period(1, years=[2017]), "periods[trump].years", ["two years"]),
    (
        _period(1, start="2016-01-20"),
        "periods[trump].start",
        ["2016-01-20", "before period obama2 ends (2017-01-20)", "on or after 2017-01-20"],
    ),
    (_period(2, id="trump"), "periods[trump].id", ["duplicate id"]),
    (lambda c: c["periods"][1].pop("id"), "periods[1].id", ["required key missing"]),
    (
        lambda c: c["grade_cuts"].update(XX9=1),
        "grade_cuts.XX9",
        ["unknown key", ", ".join(config.indicators())],
    ),
    (lambda c: c["grade_cuts"].update(IE3=2), "grade_cuts.IE3", ["got 2", "0 (routine"]),
    (lambda c: c["grade_cuts"].pop("SG5"), "grade_cuts.SG5", ["required key missing"]),
    (
        lambda c: c["rules"]["not_measurable"].append("BS9"),
        "rules.not_measurable[8]",
        ["'BS9'", "BS1, BS2"],
    ),
    (
        lambda c: c["rules"]["not_measurable"].append("SG1"),
        "rules.not_measurable[8]",
        ["has a rule", "BS2, BS3, IE2"],
    ),
]


@pytest.mark.parametrize(("edit", "where", "needles"), RULES_CASES)
def test_rules_yaml_violations(cfg_root, edit, where, needles):
    edit_yaml(cfg_root, "rules", edit)
    _assert_msg(_fails("rules"), "rules.yaml", where, *needles)


def _accepts(model, raw) -> bool:
    try:
        schemas.check("x.yaml", model, raw)
    except InputError as exc:
        assert "allowed: " in str(exc), str(exc)
        return False
    return True


@settings(max_examples=60, deadline=None)
@given(
    key=st.sampled_from(
        [("bs_high_min", 3), ("ie_high_min", 6), ("ie_high_min_alternative", 6), ("sg_high_min", 5)]
    ),
    value=st.integers(-50, 50),
)
def test_any_unreachable_threshold_is_refused(key, value):
    name, n = key
    raw = _raw("rules")
    raw["aggregation"][name] = value
    if name == "sg_high_min":
        raw["aggregation"]["sg_limited_min"] = 1
    assert _accepts(schemas.Rules, raw) == (
        1 <= value <= n and (name != "sg_high_min" or value > 1)
    )


@settings(max_examples=60, deadline=None)
@given(
    comps=st.lists(st.sampled_from(["SG1", "SG1L", "SG5"]), min_size=1, max_size=3, unique=True),
    high=st.integers(-2, 6),
    limited=st.integers(-2, 6),
)
def test_measured_guarantee_cuts_must_fit_the_components(comps, high, limited):
    raw = _raw("rules")
    raw["measured_guarantee"].update(components=comps, high_min=high, limited_min=limited)
    assert _accepts(schemas.Rules, raw) == (1 <= limited < high <= len(comps))


# ------------------------------------------------------------------------------- panel.yaml
PANEL_CASES = [
    (
        lambda c: c.update(years={"start": 2010, "end": 2005}),
        "years.end",
        ["got 2005", ">= 2010, or latest"],
    ),
    (lambda c: c["years"].update(end="lastest"), "years.end", ["'lastest'", "'latest'"]),
    (lambda c: c["years"].update(start="1990"), "years.start", ["'1990'", "an integer"]),
    (lambda c: c.update(patron="usa"), "patron", ["'usa'", "three upper-case letters"]),
    (lambda c: c["clients"].update(extra=["NZ"]), "clients.extra[0]", ["'NZ'", "ISO3"]),
    (lambda c: c["clients"].update(extra=["USA"]), "clients.extra[0]", ["own client"]),
    (lambda c: c["clients"].update(exlude=[]), "clients.exlude", ["unknown key", "exclude"]),
    (lambda c: c["clients"].update(extra=["NZL", "NZL"]), "clients.extra[1]", ["duplicate"]),
    (
        lambda c: c["nato_accession"].update(POL="2099-03-12"),
        "nato_accession.POL",
        ["2099-03-12", "in the future", "a past date"],
    ),
    (lambda c: c["nato_accession"].update(POL="1999-03-xx"), "nato_accession.POL", ["date"]),
    (lambda c: c["nato_accession"].update(POL=1999), "nato_accession.POL", ["got 1999", "date"]),
    (lambda c: c["nato_accession"].update(Pol="1999-03-12"), "nato_accession.Pol", ["ISO3"]),
    (lambda c: c["troops"].update(rule="june"), "troops.rule", ["'june'", "'september'"]),
    (lambda c: c["treaty_type"].update(manila=["JPN"]), "treaty_type.manila[0]", ["bilateral"]),
    (lambda c: c.update(patorn="USA"), "patorn", ["unknown key", "patron, patron_ccode"]),
]


@pytest.mark.parametrize(("edit", "where", "needles"), PANEL_CASES)
def test_panel_yaml_violations(cfg_root, edit, where, needles):
    edit_yaml(cfg_root, "panel", edit)
    _assert_msg(_fails("panel"), "panel.yaml", where, *needles)


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet="ABCXYZabc1 -", min_size=0, max_size=5))
def test_iso3_shape(code):
    raw = _raw("panel")
    raw["clients"]["extra"] = [code]
    ok = re.fullmatch(r"[A-Z]{3}", code) is not None and code != raw["patron"]
    assert _accepts(schemas.Panel, raw) == ok


# ----------------------------------------------------------------------------- sources.yaml
def _file0(**kw):
    return lambda c: c["sources"][0]["files"][0].update(**kw)


F0 = "sources[nato-2024].files[240617-def-exp-2024-TABLES-en.xlsx]"
SOURCES_CASES = [
    (
        _file0(sha256="TODO"),
        f"{F0}.sha256",
        ["a placeholder, not a checksum", "got 'TODO'", "sha256sum 240617-def-exp"],
    ),
    (_file0(sha256=None), f"{F0}.sha256", ["a placeholder, not a checksum"]),
    (_file0(sha256="ab12"), f"{F0}.sha256", ["4 hex digits: a sha256 has 64"]),
    (_file0(sha256="A" * 64), f"{F0}.sha256", ["upper-case"]),
    (_file0(size=0), f"{F0}.size", ["got 0", "positive integer"]),
    (_file0(size="206548"), f"{F0}.size", ["'206548'", "an integer"]),
    (_file0(url="ftp://example.org/x.xlsx"), f"{F0}.url", ["http:// or https://"]),
    (_file0(mirror_path="../x.xlsx"), f"{F0}.mirror_path", ["inside the mirror"]),
    (
        lambda c: c["sources"][1].update(id="nato-2024"),
        "sources[nato-2024].id",
        ["duplicate id", "sources[0]"],
    ),
    (lambda c: c["sources"][1].pop("licence"), "sources[sipri-milex-2025].licence", ["missing"]),
    (
        lambda c: c["sources"][1].update(licnce="CC0"),
        "sources[sipri-milex-2025].licnce",
        ["unknown key", "licence"],
    ),
    (_file0(sha265="0" * 64), f"{F0}.sha265", ["unknown key", "sha256"]),
]


@pytest.mark.parametrize(("edit", "where", "needles"), SOURCES_CASES)
def test_sources_yaml_violations(cfg_root, edit, where, needles):
    edit_yaml(cfg_root, "sources", edit)
    _assert_msg(_fails("sources"), "sources.yaml", where, *needles)


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(st.text(max_size=70), st.text(alphabet="0123456789abcdef", min_size=63, max_size=65))
)
def test_only_a_sha256_is_a_checksum(value):
    raw = _raw("sources")
    raw["sources"][0]["files"][0]["sha256"] = value
    assert _accepts(schemas.Sources, raw) == bool(re.fullmatch(r"[0-9a-f]{64}", value))


# ----------------------------------------------------------------------- nato_editions.yaml
def _table(**kw):
    return lambda c: c["tables"]["milex_gdp_nato"].update(**kw)


NATO_CASES = [
    (
        lambda c: c["editions"][0].update(source_id="nato-2023"),
        "editions[nato-2023].source_id",
        ["no source with this id in config/sources.yaml", "nato-2024", "sources.yaml first"],
    ),
    (_table(range=[15, 0]), "tables.milex_gdp_nato.range", ["[15, 0]", "low < high"]),
    (_table(range=[0]), "tables.milex_gdp_nato.range", ["[low, high]"]),
    (_table(range=["0", "15"]), "tables.milex_gdp_nato.range[0]", ["a number"]),
    (_table(position=-1), "tables.milex_gdp_nato.position", ["got -1", ">= 0"]),
    (_table(position=1.5), "tables.milex_gdp_nato.position", ["got 1.5", "an integer"]),
    (_table(block="share of (gdp"), "tables.milex_gdp_nato.block", ["regular expression"]),
    (_table(sheeet="TABLE3"), "tables.milex_gdp_nato.sheeet", ["unknown key", "sheet, block"]),
    (
        lambda c: c["editions"][0].update(published="June 2024"),
        "editions[nato-2024].published",
        ["date"],
    ),
]


@pytest.mark.parametrize(("edit", "where", "needles"), NATO_CASES)
def test_nato_editions_yaml_violations(cfg_root, edit, where, needles):
    edit_yaml(cfg_root, "nato_editions", edit)
    _assert_msg(_fails("nato_editions"), "nato_editions.yaml", where, *needles)


# ---------------------------------------------- unknown keys in the other schema-checked files
@pytest.mark.parametrize(
    ("name", "edit", "where"),
    [
        ("dictionary", lambda c: c["datasets"]["panel"].update(colums={}), "datasets.panel.colums"),
        ("dictionary", lambda c: c["datasets"].update(panle={}), "datasets.panle"),
        ("reliability", lambda c: c["audit"].update(n_itmes=5), "audit.n_itmes"),
        ("measurement", lambda c: c["sampler"].update(iteration=5), "sampler.iteration"),
    ],
)
def test_unknown_keys_elsewhere(cfg_root, name, edit, where):
    edit_yaml(cfg_root, name, edit)
    _assert_msg(_fails(name), f"{name}.yaml", where, "unknown key", "allowed: the keys")


def test_a_dictionary_label_longer_than_stata_allows_is_refused(cfg_root):
    def edit(c):
        c["datasets"]["panel"]["columns"]["troops"]["label"] = "US troops " * 9

    edit_yaml(cfg_root, "dictionary", edit)
    _assert_msg(
        _fails("dictionary"),
        "dictionary.yaml",
        "datasets.panel.columns.troops.label",
        "label has 90 characters; Stata allows 80",
    )


def test_measurement_cross_field_rule_names_its_key(cfg_root):
    edit_yaml(cfg_root, "measurement", lambda c: c["sampler"].update(burn=5000))
    _assert_msg(_fails("measurement"), "measurement.yaml", "sampler.burn", "got 5000")


# ---------------------------------------------------------------------------- override CSVs
CSV_CASES = [
    ("country_overrides.csv", "Narnia,narn,x\n", "line 39, column iso3", ["'narn'", "ISO3"]),
    ("country_overrides.csv", "korea,PRK,x\n", "line 39, column name", ["duplicate", "line 4"]),
    ("country_overrides.csv", "Korea, North,PRK,x\n", "line 39", ["4 fields", "quote"]),
    ("country_overrides.csv", ",KOR,x\n", "line 39, column name", ["''"]),
    ("ccode_overrides.csv", "AUT,30x,1955,2100,x\n", "line 7, column ccode", ["'30x'", "COW"]),
    ("ccode_overrides.csv", "AUT,305,1970,1960,x\n", "line 7, column last_year", [">= first"]),
    ("ccode_overrides.csv", "DEU,255,1989,2000,x\n", "line 7, column first_year", ["line 2"]),
    ("ccode_overrides.csv", "DEU,255,1990,2100,x\n", "line 7, column iso3", ["duplicate"]),
    ("ccode_overrides.csv", "AUT,255,1950,1960,x\n", "line 7, column ccode", ["DEU (line 3)"]),
    ("ohist_country_ids.csv", "South Korea,KOR,x\n", "line 6, column id", ["lower case"]),
    ("ohist_country_ids.csv", "korea,PRK,x\n", "line 6, column id", ["duplicate", "line 2"]),
    ("ohist_country_ids.csv", "atlantis,atl,x\n", "line 6, column iso3", ["'atl'", "'-'"]),
]


@pytest.mark.parametrize(("name", "line", "where", "needles"), CSV_CASES)
def test_override_csv_violations(cfg_root, name, line, where, needles):
    p = cfg_root / "config" / name
    p.write_text(p.read_text() + line)
    _assert_msg(_fails(name), name, where, *needles)


@pytest.mark.parametrize("name", list(schemas.CSV_SPECS))
def test_override_csv_unknown_column(cfg_root, name):
    p = cfg_root / "config" / name
    lines = p.read_text().splitlines(keepends=True)
    p.write_text(lines[0].rstrip("\n") + ",extra\n" + "".join(lines[1:]))
    _assert_msg(_fails(name), name, "line 1 (header)", "'extra'", "restore the header line")


# ------------------------------------------------------------------ files a Windows editor saved
@pytest.mark.parametrize("name", ALL_FILES)
def test_bom_and_crlf_are_accepted_with_the_same_content(cfg_root, name):
    """Notepad's UTF-8 (BOM, CRLF) and a spreadsheet's "CSV UTF-8" (BOM) read as the original."""
    file = name if name in schemas.CSV_SPECS else f"{name}.yaml"
    p = cfg_root / "config" / file

    def content():
        schemas.check_file(name)
        return schemas.check_csv(name) if name in schemas.CSV_SPECS else config.load_yaml(name)

    want = content()
    text = p.read_text(encoding="utf-8")
    p.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert content() == want


@pytest.mark.parametrize("name", ["rules", "country_overrides.csv"])
def test_a_file_saved_as_windows_1252_names_the_line(cfg_root, name):
    file = name if name in schemas.CSV_SPECS else f"{name}.yaml"
    p = cfg_root / "config" / file
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "Cura\u00e7ao,CUW,\n" if file.endswith(".csv") else "# Cura\u00e7ao\n")
    p.write_bytes("".join(lines).encode("cp1252"))
    msg = _fails(name)
    assert f"error: {file}: line 4: not UTF-8 text (byte 0xe7)" in msg, msg
    assert "save the file as" in msg and "UTF-8" in msg


# ------------------------------------------------------------- end to end: CLI, exit 2, no write
def _seed_outputs(root: Path) -> dict[str, bytes]:
    """Stand-ins for earlier outputs, then a snapshot of every file outside config/."""
    for rel in ("data/processed/panel.parquet", "data/processed/coded_periods.csv"):
        (root / rel).write_bytes(b"earlier output " + rel.encode())
    (root / "reports" / "four_cases.csv").write_text("row,POL\n")
    return _snapshot(root)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): (str(p.readlink()).encode() if p.is_symlink() else p.read_bytes())
        for p in sorted(root.rglob("*"))
        if (p.is_file() or p.is_symlink()) and p.relative_to(root).parts[0] != "config"
    }


def _edit_csv(root: Path, name: str, line: str) -> None:
    p = root / "config" / name
    p.write_text(p.read_text() + line)


E2E = [
    (
        "fetch",
        lambda r: edit_yaml(r, "sources", _file0(sha256="TODO")),
        ["sources.yaml: " + F0 + ".sha256", "a placeholder, not a checksum", "sha256sum"],
    ),
    (
        "panel",
        lambda r: edit_yaml(r, "panel", lambda c: c.update(years={"start": 2010, "end": 2005})),
        ["panel.yaml: years.end", "got 2005", "allowed: a year >= 2010"],
    ),
    (
        "panel",
        lambda r: edit_yaml(r, "nato_editions", lambda c: c["editions"][0].update(source_id="x")),
        ["nato_editions.yaml: editions[x].source_id", "config/sources.yaml"],
    ),
    (
        "panel",
        lambda r: _edit_csv(r, "country_overrides.csv", "Narnia,narn,\n"),
        ["country_overrides.csv: line 39, column iso3", "'narn'", "what to do: fix config/"],
    ),
    (
        "code",
        lambda r: edit_yaml(r, "rules", _agg(bs_high_min=4)),
        ["rules.yaml: aggregation.bs_high_min", "got 4", "from 1 to 3"],
    ),
    (
        "code",
        lambda r: edit_yaml(r, "rules", lambda c: c["rules"]["BS1"].update(level_min_pct="2%")),
        ["rules.yaml: rules.BS1.level_min_pct", "got '2%'", "a number"],
    ),
]


E2E_IDS = [
    "fetch-sha256-TODO",
    "panel-years",
    "panel-nato-source",
    "panel-csv",
    "code-bs",
    "code-pct",
]


@pytest.mark.parametrize(("stage", "edit", "needles"), E2E, ids=E2E_IDS)
def test_cli_bad_config_exit_2_and_nothing_written(project, tmp_path, stage, edit, needles):
    before = _seed_outputs(project)
    edit(project)
    extra = ("--route", "mirror") if stage == "fetch" else ()
    res = run_cli(project, stage, *extra, mirror=tmp_path / "no-mirror")
    assert res.returncode == 2, res.stderr
    err = res.stderr
    assert err.startswith("error: ") and "what to do: " in err, err
    assert "internal error" not in err and "Traceback" not in err, err
    for n in needles:
        assert n in err, (n, err)
    assert _snapshot(project) == before

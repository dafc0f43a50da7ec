"""Data exports for other tools: Parquet, CSV and Stata .dta of the panel and the coded tables,
and the generated data dictionary (config/dictionary.yaml -> data/processed/data_dictionary.*).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis import dictionary
from analysis.errors import InputError
from analysis.io import sha256
from tests.conftest import make_root, run_cli

DATASETS = ("panel", "coded_periods", "coded_years")


def _proc(root: Path) -> Path:
    return root / "data" / "processed"


@pytest.fixture(scope="module")
def coded(built, tmp_path_factory) -> Path:
    """A root with the session's panel and this module's own `code` run.

    Shadows conftest's session `coded` on purpose: that one runs `code` inside the shared
    `built` root, and tests/test_codebook.py copies everything in `built`'s data/processed and
    expects no coded tables there, so using it here would make the result depend on test order.
    """
    root = make_root(tmp_path_factory.mktemp("exports"))
    for f in ("panel.parquet", "panel.csv", "panel.dta", "panel.sources.json"):
        shutil.copyfile(_proc(built) / f, _proc(root) / f)
    res = run_cli(root, "code")
    assert res.returncode == 0, res.stderr
    return root


@pytest.fixture
def at_root(coded, monkeypatch) -> Path:
    """Point the in-process config at the test root (its config is a copy of the checkout's)."""
    monkeypatch.setenv("ANALYSIS_ROOT", str(coded))
    return coded


def _edit_dictionary(root: Path, edit) -> None:
    """Edit the tmp root's copy of config/dictionary.yaml (never the checkout's)."""
    path = root / "config" / "dictionary.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data["datasets"])
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _cell(df: pd.DataFrame, **keys):
    r = df
    for k, v in keys.items():
        r = r[r[k] == v]
    assert len(r) == 1, keys
    return r.iloc[0]


# ----------------------------------------------------------------------------- the dictionary
def test_every_written_column_has_a_dictionary_row(coded):
    dd = pd.read_csv(_proc(coded) / "data_dictionary.csv", keep_default_na=False)
    assert list(dd.columns) == ["dataset", "column", "meaning", "unit", "source", "dtype"]
    for ds in DATASETS:
        cols = list(pd.read_parquet(_proc(coded) / f"{ds}.parquet").columns)
        rows = dd[dd.dataset == ds]
        assert list(rows.column) == cols, ds
        for field in ("meaning", "unit", "source", "dtype"):
            empty = rows[rows[field].str.strip() == ""]
            assert empty.empty, (ds, field, list(empty.column))
    md = (_proc(coded) / "data_dictionary.md").read_text(encoding="utf-8")
    for ds in DATASETS:
        assert f"## {ds}" in md


def test_dictionary_sources_and_types(coded):
    dd = pd.read_csv(_proc(coded) / "data_dictionary.csv", keep_default_na=False)
    row = dd.set_index(["dataset", "column"]).source
    # panel provenance comes from panel.sources.json: source id and edition
    assert row["panel", "milex_gdp_nato"].startswith("nato-2024, June 2024")
    assert "sheet TABLE3" in row["panel", "milex_gdp_nato"]
    assert row["panel", "milex_gdp_nato_row"].startswith("as milex_gdp_nato: nato-2024")
    assert row["panel", "nato_member"].startswith("config/panel.yaml")
    # coded columns name their track and rule
    assert "data/codebook/*.yaml" in row["coded_periods", "BS1"]
    assert "config/rules.yaml rules.BS1" in row["coded_periods", "BS1"]
    assert "rules.not_measurable" in row["coded_periods", "BS2"]
    assert "config/rules.yaml rules.SG1L" in row["coded_years", "SG1L"]
    dtype = dd.set_index(["dataset", "column"]).dtype
    assert dtype["panel", "year"] == "int64"
    assert dtype["panel", "milex_gdp"] == "float64"
    assert dtype["panel", "client"] == "string"
    assert dtype["coded_periods", "BS1"] == "int8"


def test_dictionary_is_byte_identical_across_reruns(coded):
    files = ["data_dictionary.csv", "data_dictionary.md", "coded_periods.dta", "coded_years.dta"]
    before = {f: sha256(_proc(coded) / f) for f in files}
    res = run_cli(coded, "code")
    assert res.returncode == 0, res.stderr
    assert {f: sha256(_proc(coded) / f) for f in files} == before


# ------------------------------------------------------------------------------- Stata files
@pytest.mark.parametrize("ds", DATASETS)
def test_dta_opens_with_the_dictionary_labels(at_root, ds):
    path = _proc(at_root) / f"{ds}.dta"
    dta = pd.read_stata(path)
    pq_cols = list(pd.read_parquet(_proc(at_root) / f"{ds}.parquet").columns)
    renamed = dictionary.stata_names(ds)
    assert list(dta.columns) == [renamed.get(c, c) for c in pq_cols]
    with pd.io.stata.StataReader(path) as reader:
        labels = reader.variable_labels()
    assert labels == dictionary.labels(ds)
    assert all(labels.values())


def test_panel_dta_values_equal_parquet(coded):
    pq = pd.read_parquet(_proc(coded) / "panel.parquet")
    dta = pd.read_stata(_proc(coded) / "panel.dta")
    # NATO, Defence Expenditure of NATO Countries (June 2024), TABLE3 row 32 (Poland*), 2019.
    for df in (pq, dta):
        assert round(_cell(df, client="POL", year=2019).milex_gdp_nato, 3) == 1.986
    assert _cell(dta, client="POL", year=2019).milex_gdp_source == "nato-2024"
    # troops: every value equal, NA where the parquet has NA (troopdata line 24826: Japan 2019).
    assert _cell(dta, client="JPN", year=2019).troops == 55245
    assert pq.troops.isna().sum() > 0
    pd.testing.assert_series_equal(
        dta.troops.astype(float), pq.troops.astype(float), check_names=False
    )
    assert (dta.year.to_numpy() == pq.year.to_numpy()).all()
    assert (dta.client.to_numpy() == pq.client.to_numpy()).all()


def test_coded_dta_values_equal_parquet(coded):
    pq = pd.read_parquet(_proc(coded) / "coded_periods.parquet")
    dta = pd.read_stata(_proc(coded) / "coded_periods.dta")
    key = {"client": "POL", "period": "trump", "track": "codebook"}
    a, b = _cell(pq, **key), _cell(dta, **key)
    for col in ("BS1", "SG1", "SG5", "guarantee", "predicted", "cell"):
        assert a[col] == b[col], col
    assert a["end"] == b["end_date"] == "2021-01-20"
    assert a["start"] == b["start_date"] == "2017-01-20"
    # NA indicator codes stay missing in Stata (not 0)
    assert pq.BS2.isna().sum() == dta.BS2.isna().sum() > 0
    years_pq = pd.read_parquet(_proc(coded) / "coded_years.parquet")
    years_dta = pd.read_stata(_proc(coded) / "coded_years.dta")
    for col in ("BS1", "SG1L", "cb_SG5"):
        pd.testing.assert_series_equal(
            years_dta[col].astype(float), years_pq[col].astype(float), check_names=False
        )


# ------------------------------------------------------------------ undocumented columns stop
def test_missing_entry_stops_the_panel_stage(project):
    _edit_dictionary(project, lambda d: d["panel"]["columns"].pop("troops"))
    res = run_cli(project, "panel")
    assert res.returncode == 2, res.stderr
    assert "troops" in res.stderr
    assert "config/dictionary.yaml" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (_proc(project) / "panel.parquet").exists()  # checked before anything is written


def test_stale_entry_stops_the_code_stage(coded, tmp_path):
    root = make_root(tmp_path)
    for f in ("panel.parquet", "panel.sources.json"):
        shutil.copyfile(_proc(coded) / f, _proc(root) / f)
    _edit_dictionary(
        root,
        lambda d: d["coded_years"]["columns"].update(
            {"gone_column": {"label": "x", "meaning": "x", "unit": "x", "source": "x"}}
        ),
    )
    res = run_cli(root, "code")
    assert res.returncode == 2, res.stderr
    assert "gone_column" in res.stderr
    assert "config/dictionary.yaml" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (_proc(root) / "coded_years.parquet").exists()


def test_bad_entries_are_rejected(tmp_path, monkeypatch):
    root = make_root(tmp_path, link_raw=False)
    monkeypatch.setenv("ANALYSIS_ROOT", str(root))
    assert dictionary.labels("panel")["milex_gdp"].startswith("Defence spending")

    _edit_dictionary(root, lambda d: d["panel"]["columns"]["troops"].update(label="x" * 81))
    with pytest.raises(InputError, match="80") as exc:
        dictionary.labels("panel")
    assert "datasets.panel.columns.troops" in str(exc.value)

    root2 = make_root(tmp_path / "b", link_raw=False)
    monkeypatch.setenv("ANALYSIS_ROOT", str(root2))
    _edit_dictionary(root2, lambda d: d["coded_periods"]["columns"]["end"].pop("stata_name"))
    with pytest.raises(InputError, match="Stata variable name"):
        dictionary.labels("coded_periods")

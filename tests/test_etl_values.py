"""Values a reader can check in the publishers' own tables (file, sheet, row given)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def panel(built) -> pd.DataFrame:
    return pd.read_parquet(built / "data" / "processed" / "panel.parquet")


def cell(panel: pd.DataFrame, client: str, year: int, col: str):
    r = panel[(panel.client == client) & (panel.year == year)]
    assert len(r) == 1, (client, year)
    return r.iloc[0][col]


def test_nato_table3_2024_edition(panel):
    # NATO, Defence Expenditure of NATO Countries (2014-2024), June 2024, TABLE3 row 32 (Poland*)
    # and row 17 (Germany): 1.986 % and 1.513 %. The paper quotes 1.98 and 1.53 from the June
    # 2022 edition; NATO revises back years, so the edition is kept on every value.
    assert cell(panel, "POL", 2019, "milex_gdp_nato") == pytest.approx(1.986, abs=5e-4)
    assert cell(panel, "DEU", 2020, "milex_gdp_nato") == pytest.approx(1.513, abs=5e-4)
    assert cell(panel, "POL", 2019, "milex_gdp_nato_edition") == "nato-2024"
    assert cell(panel, "POL", 2019, "milex_gdp_nato_row") == 32
    assert cell(panel, "POL", 2019, "milex_gdp_source") == "nato-2024"


def test_nato_estimate_flag_and_sanity_values(panel):
    # TABLE3 header: '2023e', '2024e'. SOURCE.md sanity checks: US 3.71 -> 3.38, Poland 1.88 -> 4.12.
    assert cell(panel, "POL", 2024, "milex_gdp_nato_estimate") == 1
    assert cell(panel, "POL", 2022, "milex_gdp_nato_estimate") == 0
    assert cell(panel, "POL", 2014, "milex_gdp_nato") == pytest.approx(1.88, abs=5e-3)
    assert cell(panel, "POL", 2024, "milex_gdp_nato") == pytest.approx(4.12, abs=5e-3)
    assert cell(panel, "DEU", 2024, "milex_gdp_nato") == pytest.approx(2.12, abs=5e-3)


def test_sipri_share_of_gdp_in_percent(panel):
    # SIPRI milex 2025 workbook, sheet 'Share of GDP': Japan 2017 0.0091, Korea, South 2024 0.0256,
    # Philippines 2017 0.0117 (fractions; the panel stores percent).
    assert cell(panel, "JPN", 2017, "milex_gdp_sipri") == pytest.approx(0.91, abs=5e-3)
    assert cell(panel, "KOR", 2024, "milex_gdp_sipri") == pytest.approx(2.56, abs=5e-3)
    assert cell(panel, "PHL", 2017, "milex_gdp_sipri") == pytest.approx(1.17, abs=5e-3)
    assert cell(panel, "JPN", 2017, "milex_gdp_source") == "sipri-milex-2025"


def test_sipri_markers_become_na_with_reason(panel):
    # Costa Rica (row 65 of 'Share of GDP') has no military and '...' in every year.
    assert pd.isna(cell(panel, "CRI", 2010, "milex_gdp"))
    assert "'...'" in cell(panel, "CRI", 2010, "milex_gdp_sipri_na_reason")


def test_sipri_tiv_us_deliveries(panel):
    # us_import-export-values.csv line 2 (Japan): 2017 = 424, 2020 = 928; Poland 2019 = 125.
    assert cell(panel, "JPN", 2017, "us_tiv") == 424
    assert cell(panel, "JPN", 2020, "us_tiv") == 928
    assert cell(panel, "POL", 2019, "us_tiv") == 125
    assert pd.isna(cell(panel, "POL", 2024, "us_tiv"))  # outside SIPRI's years: NA, not 0


def test_troops_september_report(panel):
    # troopdata rebuild line 24826: 740, Japan, 2019, September, 'September 2019', troops_ad 55245.
    assert cell(panel, "JPN", 2019, "troops") == 55245
    assert cell(panel, "JPN", 2019, "troops_line") == 24826
    # Not the max over quarters: June 2015 reads 107,950 for Japan.
    assert cell(panel, "JPN", 2015, "troops") < 60000
    # September 2003: DMDC issued no report; troopdata fills 0; the panel says NA with the reason.
    assert pd.isna(cell(panel, "DEU", 2003, "troops"))
    assert "no September report" in cell(panel, "DEU", 2003, "troops_note")


def test_ideal_points(panel):
    # IdealpointsJuly2025.dta: Poland (290) 2019 idealpointfp 1.15658, US (2) 2019 2.570158.
    assert cell(panel, "POL", 2019, "ideal_point") == pytest.approx(1.15658, abs=1e-5)
    assert cell(panel, "POL", 2019, "ideal_distance") == pytest.approx(2.570158 - 1.15658, abs=1e-5)


def test_atop_and_accession(panel):
    # ATOP 5.1: US-Poland defence pact coded from 1997; Philippines 1951-2018.
    assert cell(panel, "POL", 1996, "defense_pact") == 0
    assert cell(panel, "POL", 1997, "defense_pact") == 1
    assert cell(panel, "PHL", 2018, "defense_pact") == 1
    # Past 2018 only from documented membership: North Macedonia joined NATO on 27 March 2020.
    assert cell(panel, "MKD", 2020, "defense_pact") == 1
    assert cell(panel, "MKD", 2020, "defense_pact_source") == "nato-accession"
    assert pd.isna(cell(panel, "MKD", 2019, "defense_pact"))  # no source says: NA, not 0
    assert cell(panel, "JPN", 2024, "defense_pact") == 1


def test_germany_ccode_and_names(panel):
    assert cell(panel, "DEU", 1990, "client_ccode") == 255
    assert cell(panel, "KOR", 2000, "client_name") == "South Korea"


def test_shape_and_keys(panel):
    assert not panel.duplicated(["patron", "client", "year"]).any()
    assert panel.year.min() == 1990 and panel.year.max() == 2024
    assert (panel.patron == "USA").all()
    # every NATO member and the Asia-Pacific treaty allies are clients
    for c in ["POL", "DEU", "JPN", "PHL", "KOR", "AUS", "NZL", "THA", "EST", "TUR", "FIN", "SWE"]:
        assert c in set(panel.client), c
    # a state present for the whole span has 35 rows
    assert (panel.client == "JPN").sum() == 35
    # Slovakia exists from 1993, Montenegro from 2006 (COW system membership)
    assert panel[panel.client == "SVK"].year.min() == 1993
    assert panel[panel.client == "MNE"].year.min() == 2006


def test_data_contract_columns(panel):
    contract = [
        "patron",
        "client",
        "client_ccode",
        "client_name",
        "year",
        "defense_pact",
        "milex_gdp",
        "milex_gdp_source",
        "milex_gdp_nato",
        "milex_gdp_sipri",
        "troops",
        "us_tiv",
        "ideal_distance",
        "un_agree_us",
    ]
    assert list(panel.columns[: len(contract)]) == contract


def test_sources_json_traces_every_contract_column(built):
    import json

    meta = json.loads((built / "data" / "processed" / "panel.sources.json").read_text())
    for col in [
        "defense_pact",
        "milex_gdp_nato",
        "milex_gdp_sipri",
        "troops",
        "us_tiv",
        "ideal_distance",
        "un_agree_us",
    ]:
        assert col in meta["columns"], col
        assert meta["columns"][col]["source_id"]
    assert meta["columns"]["milex_gdp_nato"]["sheet"] == "TABLE3"
    assert meta["coverage"]["us_tiv"] == [1990, 2023]


def test_dta_has_labels(built):
    reader = pd.io.stata.StataReader(built / "data" / "processed" / "panel.dta")
    with reader:
        labels = reader.variable_labels()
    assert "NATO" in labels["milex_gdp"]


def test_outputs_are_not_committed():
    """Downloads and generated files stay out of git (only .gitkeep placeholders are tracked)."""
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files", "data/raw", "data/processed", "reports"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert [t for t in tracked if not t.endswith(".gitkeep")] == []

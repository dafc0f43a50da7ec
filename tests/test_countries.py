"""The country-identity layer and its override table: the known traps."""

from __future__ import annotations

import pytest

from analysis.errors import InputError
from analysis.etl import countries


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Korea, South", "KOR"),  # SIPRI
        ("South Korea", "KOR"),  # SIPRI arms transfers
        ("Türkiye", "TUR"),  # NATO 2024
        ("Turkiye", "TUR"),  # SIPRI TIV
        ("North Macedonia", "MKD"),
        ("Czechia*", "CZE"),  # NATO footnote marker
        ("Czech Republic", "CZE"),
        ("Slovak Republic", "SVK"),
        ("Poland*   (Zlotys)", "POL"),  # NATO TABLE1 label with currency
        ("Federal Republic of Germany", "DEU"),  # UNGA
        ("United States of America", "USA"),
        ("Niger", "NER"),
        ("Nigeria", "NGA"),
        ("Dominica", "DMA"),
        ("Dominican Republic", "DOM"),
    ],
)
def test_names(name, iso3):
    assert countries.name_to_iso3(name) == iso3


def test_germany_cow_codes_change_in_1990():
    assert countries.iso3_to_ccode("DEU", 1989) == 260
    assert countries.iso3_to_ccode("DEU", 1990) == 255
    assert countries.ccode_to_iso3(260) == "DEU"
    assert countries.ccode_to_iso3(255) == "DEU"


def test_cow_codes():
    assert countries.iso3_to_ccode("POL", 2019) == 290
    assert countries.iso3_to_ccode("JPN", 2019) == 740
    assert countries.iso3_to_ccode("PHL", 2019) == 840
    assert countries.iso3_to_ccode("USA", 2019) == 2


def test_historical_entities_are_known_but_skipped():
    assert countries.name_to_iso3("German Democratic Republic") == countries.SKIP
    assert countries.name_to_iso3("USSR") == countries.SKIP


def test_unknown_name_names_file_and_row():
    with pytest.raises(InputError) as exc:
        countries.name_to_iso3("Ruritania", file="x.csv", where="line 7")
    msg = str(exc.value)
    assert "x.csv: line 7" in msg and "'Ruritania'" in msg and "country_overrides.csv" in msg

"""Country identity: one harmonisation layer for names, ISO3 and COW codes.

Built on the `countrycode` library (the Python port of Arel-Bundock et al.'s R package), plus a
small committed override table (config/country_overrides.csv) for the traps publishers set:
'Korea, South', 'Turkiye', 'Slovak Republic', 'Federal Republic of Germany', and COW codes that
change with the year (config/ccode_overrides.csv: Germany 260 -> 255). An unknown name stops the
run with an error naming the file, the row and the name.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis import schemas
from analysis.errors import InputError

_FOOTNOTE = re.compile(r"[\*†‡§¶‖]+$")


def clean_label(label: str) -> str:
    """Strip footnote markers (`Poland*`), currency suffixes (`Poland*   (Zlotys)`), spaces."""
    s = str(label).replace("\xa0", " ").strip()
    s = re.sub(r"\s{2,}\([^()]*\)$", "", s)  # NATO TABLE1 currency suffix
    s = _FOOTNOTE.sub("", s).strip()
    return s


@lru_cache(maxsize=1)
def _overrides() -> dict[str, str]:
    rows = schemas.check_csv("country_overrides.csv")  # columns, ISO3 shape, no name twice
    return {r["name"].casefold(): r["iso3"] for r in rows}


@lru_cache(maxsize=1)
def _ccode_overrides() -> pd.DataFrame:
    rows = schemas.check_csv("ccode_overrides.csv")  # integer codes and years, no overlaps
    df = pd.DataFrame(rows, columns=["iso3", "ccode", "first_year", "last_year", "note"])
    return df.astype({"ccode": "int64", "first_year": "int64", "last_year": "int64"})


@lru_cache(maxsize=1)
def _codelist() -> dict[str, list]:
    """countrycode's own codelist (names, regexes, ISO3, COW codes), loaded once.

    Calling countrycode() per value re-reads its pickle each time (about 20 ms a call), so we
    read the list once and do the lookups with the same regexes it uses.
    """
    return importlib.import_module("countrycode.countrycode").prepare_codelist()


@lru_cache(maxsize=1)
def _regexes() -> list[tuple[re.Pattern[str], str]]:
    d = _codelist()
    return [
        (re.compile(rx, re.I), iso)
        for rx, iso in zip(d["country.name.en.regex"], d["iso3c"], strict=True)
        if rx and iso
    ]


def _cc(value: object, origin: str, destination: str) -> object:
    if origin == "country.name":
        hits = {iso for rx, iso in _regexes() if rx.search(str(value))}
        return hits.pop() if len(hits) == 1 else None
    d = _codelist()
    for o, dest in zip(d[origin], d[destination], strict=True):
        if o == value and dest is not None:
            return dest
    return None


@lru_cache(maxsize=4096)
def _lookup(name: str) -> str | None:
    key = name.strip().casefold()
    ov = _overrides()
    if key in ov:
        return ov[key]
    res = _cc(name, origin="country.name", destination="iso3c")
    return res if isinstance(res, str) and res else None


def name_to_iso3(name: str, *, file: str | Path = "", where: str = "") -> str:
    """ISO3 for a publisher's country name; InputError if the name is unknown."""
    iso = _lookup(clean_label(name))
    if iso is None:
        raise InputError(
            file,
            where,
            f"unknown country name {name!r}",
            "add the name and its ISO3 code to config/country_overrides.csv",
        )
    return iso


def try_iso3(name: str) -> str | None:
    return _lookup(clean_label(name))


SKIP = "-"  # override value for known entities without ISO3 (historical states, the EU)


@lru_cache(maxsize=1)
def _ccode_spells() -> dict[str, list[tuple[int, int, int]]]:
    """The ccode overrides as {iso3: [(first_year, last_year, ccode), ...]} in file order."""
    out: dict[str, list[tuple[int, int, int]]] = {}
    for r in _ccode_overrides().itertuples(index=False):
        out.setdefault(r.iso3, []).append((int(r.first_year), int(r.last_year), int(r.ccode)))
    return out


@lru_cache(maxsize=512)
def _cown(iso3: str) -> int | None:
    res = _cc(iso3, origin="iso3c", destination="cown")
    return int(res) if res is not None and res == res else None


@lru_cache(maxsize=8192)
def iso3_to_ccode(iso3: str, year: int) -> int | None:
    for first, last, ccode in _ccode_spells().get(iso3, ()):
        if first <= year <= last:  # the first matching override row, as before
            return ccode
    return _cown(iso3)


@lru_cache(maxsize=8192)
def ccode_to_iso3(ccode: int) -> str | None:
    ov = _ccode_overrides()
    hit = ov[ov.ccode == ccode]
    if len(hit):
        return str(hit.iso3.iloc[0])
    res = _cc(int(ccode), origin="cown", destination="iso3c")
    return res if isinstance(res, str) else None


@lru_cache(maxsize=8192)
def iso3_to_name(iso3: str) -> str:
    res = _cc(iso3, origin="iso3c", destination="country.name.en")
    return res if isinstance(res, str) else iso3


@lru_cache(maxsize=8192)
def iso3_to_region(iso3: str) -> str | None:
    res = _cc(iso3, origin="iso3c", destination="continent")
    return res if isinstance(res, str) else None

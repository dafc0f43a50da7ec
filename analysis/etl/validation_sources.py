"""Sources used only to validate the measured guarantee (never model inputs): Blankenship's US
statements of reassurance (country-year, 1950-2010) and MME multinational exercises with the US
(1980-2010). NA outside their years; Blankenship's statements are NA (not 0) outside US-ally years,
as the file codes them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.etl import countries
from analysis.etl.csvfile import need_file, read_csv, require_columns


def load_statements(path: Path) -> tuple[pd.DataFrame, tuple[int, int]]:
    need_file(path)
    try:
        df = pd.read_stata(path)
    except Exception as exc:  # pandas raises several types for a damaged .dta
        raise InputError(
            path, "", f"cannot read the Stata file ({type(exc).__name__})", "fetch again"
        ) from None
    for c in ("ccode", "year", "statements_americas"):
        if c not in df.columns:
            raise InputError(path, "columns", f"missing column {c!r}", "check the edition")
    df["row"] = df.index + 1
    df = df[df.ccode.notna() & df.year.notna()]
    df = df.assign(ccode=df.ccode.astype(int), year=df.year.astype(int))
    if (df.statements_americas.dropna() < 0).any():
        i = df.index[df.statements_americas < 0][0]
        raise InputError(path, f"row {df.row[i]}", "negative statement count", "fetch again")
    iso = {c: countries.ccode_to_iso3(c) for c in df.ccode.unique()}
    df = df.assign(iso3=df.ccode.map(iso))
    df = df[df.iso3.notna() & (df.iso3 != countries.SKIP)]
    out = df[["iso3", "year", "statements_americas", "row"]].rename(
        columns={"statements_americas": "us_reassurance_statements", "row": "us_reassurance_row"}
    )
    out = out.drop_duplicates(["iso3", "year"], keep="first")
    return out, (int(df.year.min()), int(df.year.max()))


def load_exercises(path: Path, patron_gw: int = 2) -> tuple[pd.DataFrame, tuple[int, int]]:
    """Distinct MME exercises per client-year in which both the US and the client take part."""
    df = read_csv(path, low_memory=False)
    require_columns(df, ["MMEID", "gwcode", "year"], path)
    df["gwcode"] = pd.to_numeric(df.gwcode, errors="coerce")
    years = (int(df.year.min()), int(df.year.max()))
    us = set(df.loc[df.gwcode == patron_gw, "MMEID"])
    part = df[df.MMEID.isin(us) & df.gwcode.notna() & (df.gwcode != patron_gw)]
    # GW codes: Germany is 260 throughout; the country layer maps COW-style codes
    iso = {c: countries.ccode_to_iso3(int(c)) for c in part.gwcode.unique()}
    part = part.assign(iso3=part.gwcode.map(iso))
    part = part[part.iso3.notna() & (part.iso3 != countries.SKIP)]
    out = part.groupby(["iso3", "year"]).MMEID.nunique().rename("us_exercises_mme").reset_index()
    return out, years


MN_COLUMNS = {"us_words": "mn_us_statements", "us_ex": "mn_us_exercise", "us_vis": "mn_us_visit"}


def load_signals(path: Path, last_year: int = 2010) -> tuple[pd.DataFrame, tuple[int, int]]:
    """McManus & Nieman's US signals per client-year: statements (count), joint exercise (0/1),
    visit (0/1). Kept to 1950-2010: statements and exercises are 0 for every country in 2011-2012
    (the underlying sources end), which is missing data, not the absence of signals."""
    df = read_csv(path)
    require_columns(df, ["ccode", "year", *MN_COLUMNS], path)
    for c in MN_COLUMNS:
        v = pd.to_numeric(df[c], errors="coerce")
        if v.isna().any() or (v < 0).any():
            i = (v.isna() | (v < 0)).idxmax()
            raise InputError(
                path, f"line {i + 2}, column {c}", f"{df[c][i]!r} is not a count", "fetch again"
            )
    df = df.loc[df.year <= last_year, ["ccode", "year", *MN_COLUMNS]].copy()
    iso = {c: countries.ccode_to_iso3(int(c)) for c in df.ccode.unique()}
    df = df.assign(iso3=df.ccode.map(iso))
    df = df[df.iso3.notna() & (df.iso3 != countries.SKIP)]
    out = df[["iso3", "year", *MN_COLUMNS]].rename(columns=MN_COLUMNS)
    out = out.drop_duplicates(["iso3", "year"], keep="last")  # Germany 1990: 260 and 255 rows
    return out, (int(df.year.min()), int(df.year.max()))

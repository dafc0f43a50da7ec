"""US military construction by location, FY2008-2019 (troopdata compilation of DoD figures).

Country-year sums of `spend_construction` (thousands of current US$, total obligational
authority), rows with a COW code only: worldwide and unspecified lines (e.g. the NATO Security
Investment Program) cannot be attributed to a host. A client-year without a project is 0 inside
FY2008-2019 ("no project listed", not verified zero spending), NA outside. Negative values
(rescissions) are kept in the sum, never dropped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.etl import countries
from analysis.etl.csvfile import read_csv, require_columns


def load(path: Path) -> tuple[pd.DataFrame, tuple[int, int]]:
    df = read_csv(path, dtype=str, keep_default_na=False)
    require_columns(df, ["ccode", "year", "spend_construction"], path)
    df["line"] = df.index + 2
    raw = df.spend_construction.str.strip()
    v = pd.to_numeric(raw.where(~raw.isin(["", "NA"])), errors="coerce")
    bad = v.isna() & ~raw.isin(["", "NA"])  # a printed value that is not a number
    if bad.any():
        i = bad.idxmax()
        raise InputError(
            path,
            f"line {df.line[i]}, spend_construction",
            f"{df.spend_construction[i]!r} is not a number",
            "fetch the file again",
        )
    df["spend"] = v
    df["year"] = pd.to_numeric(df.year, errors="coerce")
    df["ccode"] = pd.to_numeric(df.ccode.where(~df.ccode.isin(["", "NA"])), errors="coerce")
    years = (int(df.year.min()), int(df.year.max()))
    df = df[df.ccode.notna() & (df.ccode != 2)]
    iso = {c: countries.ccode_to_iso3(int(c)) for c in df.ccode.unique()}
    df = df.assign(iso3=df.ccode.map(iso))
    df = df[df.iso3.notna()]
    out = df.groupby(["iso3", "year"]).agg(
        us_milcon_k=("spend", "sum"), us_milcon_lines=("line", lambda s: ";".join(map(str, s)))
    )
    return out.reset_index(), years

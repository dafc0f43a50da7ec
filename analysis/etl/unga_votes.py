"""UNGA roll calls 1946 to 2024-06-04, wide (a third party's reshaping of Voeten et al.), for
agreement with the patron after 2019.

Agreement per client-year, as the file's SOURCE.md defines it and checks it: 1 when the client
voted as the patron, 0.5 when exactly one of them abstained, 0 when they voted opposite; absent
(8) and non-member (9) are dropped. Turkey is NA from 2023-11-01: the source's Turkey/Türkiye
renaming left it absent or non-member in every later roll call (an artefact, not absence).
2024 holds only the January-June roll calls; `un_votes_ext_n` says how many.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.etl.csvfile import read_csv, require_columns

YES, ABSTAIN, NO, ABSENT, NONMEMBER = 1, 2, 3, 8, 9
ARTEFACTS = {"TUR": "2023-11-01"}  # client -> first date of the renaming artefact


def read(path: Path) -> pd.DataFrame:
    df = read_csv(path, low_memory=False)
    require_columns(df, ["rcid", "date"], path)
    return pd.concat([df, pd.Series(df.index + 2, name="line")], axis=1)


def check_codes(df: pd.DataFrame, cols: list[str], path: Path) -> None:
    """Every vote is one of Voeten's codes 1, 2, 3, 8, 9 (MNE and YEM are stored as 1.0 etc.)."""
    for c in cols:
        v = pd.to_numeric(df[c], errors="coerce")
        bad = v.isna() | ~v.isin([YES, ABSTAIN, NO, ABSENT, NONMEMBER])
        if bad.any():
            i = bad.idxmax()
            raise InputError(
                path,
                f"line {df.line[i]}, column {c}",
                f"vote {df[c][i]!r} is not a Voeten code (1 yes, 2 abstain, 3 no, 8 absent, 9 non-member)",
                "the file is damaged or a new layout: fetch it again or update the parser",
            )


def agreement(df: pd.DataFrame, patron: str, clients: list[str], path: Path) -> pd.DataFrame:
    cols = [c for c in clients if c in df.columns]
    check_codes(df, [patron, *cols], path)
    date = pd.to_datetime(df.date, errors="coerce")
    if date.isna().any():
        i = date.isna().idxmax()
        raise InputError(
            path, f"line {df.line[i]}, date", f"bad date {df.date[i]!r}", "fetch again"
        )
    us = pd.to_numeric(df[patron]).to_numpy()
    rows = []
    for c in cols:
        v = pd.to_numeric(df[c]).to_numpy()
        ok = np.isin(us, [YES, ABSTAIN, NO]) & np.isin(v, [YES, ABSTAIN, NO])
        if c in ARTEFACTS:
            ok &= (date < pd.Timestamp(ARTEFACTS[c])).to_numpy()
        score = np.where(v == us, 1.0, np.where((v == ABSTAIN) ^ (us == ABSTAIN), 0.5, 0.0))
        g = pd.DataFrame({"year": date.dt.year[ok], "s": score[ok]})
        agg = g.groupby("year").s.agg(["mean", "size"]).reset_index()
        rows.append(agg.assign(iso3=c))
    out = pd.concat(rows, ignore_index=True).rename(
        columns={"mean": "un_agree_us_ext", "size": "un_votes_ext_n"}
    )
    return out[["iso3", "year", "un_agree_us_ext", "un_votes_ext_n"]]


def load(path: Path, patron: str, clients: list[str]) -> pd.DataFrame:
    df = read(path)
    return agreement(df, patron, clients, path)

"""UN General Assembly alignment with the patron.

(1) Ideal-point distance (Voeten, July 2025 release): |client - patron| on `idealpointfp`
    (final-passage votes, available 1946-2024).
(2) Agreement from the roll calls (unvotes 2021 data, 1946-2019): the share of roll calls in a
    calendar year on which the client cast the same vote (yes/no/abstain) as the patron, among
    roll calls where both voted; also on the US State Department's 'important votes'.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadr

from analysis.errors import InputError
from analysis.etl import countries


def _read_rda(path: Path) -> pd.DataFrame:
    if not path.exists() or path.stat().st_size == 0:
        raise InputError(path, "", "file missing or empty", "run `make fetch` again")
    try:
        res = pyreadr.read_r(str(path))
    except Exception as exc:
        raise InputError(
            path,
            "",
            f"cannot read the R data file ({type(exc).__name__})",
            "the file is corrupt or truncated: delete it and run `make fetch` again",
        ) from None
    return next(iter(res.values()))


def load_ideal_points(path: Path, patron_ccode: int, column: str = "idealpointfp") -> pd.DataFrame:
    if not path.exists() or path.stat().st_size == 0:
        raise InputError(path, "", "file missing or empty", "run `make fetch` again")
    try:
        df = pd.read_stata(path)
    except Exception as exc:
        raise InputError(
            path, "", f"cannot read the Stata file ({type(exc).__name__})", "fetch it again"
        ) from None
    for c in ("ccode", "year", column):
        if c not in df.columns:
            raise InputError(
                path,
                "columns",
                f"missing column {c!r}",
                "check the edition; update config/panel.yaml unga.ideal_point",
            )
    df = df[df.ccode.notna() & df.year.notna()].copy()
    df["ccode"] = df.ccode.astype(int)
    df["year"] = df.year.astype(int)
    df["row"] = df.index + 1
    if df.duplicated(["ccode", "year"]).any():
        r = df[df.duplicated(["ccode", "year"])].iloc[0]
        raise InputError(
            path,
            f"row {r.row}",
            f"duplicated ccode-year {r.ccode}-{r.year}",
            "remove the duplicate",
        )
    us = df[df.ccode == patron_ccode].set_index("year")[column]
    df["ideal_point"] = df[column]
    df["patron_ideal_point"] = df.year.map(us)
    df["ideal_distance"] = (df["ideal_point"] - df["patron_ideal_point"]).abs()
    cols = ["ideal_point", "patron_ideal_point", "ideal_distance"]
    df[cols] = df[cols].astype("float64")
    return df[["ccode", "year", *cols, "row"]]


def load_agreement(votes_path: Path, calls_path: Path, patron_iso3: str) -> pd.DataFrame:
    votes = _read_rda(votes_path)
    calls = _read_rda(calls_path)
    for need, frame, p in (
        (["rcid", "country", "vote"], votes, votes_path),
        (["rcid", "date", "importantvote"], calls, calls_path),
    ):
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise InputError(p, "columns", f"missing {missing}", "check the file")
    names = {
        n: countries.name_to_iso3(n, file=votes_path, where=f"column 'country' value {n!r}")
        for n in votes.country.astype(str).unique()
    }
    votes = votes.assign(iso3=votes.country.astype(str).map(names), vote=votes.vote.astype(str))
    votes = votes[votes.iso3 != countries.SKIP]
    dates = pd.to_datetime(calls.date)
    last_full = dates.max().year - (0 if dates.max().month == 12 else 1)
    calls = calls.assign(year=dates.dt.year, important=calls.importantvote.fillna(0).astype(int))
    calls = calls[calls.year <= last_full]  # drop a partial last year (the data end 2020-01-14)
    us = votes[votes.iso3 == patron_iso3][["rcid", "vote"]].rename(columns={"vote": "patron_vote"})
    m = votes.merge(us, on="rcid").merge(calls[["rcid", "year", "important"]], on="rcid")
    m["agree"] = (m.vote == m.patron_vote).astype(float)
    allv = m.groupby(["iso3", "year"]).agg(
        un_agree_us=("agree", "mean"), un_votes_n=("agree", "size")
    )
    imp = (
        m[m.important == 1]
        .groupby(["iso3", "year"])
        .agg(un_agree_us_important=("agree", "mean"), un_votes_important_n=("agree", "size"))
    )
    out = allv.join(imp, how="left").reset_index()
    return out[out.iso3 != patron_iso3]

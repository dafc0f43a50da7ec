"""US troops abroad (troopdata rebuild of the DMDC quarterly reports).

One documented annual rule (config/panel.yaml `troops.rule`, default the September report, the
end of the US fiscal year). Never the max over quarters: June reports 2014-2021 are roughly
double the adjacent quarters for large hosts. A report that was not found (empty `source`, troops
filled with 0 by troopdata) is NA, never a withdrawal. DMDC counts assigned active-duty
personnel, not rotational forces (e.g. the US armoured brigade rotations in Poland).
Every row's ccode, year and troops_ad must be a whole number >= 0 (troopdata writes no text
marker): anything else stops the run with the file's line.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.etl import countries
from analysis.etl.csvfile import require_columns

MONTH = {"september": "September", "december": "December"}
META = (
    "US active-duty military personnel assigned in the country, DMDC report of the month set by "
    "the annual rule (default September). Assigned personnel only: rotational deployments are not counted."
)


def _counts(df: pd.DataFrame, col: str, path: Path) -> pd.Series:
    """Column `col` as whole numbers >= 0, or an InputError naming the first bad line."""
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() | (num < 0) | (num.round() != num)
    if bad.any():
        k = bad.idxmax()
        # the cell as written (read_csv turned markers like 'n/a' into NaN)
        v = pd.read_csv(path, usecols=[col], dtype=str, keep_default_na=False)[col].loc[k]
        line = df.line.loc[k]
        what = (
            "is empty"
            if pd.isna(v) or not str(v).strip()
            else f"is {v!r}, not a whole number"
            if pd.isna(num.loc[k]) or num.loc[k] != round(num.loc[k])
            else f"is negative ({num.loc[k]:g})"
        )
        who = f"ccode {df.ccode.loc[k]} {df.year.loc[k]} {df.month.loc[k]}"
        raise InputError(
            path,
            f"line {line} column {col}",
            f"{col} {what} ({who})"
            + (f"; {int(bad.sum()) - 1} more such line(s)" if bad.sum() > 1 else ""),
            "counts are whole numbers >= 0 (troopdata writes 0 with an empty source for a missing "
            "report): fix the line, or restore the file: delete it from data/raw/ and run "
            "`make fetch`",
        )
    return num.astype("int64")


def load(path: Path, rule: str = "september", source_id: str = "troopdata-2026") -> pd.DataFrame:
    if rule not in MONTH:
        raise InputError(
            "config/panel.yaml",
            "troops.rule",
            f"unknown rule {rule!r}",
            f"use one of {list(MONTH)}",
        )
    if not path.exists() or path.stat().st_size == 0:
        raise InputError(path, "", "file missing or empty", "run `make fetch` again")
    try:
        df = pd.read_csv(path, dtype={"source": str}, keep_default_na=True)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            path,
            "CSV",
            f"cannot parse ({type(exc).__name__}: {exc})",
            "the file is corrupt or truncated: delete it and run `make fetch` again",
        ) from None
    require_columns(df, ["ccode", "year", "month", "source", "troops_ad"], path)
    df["line"] = df.index + 2
    for col in ("ccode", "year", "troops_ad"):
        df[col] = _counts(df, col, path)
    df = df[df["month"] == MONTH[rule]].copy()
    dup = df.duplicated(["ccode", "year"], keep=False)
    if dup.any():
        r = df[dup].iloc[0]
        raise InputError(
            path,
            f"line {r.line}",
            f"two {MONTH[rule]} rows for ccode {r.ccode} {r.year}",
            "remove the duplicated report row",
        )
    missing_report = df["source"].isna() | (df["source"].astype(str).str.strip() == "")
    df["troops"] = df["troops_ad"].where(~missing_report).astype("Float64")
    df["troops_note"] = missing_report.map(
        {True: f"no {MONTH[rule]} report found (troopdata filled 0): NA", False: None}
    )
    iso = {c: countries.ccode_to_iso3(int(c)) for c in df.ccode.unique()}
    df["iso3"] = df.ccode.map(iso)
    df = df[df.iso3.notna()]
    out = df[["iso3", "ccode", "year", "troops", "troops_note", "source", "line"]].rename(
        columns={"source": "report"}
    )
    out["source_id"] = source_id
    return out.reset_index(drop=True)

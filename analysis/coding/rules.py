"""Rules on measured data: the second coding track, beside the codebook, never replacing it.

Each measurable indicator has one rule with named parameters in config/rules.yaml, applied to
every dyad-period and every dyad-year of the panel. Indicators the data cannot measure stay
unknown (None) in this track.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import schemas

MEASURED = ("BS1", "SG1", "SG5", "IE1", "IE5", "IE6")


def _code(cond: bool | None) -> int | None:
    return None if cond is None else int(bool(cond))


def allied_median(panel: pd.DataFrame, column: str) -> pd.Series:
    """Per-year median of `column` over the patron's treaty allies (defense_pact = 1)."""
    allies = panel[panel.defense_pact == 1]
    return allies.groupby("year")[column].median()


# ------------------------------------------------------------------------------ dyad-period
def _mean(s: pd.Series) -> float | None:
    s = s.dropna()
    return float(s.mean()) if len(s) else None


def period_codes(
    panel: pd.DataFrame,
    client: str,
    years: tuple[int, int],
    prev_years: tuple[int, int],
    params: dict,
    medians: dict[str, pd.Series],
) -> dict[str, int | None]:
    d = panel[panel.client == client].set_index("year")
    y0, y1 = years
    span = d.loc[(d.index >= y0) & (d.index <= y1)]
    prev = d.loc[(d.index >= prev_years[0]) & (d.index <= prev_years[1])]
    out: dict[str, int | None] = {}

    p = params["BS1"]
    m = _mean(span.milex_gdp)
    base = d.milex_gdp.get(y0 - 1)
    last = span.milex_gdp.dropna()
    if m is None:
        out["BS1"] = None
    elif m >= p["level_min_pct"]:
        out["BS1"] = 1
    elif base is None or pd.isna(base) or last.empty:
        out["BS1"] = None
    else:
        out["BS1"] = _code(float(last.iloc[-1]) - float(base) >= p["rise_min_pp"])

    p = params["SG1"]
    now, before = _mean(span.troops.astype(float)), _mean(prev.troops.astype(float))
    out["SG1"] = (
        None if now is None or before is None else _code(now >= (1 + p["min_increase"]) * before)
    )

    m = _mean(span.us_tiv)
    out["SG5"] = None if m is None else _code(m >= params["SG5"]["min_mean_tiv"])

    for ind, col in (
        ("IE1", "ideal_distance"),
        ("IE5", "un_agree_us"),
        ("IE6", "un_agree_us_important"),
    ):
        own = span[col].dropna()
        if own.empty:
            out[ind] = None
            continue
        ref = float(medians[col].reindex(own.index).mean())
        v = float(own.mean())
        out[ind] = _code(v <= ref) if col == "ideal_distance" else _code(v >= ref)
    return out


# ------------------------------------------------------------------------------ dyad-year
def year_codes(panel: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Rule codes for every dyad-year (nullable Int8; NA = unknown)."""
    p = panel.sort_values(["client", "year"]).copy()
    g = p.groupby("client", sort=False)
    out = p[["patron", "client", "year"]].copy()

    b = params["BS1"]
    rise = p.milex_gdp - g.milex_gdp.shift(b["year_rise_window"])
    bs1 = np.where(
        p.milex_gdp >= b["level_min_pct"],
        1.0,
        np.where(rise >= b["rise_min_pp"], 1.0, np.where(rise.notna(), 0.0, np.nan)),
    )
    bs1 = np.where(p.milex_gdp.isna(), np.nan, bs1)
    out["BS1"] = bs1

    w = params["SG1"]["year_window"]
    tr = p.troops.astype(float)
    now = g.troops.transform(lambda s: s.astype(float).rolling(w, min_periods=w).mean())
    before = now.groupby(p.client).shift(w)
    sg1 = np.where(
        now.notna() & before.notna(),
        (now >= (1 + params["SG1"]["min_increase"]) * before).astype(float),
        np.nan,
    )
    out["SG1"] = sg1
    out["SG1L"] = np.where(tr.notna(), (tr >= params["SG1L"]["min_troops"]).astype(float), np.nan)
    out["SG5"] = np.where(
        p.us_tiv.notna(), (p.us_tiv >= params["SG5"]["min_mean_tiv"]).astype(float), np.nan
    )

    for ind, col in (
        ("IE1", "ideal_distance"),
        ("IE5", "un_agree_us"),
        ("IE6", "un_agree_us_important"),
    ):
        ref = p.year.map(allied_median(panel, col))
        v = p[col]
        cond = (v <= ref) if col == "ideal_distance" else (v >= ref)
        out[ind] = np.where(v.notna() & ref.notna(), cond.astype(float), np.nan)
    for c in ("BS1", "SG1", "SG1L", "SG5", "IE1", "IE5", "IE6"):
        out[c] = pd.array(out[c], dtype="Float64").astype("Int8")
    return out


def load_params() -> dict:
    return schemas.validate("rules", schemas.Rules)

"""Estimation samples: the codebook dyad-periods and the rule-coded dyad-years, with controls."""

from __future__ import annotations

import numpy as np
import pandas as pd

CONTROLS = ["border_rival", "log_cinc", "nato"]


def _controls(panel: pd.DataFrame) -> pd.DataFrame:
    c = panel[["client", "year", "border_rival", "cinc", "treaty_type", "defense_pact"]].copy()
    c["log_cinc"] = np.log(c.cinc)
    c["nato"] = (c.treaty_type == "nato").astype(float)
    c["border_rival"] = c.border_rival.astype(float)
    return c


def codebook_sample(
    periods: pd.DataFrame, panel: pd.DataFrame, rules_cfg: dict, ie_col: str = "interest_exchange"
) -> pd.DataFrame:
    """Codebook dyad-periods with the period means of the controls (one merge, no loop)."""
    cb = periods[periods.track == "codebook"].reset_index(drop=True)
    ctl = _controls(panel)
    spans = pd.DataFrame(
        [
            {"period": p["id"], "y0": p["years"][0], "y1": p["years"][1]}
            for p in rules_cfg["periods"]
        ]
    )
    keys = cb[["client", "period", "start", "end"]].merge(spans, on="period", how="left")
    # a period not in config/rules.yaml: its calendar years from its own dates
    keys["y0"] = keys.y0.fillna(keys.start.str[:4].astype(int))
    keys["y1"] = keys.y1.fillna(keys.end.str[:4].astype(int) - 1)
    keys["row"] = np.arange(len(keys))
    m = keys.merge(ctl, on="client", how="left")
    m = m[(m.year >= m.y0) & (m.year <= m.y1)]
    means = m.groupby("row")[["border_rival", "log_cinc", "nato"]].mean()
    df = pd.DataFrame(
        {
            "client": cb.client,
            "period": cb.period,
            "guarantee": cb.guarantee,
            "bs_high": cb.burden_sharing.map({"high": 1.0, "low": 0.0}).astype(float),
            "ie_high": cb[ie_col].map({"high": 1.0, "low": 0.0}).astype(float),
            "bs_met": cb.bs_met.astype(float),
            "ie_met": cb.ie_met.astype(float),
        }
    )
    df = df.join(means.reindex(np.arange(len(cb))))
    df["bs_x_ie"] = df.bs_high * df.ie_high
    return df


def year_sample(years: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Dyad-years with a defence pact; willingness regressors and controls lagged one year."""
    ctl = _controls(panel)
    d = years.merge(ctl, on=["client", "year"], how="left").sort_values(["client", "year"])
    d["bs_high"] = d.bs_measured.map({"high": 1.0, "low": 0.0})
    d["ie_high"] = d.ie_measured.map({"high": 1.0, "low": 0.0})
    d["ie_count"] = (
        d[["IE1", "IE5", "IE6"]].astype("Float64").sum(axis=1, skipna=False).astype(float)
    )
    g = d.groupby("client")
    for c in ["bs_high", "ie_high", "ie_count", "log_cinc"]:
        d[f"L_{c}"] = g[c].shift(1)
        # a lag is only a lag if the previous row is the previous year
        d.loc[g.year.diff() != 1, f"L_{c}"] = np.nan
    d["L_bs_x_ie"] = d.L_bs_high * d.L_ie_high
    d = d[d.defense_pact == 1]
    return d.rename(columns={"guarantee_measured": "guarantee"})


def panel_sample(panel: pd.DataFrame) -> pd.DataFrame:
    d = panel[panel.defense_pact == 1].copy().sort_values(["client", "year"])
    d["log_troops"] = np.log1p(d.troops.astype(float))
    d["log_tiv"] = np.log1p(d.us_tiv)
    z = lambda s: (s - s.mean()) / s.std()  # noqa: E731
    d["guarantee_index"] = (z(d.log_troops) + z(d.log_tiv)) / 2
    g = d.groupby("client")
    for c in ["milex_gdp", "ideal_distance", "un_agree_us", "un_agree_us_ext"]:
        d[f"L_{c}"] = g[c].shift(1)
        d.loc[g.year.diff() != 1, f"L_{c}"] = np.nan
    return d

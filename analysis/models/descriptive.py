"""Model-free check of the 2x2 prediction: how often the paper's predicted level (Table 3) equals
the observed guarantee level, and the rank correlation between them (Kendall's tau-b, scipy)."""

from __future__ import annotations

import pandas as pd
from scipy import stats

from analysis.coding import levels

ORDER = levels.LEVEL_ORDER


def prediction_check(pred: pd.Series, obs: pd.Series, label: str) -> dict:
    d = pd.DataFrame({"predicted": pred, "observed": obs}).dropna()
    if d.empty:
        return {"sample": label, "n": 0}
    tab = pd.crosstab(d.predicted, d.observed).reindex(
        index=list(ORDER), columns=list(ORDER), fill_value=0
    )
    tau = stats.kendalltau(d.predicted.map(ORDER), d.observed.map(ORDER), variant="b")
    return {
        "sample": label,
        "n": len(d),
        "share_exact": float((d.predicted == d.observed).mean()),
        "kendall_tau_b": None if pd.isna(tau.statistic) else float(tau.statistic),
        "p": None if pd.isna(tau.pvalue) else float(tau.pvalue),
        "crosstab_rows_predicted_cols_observed": {
            r: {c: int(tab.loc[r, c]) for c in tab.columns} for r in tab.index
        },
    }


def checks(periods: pd.DataFrame, years: pd.DataFrame) -> list[dict]:
    cb = periods[periods.track == "codebook"]
    out = [prediction_check(cb.predicted, cb.guarantee, "codebook dyad-periods (paper's levels)")]
    pred = [
        levels.prediction(b, i) for b, i in zip(years.bs_measured, years.ie_measured, strict=True)
    ]
    yr = years.assign(pred=pred)
    yr = yr[yr.defense_pact == 1] if "defense_pact" in yr else yr
    out.append(
        prediction_check(
            yr.pred,
            yr.guarantee_measured,
            "rule-coded dyad-years with a defence pact (measured levels, same year)",
        )
    )
    return out

"""Agreement between the codebook track and the rules track, per indicator.

Share agreeing and Cohen's kappa (statsmodels' implementation) over the dyad-periods where both
tracks give a code. Kappa is undefined (NA) when both tracks use a single category throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa


def kappa(a: pd.Series, b: pd.Series) -> float | None:
    table = (
        pd.crosstab(a.astype(int), b.astype(int))
        .reindex(index=[0, 1], columns=[0, 1], fill_value=0)
        .to_numpy()
    )
    n = table.sum()
    if n == 0:
        return None
    pe = (table.sum(0) * table.sum(1)).sum() / n**2
    if np.isclose(pe, 1.0):
        return None
    return float(cohens_kappa(table, return_results=False))


def _joined(periods: pd.DataFrame, ind: str) -> pd.DataFrame:
    """Codebook and rules codes of one indicator, for the dyad-periods both tracks code."""
    key = ["patron", "client", "period"]
    cb = periods[periods.track == "codebook"].set_index(key)[ind].rename("codebook")
    ru = periods[periods.track == "rules"].set_index(key)[ind].rename("rules")
    return pd.concat([cb, ru], axis=1, join="inner").dropna()


def per_indicator(periods: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    rows = []
    for ind in indicators:
        j = _joined(periods, ind)
        n = len(j)
        rows.append(
            {
                "indicator": ind,
                "n_both_coded": n,
                "share_agree": round(float((j.codebook == j.rules).mean()), 4) if n else None,
                "cohens_kappa": None
                if n == 0 or (k := kappa(j.codebook, j.rules)) is None
                else round(k, 4),
                "codebook_met": int(j.codebook.sum()) if n else 0,
                "rules_met": int(j.rules.sum()) if n else 0,
            }
        )
    return pd.DataFrame(rows)


def disagreements(periods: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    rows = []
    for ind in indicators:
        j = _joined(periods, ind)
        for key, r in j[j.codebook != j.rules].iterrows():
            rows.append(
                {
                    "patron": key[0],
                    "client": key[1],
                    "period": key[2],
                    "indicator": ind,
                    "codebook": int(r.codebook),
                    "rules": int(r.rules),
                }
            )
    return pd.DataFrame(
        rows, columns=["patron", "client", "period", "indicator", "codebook", "rules"]
    )

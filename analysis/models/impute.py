"""Unknown codebook grades by multiple imputation, and Rubin's rules.

Imputation is indicator by indicator, never of the levels (config/models.yaml `imputation`): for a
dyad-period whose grade of indicator k is unknown, the donors are the dyad-periods of the same
period with a known grade of k, ranked by how close the mean of their known grades of the same
dimension (BS, IE or SG, k itself left out) is to the recipient's. The `donors` nearest form the
pool (ties broken at random), and one value is drawn by the approximate Bayesian bootstrap (Rubin
& Schenker 1986): resample the pool with replacement, then draw from the resample. The paper's
codes and the levels of each completed data set are then derived exactly as the coding stage
derives them (config/rules.yaml grade_cuts and aggregation, analysis.coding.levels), so the
imputed data respect the indicator structure. Seeded: the same inputs give the same imputations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.coding import levels

DIMS = {
    "BS": ["BS1", "BS2", "BS3"],
    "IE": ["IE1", "IE2", "IE3", "IE4", "IE5", "IE6"],
    "SG": ["SG1", "SG2", "SG3", "SG4", "SG5"],
}
IND = [k for ks in DIMS.values() for k in ks]


def _dim(k: str) -> list[str]:
    return DIMS[k[:2]]


def impute_grades(cb: pd.DataFrame, m: int, donors: int, seed: int) -> list[pd.DataFrame]:
    """m completed copies of the codebook rows (grade columns `<ID>_grade` filled)."""
    cb = cb.sort_values(["client", "period"]).reset_index(drop=True)
    G = cb[[f"{k}_grade" for k in IND]].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    col = {k: i for i, k in enumerate(IND)}
    missing = [(i, k) for i in range(len(cb)) for k in IND if np.isnan(G[i, col[k]])]
    seeds = np.random.SeedSequence(seed).spawn(m)
    out = []
    for s in seeds:
        rng = np.random.default_rng(s)
        Gm = G.copy()
        for i, k in missing:
            others = [col[o] for o in _dim(k) if o != k]
            rec = np.nanmean(G[i, others]) if np.isfinite(G[i, others]).any() else np.nan
            pool = np.flatnonzero(
                (cb.period == cb.period[i]).to_numpy() & np.isfinite(G[:, col[k]])
            )
            with np.errstate(all="ignore"):
                don = np.nanmean(
                    np.where(np.isfinite(G[pool][:, others]), G[pool][:, others], np.nan), axis=1
                )
            dist = np.abs(don - rec) if np.isfinite(rec) else np.zeros(len(pool))
            dist = np.where(np.isfinite(dist), dist, np.inf)
            order = np.lexsort((rng.random(len(pool)), dist))
            near = pool[order[: min(donors, len(pool))]]
            boot = rng.choice(near, size=len(near), replace=True)  # approximate Bayesian bootstrap
            Gm[i, col[k]] = G[rng.choice(boot), col[k]]
        filled = cb.copy()
        for k in IND:
            filled[f"{k}_grade"] = Gm[:, col[k]].astype(int)
        out.append(filled)
    return out


def derive(cb: pd.DataFrame, rules_cfg: dict, unknown_code: int | None = None) -> pd.DataFrame:
    """The paper's codes and levels from the grades (as analysis/coding/run.py derives them).

    unknown_code: None keeps unknowns unknown (levels unknown where they could change);
    0 or 1 sets every unknown code to that value (the worst- and best-case bounds)."""
    cuts, agg = rules_cfg["grade_cuts"], rules_cfg["aggregation"]
    d = cb.copy()
    for k in IND:
        g = d[f"{k}_grade"]
        code = [(unknown_code if pd.isna(v) else int(int(v) >= cuts[k])) for v in g.astype(object)]
        d[k] = pd.array(code, dtype="Int64")

    C = d[IND].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    rows = []
    for c in C:
        v = [None if np.isnan(x) else int(x) for x in c]
        bs, ie, sg = v[:3], v[3:9], v[9:]
        rows.append(
            {
                "bs_met": sum(x == 1 for x in bs),
                "ie_met": sum(x == 1 for x in ie),
                "sg_met": sum(x == 1 for x in sg),
                "burden_sharing": levels.burden_sharing(bs, agg["bs_high_min"]),
                "interest_exchange": levels.interest_exchange(ie, agg["ie_high_min"]),
                "interest_exchange_alt": levels.interest_exchange(
                    ie, agg["ie_high_min_alternative"]
                ),
                "guarantee": levels.guarantee(sg, agg["sg_high_min"], agg["sg_limited_min"]),
            }
        )
    new = pd.DataFrame(rows, index=d.index)
    for c in new.columns:
        d[c] = new[c]
    return d


def rubin(qs, ses, df_complete: float | None = None) -> dict:
    """Rubin's rules for m estimates of one quantity and their SEs. The degrees of freedom are
    Barnard & Rubin's (1999) small-sample version when the complete-data df is given (e.g. G - 1
    clusters), else Rubin's (1987)."""
    qs, ses = np.asarray(qs, float), np.asarray(ses, float)
    m = len(qs)
    qbar, W = float(qs.mean()), float((ses**2).mean())
    B = float(qs.var(ddof=1)) if m > 1 else 0.0
    T = W + (1 + 1 / m) * B
    lam = (1 + 1 / m) * B / T if T > 0 else 0.0
    df_old = (m - 1) / lam**2 if lam > 0 else np.inf
    if df_complete is not None and np.isfinite(df_complete):
        df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        dfree = 1 / (1 / df_old + 1 / df_obs) if np.isfinite(df_old) else df_obs
    else:
        dfree = df_old
    r = (1 + 1 / m) * B / W if W > 0 else 0.0
    fmi = (r + 2 / (dfree + 3)) / (1 + r) if np.isfinite(dfree) else r / (1 + r)
    return {
        "estimate": qbar,
        "se": float(np.sqrt(T)),
        "within_var": W,
        "between_var": B,
        "df": float(dfree),
        "lambda": float(lam),  # share of the total variance due to the missing grades
        "fraction_missing_info": float(fmi),  # Rubin's gamma
        "m": m,
    }


def rubin_ci(r: dict, level: float = 0.95) -> tuple[float, float]:
    t = (
        stats.t.ppf(0.5 + level / 2, r["df"])
        if np.isfinite(r["df"])
        else stats.norm.ppf(0.5 + level / 2)
    )
    return r["estimate"] - t * r["se"], r["estimate"] + t * r["se"]

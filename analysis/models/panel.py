"""Panel models (linearmodels): two-way fixed effects, random effects, Driscoll-Kraay check, and
a Hausman test of FE against RE."""

from __future__ import annotations

import numpy as np
import pandas as pd
from linearmodels.panel import PanelOLS, RandomEffects
from scipy import stats


def _params(res, names: list[str]) -> dict:
    ci = res.conf_int()
    return {
        n: {
            "coef": float(res.params[n]),
            "se": float(res.std_errors[n]),
            "p": float(res.pvalues[n]),
            "ci_low": float(ci.loc[n, "lower"]),
            "ci_high": float(ci.loc[n, "upper"]),
        }
        for n in names
    }


def fit_fe(df: pd.DataFrame, dep: str, xs: list[str], cov: str = "clustered", bandwidth: int = 3):
    d = df.set_index(["client", "year"])[[dep, *xs]].dropna()
    mod = PanelOLS(d[dep], d[xs], entity_effects=True, time_effects=True, drop_absorbed=True)
    if cov == "clustered":
        res = mod.fit(cov_type="clustered", cluster_entity=True)
    elif cov == "kernel":
        res = mod.fit(cov_type="kernel", bandwidth=bandwidth)
    else:
        res = mod.fit()
    return res, d


def fit_re(df: pd.DataFrame, dep: str, xs: list[str], cov: str = "clustered"):
    d = df.set_index(["client", "year"])[[dep, *xs]].dropna()
    years = pd.get_dummies(
        d.index.get_level_values("year"), prefix="y", drop_first=True, dtype=float
    )
    years.index = d.index
    X = pd.concat([pd.Series(1.0, index=d.index, name="const"), d[xs], years], axis=1)
    mod = RandomEffects(d[dep], X)
    res = mod.fit(cov_type="clustered", cluster_entity=True) if cov == "clustered" else mod.fit()
    return res, d


def hausman(df: pd.DataFrame, dep: str, xs: list[str]) -> dict:
    """Classic Hausman statistic on the slope coefficients (conventional covariances)."""
    fe, _ = fit_fe(df, dep, xs, cov="unadjusted")
    re, _ = fit_re(df, dep, xs, cov="unadjusted")
    b = fe.params[xs] - re.params[xs]
    V = fe.cov.loc[xs, xs] - re.cov.loc[xs, xs]
    stat = float(b @ np.linalg.pinv(V.to_numpy()) @ b)
    pd_ok = bool(np.all(np.linalg.eigvalsh(V.to_numpy()) > 0))
    return {
        "chi2": stat,
        "df": len(xs),
        "p": float(stats.chi2.sf(stat, len(xs))),
        "v_diff_positive_definite": pd_ok,
    }

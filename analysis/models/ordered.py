"""Ordered-logit fits with cluster-robust SEs, natural-scale cut points, separation checks, and
the predicted-probability quantities that turn H1-H3 into numbers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analysis.models.ologit import AnalyticOrderedModel, natural_cutpoints

LEVELS = ["low", "limited", "high"]


def prepare_y(s: pd.Series) -> pd.Series:
    return pd.Series(pd.Categorical(s, categories=LEVELS, ordered=True), index=s.index)


def separation_check(y: pd.Series, X: pd.DataFrame) -> list[str]:
    """Data patterns under which the MLE does not exist (before fitting)."""
    problems = []
    counts = y.value_counts()
    for lev in LEVELS:
        if counts.get(lev, 0) == 0:
            problems.append(f"no observation in outcome category {lev!r}")
    for c in X.columns:
        vals = X[c].dropna().unique()
        if len(vals) == 1:
            problems.append(f"{c} is constant")
        if set(vals) <= {0, 1}:
            for v in (0, 1):
                sub = y[X[c] == v]
                if len(sub) and sub.nunique() == 1 and sub.iloc[0] in (LEVELS[0], LEVELS[-1]):
                    problems.append(
                        f"{c} = {v} predicts {sub.iloc[0]!r} perfectly (quasi-complete separation)"
                    )
    return problems


def fit(
    y: pd.Series,
    X: pd.DataFrame,
    groups: pd.Series | None,
    link: str = "logit",
    method: str = "newton",
    maxiter: int = 200,
    sep: dict | None = None,
):
    """Fit; return (results or None, status dict)."""
    sep = sep or {"max_abs_coef": 15, "max_se": 100}
    y = prepare_y(y)
    pre = separation_check(y, X)
    used = [lev for lev in LEVELS if (y == lev).any()]
    if len(used) < 3:
        return None, {"status": "not estimable", "problems": pre}
    model = AnalyticOrderedModel(y, X.astype(float), distr=link)
    kw = (
        {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(groups)[0]}}
        if groups is not None
        else {}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = model.fit(method=method, maxiter=maxiter, disp=False, **kw)
        except (np.linalg.LinAlgError, ValueError) as exc:
            return None, {"status": "failed", "problems": pre + [f"{type(exc).__name__}: {exc}"]}
    conv = bool(res.mle_retvals.get("converged", True))
    k = X.shape[1]
    big = [
        n for n, v in zip(X.columns, res.params[:k], strict=True) if abs(v) > sep["max_abs_coef"]
    ]
    bse = np.asarray(res.bse[:k])
    huge = [
        n for n, v in zip(X.columns, bse, strict=True) if not np.isfinite(v) or v > sep["max_se"]
    ]
    problems = (
        pre
        + ([] if conv else ["optimizer did not converge"])
        + [f"|coef| of {n} > {sep['max_abs_coef']}" for n in big]
        + [f"SE of {n} > {sep['max_se']}" for n in huge]
    )
    status = (
        "ok"
        if not problems
        else ("possible separation" if (big or huge or not conv or pre) else "ok")
    )
    return res, {"status": status, "problems": problems, "converged": conv}


@np.errstate(
    over="ignore", invalid="ignore"
)  # separated fits: reported by status, not warned about
def summarize(res, X: pd.DataFrame, level: float = 0.95) -> dict:
    k = X.shape[1]
    z = stats.norm.ppf(0.5 + level / 2)
    params = {}
    for i, name in enumerate(X.columns):
        b, se = float(res.params.iloc[i]), float(res.bse.iloc[i])
        params[name] = {
            "coef": b,
            "se": se,
            "p": float(res.pvalues.iloc[i]),
            "ci_low": b - z * se,
            "ci_high": b + z * se,
            "odds_ratio": float(np.exp(b)),
            "or_ci_low": float(np.exp(b - z * se)),
            "or_ci_high": float(np.exp(b + z * se)),
        }
    cuts, cse = natural_cutpoints(res.params.to_numpy(), res.cov_params().to_numpy(), k)
    cut = {
        f"{LEVELS[j]}|{LEVELS[j + 1]}": {"value": float(c), "se": float(s)}
        for j, (c, s) in enumerate(zip(cuts, cse, strict=True))
    }
    return {"params": params, "cutpoints": cut, "llf": float(res.llf), "n": int(res.nobs)}


def cell_probabilities(
    params: np.ndarray, X: pd.DataFrame, bs: str, ie: str, inter: str | None, link: str = "logit"
) -> dict[str, float]:
    """Average predicted P(high) with bs and ie set to each cell, other regressors as observed."""
    return {c: v["high"] for c, v in cell_distribution(params, X, bs, ie, inter, link).items()}


def cell_distribution(
    params: np.ndarray, X: pd.DataFrame, bs: str, ie: str, inter: str | None, link: str = "logit"
) -> dict[str, dict[str, float]]:
    """Average predicted P(low), P(limited), P(high) in each BS x IE cell (point estimates)."""
    k = X.shape[1]
    beta, th = params[:k], params[k:]
    cuts = np.concatenate(([th[0]], th[0] + np.cumsum(np.exp(th[1:]))))
    F = (lambda z: 1 / (1 + np.exp(-z))) if link == "logit" else stats.norm.cdf
    out = {}
    for b in (1, 0):
        for i in (1, 0):
            Z = X.copy()
            Z[bs], Z[ie] = b, i
            if inter:
                Z[inter] = b * i
            xb = Z.to_numpy(float) @ beta
            c1, c2 = F(cuts[0] - xb), F(cuts[1] - xb)
            out[f"{'H' if b else 'L'}{'H' if i else 'L'}"] = {
                "low": float(np.mean(c1)),
                "limited": float(np.mean(c2 - c1)),
                "high": float(np.mean(1 - c2)),
            }
    return out


DIFFS = {
    "H1": [("HH", "HL", +1), ("HH", "LH", +1), ("HH", "LL", +1)],
    "H2": [("LL", "HL", -1), ("LL", "LH", -1), ("LL", "HH", -1)],
    "H3": [("HL", "LL", +1), ("HH", "HL", +1), ("LH", "LL", +1), ("HH", "LH", +1)],
}


def difference_state(lo: float, hi: float, sign: int) -> str:
    """The rule of config/models.yaml for one difference: holds if its whole CI is on the
    predicted side of 0, contradicted if on the other side, else unclear."""
    holds = (lo > 0) if sign > 0 else (hi < 0)
    contra = (hi < 0) if sign > 0 else (lo > 0)
    return "holds" if holds else "contradicted" if contra else "unclear"


def hypothesis_verdict(states: list[str]) -> str:
    """supported if every difference holds, not supported if one is contradicted."""
    if all(s == "holds" for s in states):
        return "supported"
    return "not supported" if any(s == "contradicted" for s in states) else "inconclusive"


def verdicts(
    point: dict[str, float], boot: np.ndarray | None, cells: list[str], level: float = 0.95
) -> dict:
    """Apply the verdict rule of config/models.yaml to each hypothesis."""
    out = {}
    for h, diffs in DIFFS.items():
        items, states = [], []
        for a, b, sign in diffs:
            d = point[a] - point[b]
            if boot is None or len(boot) == 0:
                lo = hi = np.nan
            else:
                bd = boot[:, cells.index(a)] - boot[:, cells.index(b)]
                lo, hi = np.quantile(bd, [(1 - level) / 2, 1 - (1 - level) / 2])
            states.append(difference_state(lo, hi, sign))
            items.append(
                {
                    "difference": f"P({a}) - P({b})",
                    "expected_sign": "+" if sign > 0 else "-",
                    "estimate": d,
                    "ci_low": float(lo),
                    "ci_high": float(hi),
                    "state": states[-1],
                }
            )
        verdict = "inconclusive" if boot is None else hypothesis_verdict(states)
        out[h] = {"verdict": verdict, "differences": items}
    return out

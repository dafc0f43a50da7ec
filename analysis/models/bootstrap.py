"""Seeded cluster (dyad) bootstrap of the hypothesis quantities, parallel with joblib.

Each replicate gets its own seed from one SeedSequence, and results are gathered in replicate
order, so the output is byte-identical whatever the number of workers. The data go to each
worker once (numpy arrays and the row indices of each ally), and a replicate is an index array:
no DataFrame is copied or pickled per replicate.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats

from analysis.models.ologit import AnalyticOrderedModel
from analysis.models.ordered import LEVELS

CELLS = ["HH", "HL", "LH", "LL"]
CELL_VALUES = [(1, 1), (1, 0), (0, 1), (0, 0)]


def cell_arrays(
    params: np.ndarray, X: np.ndarray, pos: tuple[int, int, int | None], link: str
) -> list[float]:
    """P(high) per cell, then P(limited or high) per cell (as ordered.cell_distribution)."""
    k = X.shape[1]
    beta, th = params[:k], params[k:]
    cuts = np.concatenate(([th[0]], th[0] + np.cumsum(np.exp(th[1:]))))
    F = (lambda z: 1 / (1 + np.exp(-z))) if link == "logit" else stats.norm.cdf
    ib, ii, iint = pos
    high, lim_or_high = [], []
    for b, i in CELL_VALUES:
        Z = X.copy()
        Z[:, ib], Z[:, ii] = b, i
        if iint is not None:
            Z[:, iint] = b * i
        xb = Z @ beta
        c1, c2 = F(cuts[0] - xb), F(cuts[1] - xb)
        high.append(float(np.mean(1 - c2)))
        lim_or_high.append(float(np.mean(1 - c1)))
    return high + lim_or_high


def _one(seed, y, X, blocks, start, link, pos, k) -> list[float]:
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(blocks), len(blocks))
    idx = np.concatenate([blocks[i] for i in pick])
    yy, XX = y[idx], X[idx]
    if np.bincount(yy, minlength=len(LEVELS)).min() == 0:
        return [np.nan] * 8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = AnalyticOrderedModel(yy, XX, distr=link).fit(
                start_params=start, method="newton", maxiter=100, disp=False
            )
        except (np.linalg.LinAlgError, ValueError):
            return [np.nan] * 8
    p = np.asarray(r.params)
    if not r.mle_retvals.get("converged", False) or np.any(np.abs(p[:k]) > 15):
        return [np.nan] * 8
    return cell_arrays(p, XX, pos, link)


def _chunk(seeds, *args) -> list[list[float]]:
    return [_one(s, *args) for s in seeds]


def cluster_bootstrap(
    df: pd.DataFrame,
    xs: list[str],
    start: np.ndarray,
    *,
    B: int,
    seed: int,
    n_jobs: int,
    link: str,
    bs: str,
    ie: str,
    inter: str | None,
) -> tuple[np.ndarray, int]:
    d = df.sort_values("client", kind="stable").reset_index(drop=True)
    y = pd.Categorical(d["guarantee"], categories=LEVELS, ordered=True).codes.astype(int)
    X = d[xs].to_numpy(float)
    blocks = [np.asarray(ix) for ix in d.groupby("client", sort=True).indices.values()]
    pos = (xs.index(bs), xs.index(ie), xs.index(inter) if inter else None)
    seeds = np.random.SeedSequence(seed).spawn(B)
    nj = max(1, n_jobs)
    chunks = [seeds[i::nj] for i in range(nj)]
    parts = Parallel(n_jobs=nj, backend="loky")(
        delayed(_chunk)(c, y, X, blocks, np.asarray(start), link, pos, len(xs)) for c in chunks
    )
    rows: list = [None] * B
    for i, part in enumerate(parts):  # back in replicate order
        rows[i::nj] = part
    arr = np.array(rows, dtype=float)
    ok = ~np.isnan(arr).any(axis=1)
    return arr[ok], int((~ok).sum())

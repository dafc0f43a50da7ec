"""Seeded cluster (dyad) bootstrap of the hypothesis quantities, parallel with joblib.

Each replicate gets its own seed from one SeedSequence, and results are gathered in replicate
order, so the output is byte-identical whatever the number of workers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from analysis.models.ologit import AnalyticOrderedModel
from analysis.models.ordered import LEVELS, cell_distribution

CELLS = ["HH", "HL", "LH", "LL"]


def _one(
    seed: np.random.SeedSequence,
    blocks: list[pd.DataFrame],
    xs: list[str],
    start: np.ndarray,
    link: str,
    bs: str,
    ie: str,
    inter: str | None,
) -> list[float]:
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(blocks), len(blocks))
    d = pd.concat([blocks[i] for i in pick], ignore_index=True)
    y = pd.Series(pd.Categorical(d["guarantee"], categories=LEVELS, ordered=True))
    if y.value_counts().min() == 0:
        return [np.nan] * 8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = AnalyticOrderedModel(y, d[xs].astype(float), distr=link).fit(
                start_params=start, method="newton", maxiter=100, disp=False
            )
        except (np.linalg.LinAlgError, ValueError):
            return [np.nan] * 8
    if not r.mle_retvals.get("converged", False) or np.any(np.abs(r.params[: len(xs)]) > 15):
        return [np.nan] * 8
    dist = cell_distribution(r.params.to_numpy(), d[xs], bs, ie, inter, link)
    # P(high) per cell, then P(limited or high) per cell
    return [dist[c]["high"] for c in CELLS] + [dist[c]["high"] + dist[c]["limited"] for c in CELLS]


def _chunk(seeds: list[np.random.SeedSequence], *args) -> list[list[float]]:
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
    blocks = [g for _, g in df.groupby("client", sort=True)]
    seeds = np.random.SeedSequence(seed).spawn(B)
    rows = Parallel(n_jobs=n_jobs, backend="loky")(
        delayed(_one)(s, blocks, xs, start, link, bs, ie, inter) for s in seeds
    )
    arr = np.array(rows, dtype=float)
    ok = ~np.isnan(arr).any(axis=1)
    return arr[ok], int((~ok).sum())

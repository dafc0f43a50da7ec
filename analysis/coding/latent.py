"""The measured security guarantee: a latent score per dyad-year with its posterior SD.

Model (docs/measured_guarantee.md). For dyad-year i and indicator j,
    continuous j:  y_ij = a_j + b_j * theta_i + e_ij,   e_ij ~ N(0, s_j^2)
    binary j:      y_ij = 1[a_j + b_j * theta_i + e_ij > 0],   e_ij ~ N(0, 1)   (probit)
    theta_i ~ N(0, 1),
with a missing y_ij simply left out of the likelihood, so a dyad-year with any observed
indicator gets a score (and one with none keeps the prior: score 0, SD 1). Estimated by Gibbs
sampling with data augmentation for the binary indicators (Albert & Chib 1993): every conditional
is conjugate, so the sampler is a few vectorised NumPy steps per iteration. The sign is fixed by
the reference indicator's loading (positive); the scale by the N(0, 1) prior.
Seeded (config/measurement.yaml): the same inputs give the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from analysis import config
from analysis.errors import InputError

TRANSFORMS = ("log1p", "any", "change2", "none")
TYPES = ("binary", "continuous")


@dataclass
class Fit:
    names: list[str]
    kinds: list[str]
    theta: np.ndarray  # (draws, n)
    a: np.ndarray  # (draws, J)
    b: np.ndarray  # (draws, J)
    s2: np.ndarray  # (draws, J); 1 for binary
    center: np.ndarray  # continuous indicators were standardised: mean
    scale: np.ndarray  # and sd (1 / 0 for binary)


def cfg() -> dict:
    from analysis.schemas import Measurement, validate

    c = validate("measurement", Measurement)
    where = config.config_dir() / "measurement.yaml"
    for name, spec in c.get("indicators", {}).items():
        if spec.get("type") not in TYPES:
            raise InputError(
                where, f"indicators.{name}.type", f"{spec.get('type')!r}", f"one of {TYPES}"
            )
        if spec.get("transform") not in TRANSFORMS:
            raise InputError(
                where,
                f"indicators.{name}.transform",
                f"{spec.get('transform')!r}",
                f"one of {TRANSFORMS}",
            )
    s = c["sampler"]
    if not (0 <= s["burn"] < s["iterations"]) or s["thin"] < 1:
        raise InputError(where, "sampler", "need 0 <= burn < iterations and thin >= 1", "fix it")
    if (s["iterations"] - s["burn"]) // s["thin"] < s["draws_saved"]:
        raise InputError(where, "sampler.draws_saved", "more than the kept draws", "lower it")
    return c


def indicator_matrix(panel: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The indicators, transformed, one column each (NA where the source has no value)."""
    p = panel.sort_values(["client", "year"]).reset_index(drop=True)
    out = p[["patron", "client", "year"]].copy()
    for name, s in spec.items():
        if s["column"] not in p.columns:
            raise InputError(
                config.config_dir() / "measurement.yaml",
                f"indicators.{name}.column",
                f"{s['column']!r} is not a panel column",
                "name a column of data/processed/panel.parquet",
            )
        x = pd.to_numeric(p[s["column"]], errors="coerce").astype(float)
        if s["transform"] == "log1p":
            v = np.log1p(x.clip(lower=0))
        elif s["transform"] == "any":
            v = (x >= 1).astype(float).where(x.notna())
        elif s["transform"] == "change2":
            lx = np.log1p(x.clip(lower=0))
            v = lx - lx.groupby(p.client).shift(2)
        else:
            v = x
        out[name] = v
    return out


def _trunc_normal(mean: np.ndarray, positive: np.ndarray, rng) -> np.ndarray:
    """Draws of N(mean, 1) truncated to > 0 where positive, else <= 0 (inverse-CDF method)."""
    lo = special.ndtr(-mean)  # P(z <= 0)
    u = rng.random(mean.shape)
    p = np.where(positive, lo + u * (1 - lo), u * lo)
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return mean + special.ndtri(p)


def neighbours(units: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the previous and next year of the same unit (-1 if none); rows sorted."""
    n = len(units)
    prev = np.full(n, -1)
    nxt = np.full(n, -1)
    same = (units[1:] == units[:-1]) & (years[1:] == years[:-1] + 1)
    prev[1:][same] = np.arange(n - 1)[same]
    nxt[:-1][same] = np.arange(1, n)[same]
    return prev, nxt


def _prior(theta: np.ndarray, prev: np.ndarray, nxt: np.ndarray, rho: float):
    """Conditional prior of each score given its neighbours under the stationary AR(1) prior
    theta_t = rho theta_{t-1} + sqrt(1 - rho^2) e_t (marginal N(0, 1)): precision and mean."""
    if rho == 0:
        return np.ones_like(theta), np.zeros_like(theta)
    hp, hn = prev >= 0, nxt >= 0
    tp = np.where(hp, theta[np.maximum(prev, 0)], 0.0)
    tn = np.where(hn, theta[np.maximum(nxt, 0)], 0.0)
    v = 1 - rho**2
    both = hp & hn
    prec = np.where(both, (1 + rho**2) / v, np.where(hp | hn, 1 / v, 1.0))
    mean = np.where(
        both, rho * (tp + tn) / (1 + rho**2), np.where(hp, rho * tp, np.where(hn, rho * tn, 0.0))
    )
    return prec, mean


def fit(
    Y: np.ndarray,
    kinds: list[str],
    c: dict,
    seed: int,
    prev: np.ndarray | None = None,
    nxt: np.ndarray | None = None,
) -> Fit:
    """Gibbs sampler. Y: (n, J) float with NaN for missing; prev/nxt: neighbouring years of the
    same dyad for the AR(1) smoothing prior (none: independent N(0, 1) scores)."""
    rng = np.random.default_rng(seed)
    n, J = Y.shape
    binary = np.array([k == "binary" for k in kinds])
    obs = ~np.isnan(Y)
    center = np.where(binary, 0.0, np.nanmean(np.where(obs, Y, np.nan), axis=0))
    scale = np.where(binary, 1.0, np.nanstd(np.where(obs, Y, np.nan), axis=0))
    scale = np.where(scale > 0, scale, 1.0)
    Z = np.where(obs, (Y - center) / scale, 0.0)
    pr = c["prior"]
    s = c["sampler"]
    # start: the score is the mean of the observed standardised indicators
    cnt = obs.sum(axis=1)
    theta = np.where(cnt > 0, Z.sum(axis=1) / np.maximum(cnt, 1), 0.0)
    theta = (theta - theta.mean()) / (theta.std() or 1.0)
    a, b, s2 = np.zeros(J), np.ones(J), np.ones(J)
    keep = []
    ref = c["names"].index(c["identify"]["reference"])
    rho = float(c.get("smoothing", {}).get("rho", 0.0)) if prev is not None else 0.0
    if prev is None:
        prev = nxt = np.full(n, -1)
    # checkerboard: alternate years are conditionally independent given their neighbours
    rank = np.zeros(n, dtype=int)
    for i in range(n):
        rank[i] = rank[prev[i]] + 1 if prev[i] >= 0 else 0
    halves = [rank % 2 == 0, rank % 2 == 1]
    ypos = (Y > 0.5) & obs
    for it in range(s["iterations"]):
        # 1. latent responses of the binary indicators
        m = a[binary] + np.outer(theta, b[binary])
        zb = _trunc_normal(m, ypos[:, binary], rng)
        Z[:, binary] = np.where(obs[:, binary], zb, 0.0)
        # 2. scores (likelihood x conditional prior; alternate years in turn)
        lprec = (obs * (b**2 / s2)).sum(axis=1)
        lsum = (obs * (b / s2) * (Z - a)).sum(axis=1)
        for half in halves:
            p0, m0 = _prior(theta, prev, nxt, rho)
            prec = p0 + lprec
            mean = (p0 * m0 + lsum) / prec
            draw = mean + rng.standard_normal(n) / np.sqrt(prec)
            theta = np.where(half, draw, theta)
        # 3. intercepts and loadings: conjugate normal regressions per indicator
        for j in range(J):
            o = obs[:, j]
            X = np.column_stack([np.ones(o.sum()), theta[o]])
            P0 = np.diag([1 / pr["intercept_sd"] ** 2, 1 / pr["loading_sd"] ** 2])
            Pn = P0 + X.T @ X / s2[j]
            cov = np.linalg.inv(Pn)
            mu = cov @ (X.T @ Z[o, j] / s2[j])
            a[j], b[j] = rng.multivariate_normal(mu, cov)
            if not binary[j]:
                r = Z[o, j] - a[j] - b[j] * theta[o]
                shape = pr["sigma_shape"] + o.sum() / 2
                rate = pr["sigma_scale"] + (r @ r) / 2
                s2[j] = rate / rng.gamma(shape)
        # 4. orientation: the reference indicator loads positively
        if b[ref] < 0:
            theta, b = -theta, -b
        if it >= s["burn"] and (it - s["burn"]) % s["thin"] == 0:
            keep.append((theta.copy(), a.copy(), b.copy(), s2.copy()))
    th, aa, bb, ss = (np.array(x) for x in zip(*keep, strict=True))
    return Fit(c["names"], kinds, th, aa, bb, ss, center, scale)


def loadings(f: Fit) -> pd.DataFrame:
    """Posterior loading per indicator and its share of the information about the score."""
    info = (f.b**2 / f.s2).mean(axis=0)  # Fisher information of one observation about theta
    rows = []
    for j, name in enumerate(f.names):
        rows.append(
            {
                "indicator": name,
                "type": f.kinds[j],
                "loading": float(f.b[:, j].mean()),
                "loading_ci_low": float(np.percentile(f.b[:, j], 5)),
                "loading_ci_high": float(np.percentile(f.b[:, j], 95)),
                "intercept": float(f.a[:, j].mean()),
                "residual_var": float(f.s2[:, j].mean()),
                "information_share": float(info[j] / info.sum()),
            }
        )
    return pd.DataFrame(rows)


def scores(
    frame: pd.DataFrame, f: Fit, Y: np.ndarray, n_saved: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = frame[["patron", "client", "year"]].copy()
    out["guarantee_latent"] = f.theta.mean(axis=0)
    out["guarantee_latent_se"] = f.theta.std(axis=0, ddof=1)
    out["guarantee_latent_q05"] = np.percentile(f.theta, 5, axis=0)
    out["guarantee_latent_q95"] = np.percentile(f.theta, 95, axis=0)
    out["latent_n_indicators"] = (~np.isnan(Y)).sum(axis=1)
    for name in f.names:
        out[f"latent_in_{name}"] = frame[name].to_numpy()
    idx = np.linspace(0, len(f.theta) - 1, n_saved).round().astype(int)
    d = pd.DataFrame(f.theta[idx].T, columns=[f"draw_{k:03d}" for k in range(len(idx))])
    draws = pd.concat([frame[["patron", "client", "year"]].reset_index(drop=True), d], axis=1)
    return out, draws


def run(panel: pd.DataFrame) -> dict[str, pd.DataFrame]:
    c = cfg()
    spec = c["indicators"]
    c["names"] = list(spec)
    frame = indicator_matrix(panel, spec)
    Y = frame[c["names"]].to_numpy(dtype=float)
    kinds = [spec[k]["type"] for k in c["names"]]
    prev, nxt = neighbours(frame.client.to_numpy(), frame.year.to_numpy())
    f = fit(Y, kinds, c, int(c["seed"]), prev, nxt)
    sc, draws = scores(frame, f, Y, int(c["sampler"]["draws_saved"]))
    return {"scores": sc, "draws": draws, "loadings": loadings(f)}


def simulate(
    n: int, kinds: list[str], rng, missing: float = 0.2
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Data from the model with known scores (for the recovery check)."""
    J = len(kinds)
    theta = rng.standard_normal(n)
    a = rng.uniform(-1, 1, J)
    b = rng.uniform(0.7, 1.5, J)
    Y = (
        a
        + np.outer(theta, b)
        + rng.standard_normal((n, J)) * np.where(np.array(kinds) == "binary", 1.0, 0.8)
    )
    for j, k in enumerate(kinds):
        if k == "binary":
            Y[:, j] = (Y[:, j] > 0).astype(float)
    Y[rng.random((n, J)) < missing] = np.nan
    return Y, theta, a, b

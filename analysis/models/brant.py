"""Brant (1990) test of the parallel-lines (proportional odds) assumption.

Fits the J-1 binary logits of 1(y > j), then a Wald test that their slopes are equal, using the
cross-covariances of the binary estimates (Brant 1990, Biometrics 46: 1171-78), as R's `brant`
package does. Validated against R `brant::brant(polr(Smoke ~ Sex + Height, MASS::survey))`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.discrete.discrete_model import Logit
from statsmodels.tools.tools import add_constant


def brant(y: pd.Series, X: pd.DataFrame) -> dict:
    """y: ordered categorical (or integer codes 0..J-1); X: regressors without a constant."""
    codes = y.cat.codes.to_numpy() if hasattr(y, "cat") else np.asarray(y, dtype=int)
    levels = np.unique(codes)
    Xc = add_constant(X.to_numpy(dtype=float), has_constant="add")
    n, p = Xc.shape
    k = p - 1
    betas, pis, converged = [], [], []
    for j in levels[:-1]:
        z = (codes > j).astype(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reported below as `binary_fits_converged`
            r = Logit(z, Xc).fit(disp=False, maxiter=200)
        betas.append(r.params)
        pis.append(r.predict(Xc))
        converged.append(bool(r.mle_retvals.get("converged", True)))
    m = len(betas)
    V = np.zeros((m * p, m * p))
    for a in range(m):
        for b in range(a, m):
            wa = pis[a] * (1 - pis[a])
            wb = pis[b] * (1 - pis[b])
            # E[1(y>a)1(y>b)] = pi_b for b >= a, so cov weight = pi_b - pi_a * pi_b
            wab = pis[b] - pis[a] * pis[b]
            Ia = np.linalg.inv((Xc * wa[:, None]).T @ Xc)
            Ib = np.linalg.inv((Xc * wb[:, None]).T @ Xc)
            C = Ia @ ((Xc * wab[:, None]).T @ Xc) @ Ib
            V[a * p : (a + 1) * p, b * p : (b + 1) * p] = C
            V[b * p : (b + 1) * p, a * p : (a + 1) * p] = C.T
    slope = [i for i in range(m * p) if i % p != 0]
    bstar = np.concatenate(betas)[slope]
    Vs = V[np.ix_(slope, slope)]
    D = np.zeros(((m - 1) * k, m * k))
    for r in range(m - 1):
        D[r * k : (r + 1) * k, :k] = np.eye(k)
        D[r * k : (r + 1) * k, (r + 1) * k : (r + 2) * k] = -np.eye(k)
    d = D @ bstar
    stat = float(d @ np.linalg.solve(D @ Vs @ D.T, d))
    df = (m - 1) * k
    per_var = {}
    for i, name in enumerate(X.columns):
        idx = [r * k + i for r in range(m - 1)]
        Di = D[idx]
        di = Di @ bstar
        si = float(di @ np.linalg.solve(Di @ Vs @ Di.T, di))
        per_var[name] = {"chi2": si, "df": m - 1, "p": float(stats.chi2.sf(si, m - 1))}
    return {
        "chi2": stat,
        "df": df,
        "p": float(stats.chi2.sf(stat, df)),
        "by_variable": per_var,
        "binary_fits_converged": converged,
    }

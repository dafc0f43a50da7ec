"""Ordered logit/probit with analytic score, per-observation score and Hessian.

statsmodels' `OrderedModel` differentiates its log-likelihood numerically, which makes each fit
(and a 999-replicate bootstrap) slow. This subclass keeps OrderedModel's parameterisation (slopes,
then the first cut point and the logs of the increments between cut points) and its results
classes, and supplies the exact derivatives. `tests/test_models_reference.py` checks them against
numerical derivatives and the whole fit against Stata's `ologit` on the UCLA data.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel


def _pdf_and_slope(z: np.ndarray, link: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """F(z), f(z), f'(z) with F(+-inf) = 1/0 and f = f' = 0 there."""
    if link == "logit":
        F = 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700)))
        f = F * (1.0 - F)
        fp = f * (1.0 - 2.0 * F)
    else:
        F = stats.norm.cdf(z)
        f = stats.norm.pdf(z)
        with np.errstate(invalid="ignore"):
            fp = np.where(np.isfinite(z), -z * f, 0.0)
    return F, f, fp


class AnalyticOrderedModel(OrderedModel):
    """OrderedModel with analytic derivatives (logit or probit link)."""

    def _link(self) -> str:
        name = getattr(self.distr, "name", "")
        return "logit" if "logistic" in str(name) or self.distr is stats.logistic else "probit"

    def _pieces(self, params: np.ndarray):
        k = self.k_vars
        beta, th = params[:k], params[k:]
        cuts = np.concatenate(([th[0]], th[0] + np.cumsum(np.exp(th[1:]))))
        ncut = len(cuts)
        y = np.asarray(self.endog, dtype=int)  # 0 .. J-1
        xb = self.exog @ beta if k else np.zeros(len(y))
        upper = np.where(y < ncut, cuts[np.minimum(y, ncut - 1)], np.inf) - xb
        lower = np.where(y > 0, cuts[np.maximum(y - 1, 0)], -np.inf) - xb
        # d cut_j / d theta_m
        dcut = np.zeros((ncut, ncut))
        dcut[:, 0] = 1.0
        for j in range(1, ncut):
            dcut[j, 1 : j + 1] = np.exp(th[1 : j + 1])
        return beta, th, cuts, y, upper, lower, dcut

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        link = self._link()
        *_, upper, lower, _ = self._pieces(params)
        Fu, _, _ = _pdf_and_slope(upper, link)
        Fl, _, _ = _pdf_and_slope(lower, link)
        return np.log(np.clip(Fu - Fl, 1e-300, None))

    def _grads(self, params: np.ndarray):
        link = self._link()
        beta, th, cuts, y, upper, lower, dcut = self._pieces(params)
        Fu, fu, fpu = _pdf_and_slope(upper, link)
        Fl, fl, fpl = _pdf_and_slope(lower, link)
        P = np.clip(Fu - Fl, 1e-300, None)
        n, k, ncut = len(y), self.k_vars, len(cuts)
        Du = np.zeros((n, k + ncut))
        Dl = np.zeros((n, k + ncut))
        Du[:, :k] = -self.exog
        Dl[:, :k] = -self.exog
        has_u, has_l = y < ncut, y > 0
        Du[has_u, k:] = dcut[y[has_u]]
        Dl[has_l, k:] = dcut[y[has_l] - 1]
        Du[~has_u] = 0.0
        Dl[~has_l] = 0.0
        return fu, fl, fpu, fpl, P, Du, Dl, th, y, has_u, has_l, k, ncut

    def score_obs(self, params: np.ndarray) -> np.ndarray:
        fu, fl, _, _, P, Du, Dl, *_ = self._grads(params)
        return (fu / P)[:, None] * Du - (fl / P)[:, None] * Dl

    def score(self, params: np.ndarray) -> np.ndarray:
        return self.score_obs(params).sum(0)

    def hessian(self, params: np.ndarray) -> np.ndarray:
        fu, fl, fpu, fpl, P, Du, Dl, th, y, has_u, has_l, k, ncut = self._grads(params)
        la, lb = fu / P, -fl / P
        laa = fpu / P - la**2
        lbb = -fpl / P - lb**2
        lab = -la * lb
        H = (Du * laa[:, None]).T @ Du + (Dl * lbb[:, None]).T @ Dl
        cross = (Du * lab[:, None]).T @ Dl
        H += cross + cross.T
        # second derivatives of the cut points w.r.t. the log increments (diagonal only)
        for m in range(1, ncut):
            # cut_j depends on exp(theta_m) for j >= m
            wu = np.where(has_u & (y >= m), la, 0.0).sum()
            wl = np.where(has_l & (y - 1 >= m), lb, 0.0).sum()
            H[k + m, k + m] += np.exp(th[m]) * (wu + wl)
        return H


def natural_cutpoints(params: np.ndarray, cov: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut points on the natural scale and their delta-method standard errors."""
    th = np.asarray(params[k:], dtype=float)
    cuts = np.concatenate(([th[0]], th[0] + np.cumsum(np.exp(th[1:]))))
    J = np.zeros((len(th), len(th)))
    J[:, 0] = 1.0
    for j in range(1, len(th)):
        J[j, 1 : j + 1] = np.exp(th[1 : j + 1])
    V = J @ np.asarray(cov)[k:, k:] @ J.T
    return cuts, np.sqrt(np.diag(V))

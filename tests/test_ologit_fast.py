"""AnalyticOrderedModel's fast construction (no SVD constant check) against statsmodels' own
construction, its constant check against statsmodels' decision, and the vectorised derivatives
against numerical ones and statsmodels' likelihood (no timing here: see `make bench`)."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
import statsmodels
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.numdiff import approx_fprime, approx_hess
from statsmodels.tools.sm_exceptions import MissingDataError

from analysis.models.ologit import AnalyticOrderedModel

XS = ["pared", "public", "gpa"]


@pytest.fixture(scope="module")
def ucla() -> pd.DataFrame:
    df = pd.read_csv(f"{statsmodels.__path__[0]}/miscmodels/tests/results/ologit_ucla.csv")
    df["apply"] = pd.Categorical(
        df["apply"], categories=["unlikely", "somewhat likely", "very likely"], ordered=True
    )
    return df


def _fit(y, X, construction, link="logit", **kw):
    m = AnalyticOrderedModel(y, X, distr=link, construction=construction)
    return m, m.fit(method="newton", disp=False, **kw)


@pytest.mark.parametrize("link", ["logit", "probit"])
@pytest.mark.parametrize("cov", ["nonrobust", "cluster"])
def test_fast_construction_gives_statsmodels_fit(ucla, link, cov):
    kw = {"cov_type": "cluster", "cov_kwds": {"groups": np.arange(len(ucla)) % 25}}
    kw = kw if cov == "cluster" else {}
    ma, a = _fit(ucla["apply"], ucla[XS], "fast", link, **kw)
    mb, b = _fit(ucla["apply"], ucla[XS], "statsmodels", link, **kw)
    assert (
        list(a.params.index)
        == list(b.params.index)
        == [*XS, "unlikely/somewhat likely", "somewhat likely/very likely"]
    )
    np.testing.assert_allclose(a.params, b.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.bse, b.bse, rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.cov_params(), b.cov_params(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.pvalues, b.pvalues, rtol=0, atol=1e-10)
    assert a.llf == pytest.approx(b.llf, abs=1e-10)
    assert a.nobs == b.nobs == len(ucla)
    assert a.mle_retvals["converged"] and b.mle_retvals["converged"]
    assert a.mle_retvals["iterations"] == b.mle_retvals["iterations"] <= 10
    for attr in ("k_constant", "df_model", "df_resid", "k_levels", "k_vars", "nobs"):
        assert getattr(ma, attr) == getattr(mb, attr), attr
    # the start values and the log-likelihood are statsmodels' own
    sm = OrderedModel(ucla["apply"], ucla[XS], distr=link)
    assert np.array_equal(ma.start_params, sm.start_params)
    assert a.llf == pytest.approx(sm.loglike(a.params.to_numpy()), abs=1e-10)


def test_newton_uses_the_analytic_hessian(ucla):
    m, r = _fit(ucla["apply"], ucla[XS], "fast")
    p = r.params.to_numpy()
    # statsmodels' Newton minimises -loglike / nobs; its last Hessian is the model's own
    np.testing.assert_allclose(r.mle_retvals["Hessian"], -m.hessian(p) / m.nobs, rtol=1e-12)
    np.testing.assert_allclose(r.cov_params(), np.linalg.inv(-m.hessian(p)), rtol=1e-8)


def test_cached_pieces_follow_the_parameters(ucla):
    m = AnalyticOrderedModel(ucla["apply"], ucla[XS], distr="logit")
    p1, p2 = np.array([1.0, -0.1, 0.6, 2.0, 0.7]), np.array([0.3, 0.4, -0.2, 0.5, -0.3])
    fresh = {p.tobytes(): (m.score(p).copy(), m.hessian(p).copy(), m.loglike(p)) for p in (p1, p2)}
    for p in (p1, p2, p2, p1, p2):
        s, h, ll = fresh[p.tobytes()]
        assert np.array_equal(m.score(p), s) and np.array_equal(m.hessian(p), h)
        assert m.loglike(p) == ll
    np.testing.assert_allclose(m.score_obs(p1).sum(0), m.score(p1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_four_categories_and_offset_against_numerical(link):
    rng = np.random.default_rng(7)
    n = 300
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 2, n).astype(float)})
    off = rng.normal(scale=0.3, size=n)
    lat = X.to_numpy() @ [0.8, -0.5] + off + rng.logistic(size=n)
    y = pd.Series(pd.Categorical(np.digitize(lat, [-1.5, 0.0, 1.5]), ordered=True))
    m = AnalyticOrderedModel(y, X, offset=off, distr=link)
    sm = OrderedModel(y, X, offset=off, distr=link)
    for p in (np.array([0.5, -0.2, -1.0, 0.3, 0.1]), np.array([-0.3, 0.6, -2.0, 0.8, -0.4])):
        assert m.loglike(p) == pytest.approx(sm.loglike(p), rel=1e-12)
        g = approx_fprime(p, m.loglike, centered=True)
        np.testing.assert_allclose(m.score(p), g, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(m.hessian(p), approx_hess(p, m.loglike), rtol=1e-4, atol=1e-3)
        num_obs = approx_fprime(p, m.loglikeobs, centered=True)
        np.testing.assert_allclose(m.score_obs(p), num_obs, rtol=1e-5, atol=1e-6)


def _designs() -> dict[str, tuple[pd.DataFrame, bool]]:
    """Designs and whether statsmodels' OrderedModel refuses them for a constant."""
    rng = np.random.default_rng(3)
    n = 200
    x = rng.normal(size=n)
    d = rng.integers(0, 2, n).astype(float)
    near = 1.0 - d
    near[0] = 0.0  # d + near = 1 except in one row
    return {
        "plain": (pd.DataFrame({"x": x, "d": d}), False),
        "column of ones": (pd.DataFrame({"x": x, "one": 1.0}), True),
        "constant 3.5": (pd.DataFrame({"c": 3.5, "x": x}), True),
        "dummies adding to one": (pd.DataFrame({"x": x, "d": d, "e": 1.0 - d}), True),
        "affine in x": (pd.DataFrame({"x": x, "z": 3.0 - 2.0 * x}), True),
        "dummies adding to one but one row": (pd.DataFrame({"d": d, "e": near, "x": x}), False),
        "zero column": (pd.DataFrame({"x": x, "zero": 0.0}), False),
        "collinear, no constant": (pd.DataFrame({"x": x, "d": d, "s": x + d}), False),
        "very different scales": (pd.DataFrame({"x": 1e7 * x, "d": 1e-3 * d}), False),
    }


@pytest.mark.parametrize("name", list(_designs()))
def test_constant_check_is_statsmodels_decision(name):
    X, refused = _designs()[name]
    y = pd.Series(pd.Categorical(np.arange(len(X)) % 3, ordered=True))
    for construction in ("fast", "statsmodels"):
        if refused:
            with pytest.raises(ValueError, match="There should not be a constant in the model"):
                AnalyticOrderedModel(y, X, distr="logit", construction=construction)
        else:
            AnalyticOrderedModel(y, X, distr="logit", construction=construction)
    with pytest.raises(ValueError) if refused else contextlib.nullcontext():
        OrderedModel(y, X, distr="logit")


def test_constant_error_names_the_column():
    X = pd.DataFrame({"x": np.linspace(0, 1, 30), "intercept": 1.0})
    y = pd.Series(pd.Categorical(np.arange(30) % 3, ordered=True))
    with pytest.raises(ValueError, match=r"column 'intercept' \(always 1\) is constant"):
        AnalyticOrderedModel(y, X, distr="logit")
    X = X.assign(intercept=np.where(np.arange(30) % 2, 1.0, 0.0), other=np.arange(30) % 2 == 0)
    with pytest.raises(ValueError, match="implicit intercept"):
        AnalyticOrderedModel(y, X.astype(float), distr="logit")


def test_missing_values_and_bad_arguments():
    y = pd.Series(pd.Categorical(np.arange(30) % 3, ordered=True))
    X = pd.DataFrame({"x": np.linspace(0, 1, 30)})
    X.loc[3, "x"] = np.nan
    for construction in ("fast", "statsmodels"):
        with pytest.raises(MissingDataError):
            AnalyticOrderedModel(y, X, distr="logit", construction=construction)
    with pytest.raises(ValueError, match="construction must be"):
        AnalyticOrderedModel(y, X.fillna(0.5), distr="logit", construction="quick")

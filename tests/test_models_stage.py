"""The models stage on the real panel (bootstrap shortened): contents of models.json, the
separation check, and byte-identical reruns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.io import sha256
from analysis.models import ordered


@pytest.mark.slow
def test_models_json_contract(modelled):
    m = json.loads((modelled / "reports" / "models.json").read_text())
    names = {e["name"] for e in m["models"]}
    for need in [
        "ologit_codebook",
        "ologit_years",
        "ologit_years_interaction",
        "oprobit_years",
        "ologit_years_no_paper_cases",
        "panel_fe_log_troops_main",
        "panel_re_log_troops_main",
        "panel_fe_dk_log_tiv_main",
    ]:
        assert need in names, need
    for e in m["models"]:
        for key in (
            "name",
            "estimator",
            "dependent",
            "regressors",
            "data",
            "n",
            "status",
            "data_sha256",
        ):
            assert key in e, (e["name"], key)
        assert sha256(modelled / e["data"]) == e["data_sha256"]
        if e["status"] == "ok" and e["name"].startswith("o"):
            assert set(e["cutpoints"]) == {"low|limited", "limited|high"}
            assert e["cutpoints"]["low|limited"]["value"] < e["cutpoints"]["limited|high"]["value"]
            for p in e["params"].values():
                assert p["ci_low"] < p["coef"] < p["ci_high"]
                assert p["odds_ratio"] == pytest.approx(np.exp(p["coef"]))
    for h in m["hypotheses"]:
        assert set(h["verdicts"]) == {"H1", "H2", "H3"}
        for v in h["verdicts"].values():
            assert v["verdict"] in {"supported", "not supported", "inconclusive"}
    fe = next(e for e in m["models"] if e["name"] == "panel_fe_log_troops_main")
    assert "hausman_fe_vs_re" in fe and fe["cluster"] == "client"
    assert "brant_ologit_years" in m["diagnostics"]


@pytest.mark.slow
def test_model_data_refits_to_the_reported_numbers(modelled):
    """Anyone can refit from reports/model_data: the file reproduces the reported coefficients."""
    from analysis.models.ologit import AnalyticOrderedModel

    m = json.loads((modelled / "reports" / "models.json").read_text())
    e = next(x for x in m["models"] if x["name"] == "ologit_years")
    d = pd.read_csv(modelled / e["data"])
    y = ordered.prepare_y(d.guarantee)
    r = AnalyticOrderedModel(y, d[e["regressors"]], distr="logit").fit(method="newton", disp=False)
    for k, v in e["params"].items():
        assert r.params[k] == pytest.approx(v["coef"], rel=1e-6)


# A rerun of the models stage giving byte-identical outputs is asserted by tests/test_kill.py:
# each kill test reruns the stage to completion and compares every output with this session's.


def test_separation_is_detected_not_fitted():
    y = pd.Series(["low"] * 10 + ["limited"] * 10 + ["high"] * 10)
    X = pd.DataFrame({"x": [0.0] * 20 + [1.0] * 10, "z": np.linspace(0, 1, 30)})  # x = 1 <=> high
    res, status = ordered.fit(y, X, None)
    assert status["status"] != "ok"
    assert any("separation" in p for p in status["problems"])


def test_verdict_rules():
    cells = ["HH", "HL", "LH", "LL"]
    point = {"HH": 0.6, "HL": 0.4, "LH": 0.35, "LL": 0.1}
    boot = np.array([[0.6, 0.4, 0.35, 0.1]] * 50) + np.linspace(-0.01, 0.01, 50)[
        :, None
    ] * np.array([1, -1, 1, -1])
    v = ordered.verdicts(point, boot, cells)
    assert (
        v["H1"]["verdict"] == "supported"
        and v["H2"]["verdict"] == "supported"
        and v["H3"]["verdict"] == "supported"
    )
    point2 = {"HH": 0.1, "HL": 0.4, "LH": 0.35, "LL": 0.6}
    boot2 = np.array([[0.1, 0.4, 0.35, 0.6]] * 50)
    assert ordered.verdicts(point2, boot2, cells)["H1"]["verdict"] == "not supported"
    assert ordered.verdicts(point, None, cells)["H1"]["verdict"] == "inconclusive"


def test_bootstrap_is_seeded_and_independent_of_workers():
    from analysis.models.bootstrap import cluster_bootstrap
    from analysis.models.ologit import AnalyticOrderedModel

    rng = np.random.default_rng(3)
    n = 600
    df = pd.DataFrame(
        {
            "client": np.repeat(np.arange(30), 20),
            "bs": rng.integers(0, 2, n).astype(float),
            "ie": rng.integers(0, 2, n).astype(float),
            "z": rng.normal(size=n),
        }
    )
    lat = 0.5 * df.bs + 0.8 * df.ie + 0.3 * df.z + rng.logistic(size=n)
    df["guarantee"] = pd.Categorical.from_codes(
        np.digitize(lat, [0.0, 1.5]), ["low", "limited", "high"], ordered=True
    )
    xs = ["bs", "ie", "z"]
    start = (
        AnalyticOrderedModel(pd.Series(df.guarantee), df[xs], distr="logit")
        .fit(method="newton", disp=False)
        .params.to_numpy()
    )
    kw = {"B": 30, "seed": 7, "link": "logit", "bs": "bs", "ie": "ie", "inter": None}
    a, _ = cluster_bootstrap(df, xs, start, n_jobs=1, **kw)
    b, _ = cluster_bootstrap(df, xs, start, n_jobs=2, **kw)
    c, _ = cluster_bootstrap(df, xs, start, n_jobs=1, **{**kw, "seed": 8})
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)

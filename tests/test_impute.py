"""Multiple imputation of unknown grades, Rubin's rules, and the power simulation of the re-test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from analysis.models import impute, retest
from tests.conftest import ROOT

# tests/results/impute_reference.txt: mice::pool.scalar(Q, U, n = 38, k = 2) and (n = Inf)
Q = [1.2, 0.8, 1.5, 1.1, 0.9]
SE = [0.40, 0.45, 0.38, 0.42, 0.41]
MICE = {"t": 0.260280000000, "df": 13.396602624380, "fmi": 0.425580745132}
MICE_INF = {"df": 33.454656000000, "fmi": 0.381673645915}


def test_rubin_matches_mice():
    r = impute.rubin(Q, SE, df_complete=36)
    assert r["estimate"] == pytest.approx(1.1)
    assert r["se"] ** 2 == pytest.approx(MICE["t"], rel=1e-12)
    assert r["df"] == pytest.approx(MICE["df"], rel=1e-10)
    assert r["fraction_missing_info"] == pytest.approx(MICE["fmi"], rel=1e-10)
    r = impute.rubin(Q, SE)
    assert r["df"] == pytest.approx(MICE_INF["df"], rel=1e-10)
    assert r["fraction_missing_info"] == pytest.approx(MICE_INF["fmi"], rel=1e-10)


def test_rubin_hand_computed_case():
    """q = 1, 2, 3 with SE 1: W = 1, B = 1, T = 1 + 4/3, Rubin df = 2 (1 + 1/(4/3))^2."""
    r = impute.rubin([1, 2, 3], [1, 1, 1])
    assert r["se"] ** 2 == pytest.approx(7 / 3)
    assert r["df"] == pytest.approx(2 * 1.75**2)
    # no between-imputation variance: the complete-data answer
    r = impute.rubin([2, 2, 2], [0.5, 0.5, 0.5], df_complete=30)
    assert r["se"] == pytest.approx(0.5) and r["lambda"] == 0
    assert r["df"] == pytest.approx(31 / 33 * 30)  # Barnard-Rubin: the complete-data df, shrunk


def _toy() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for c in range(12):
        for p in ("obama2", "trump", "biden"):
            g = {f"{k}_grade": int(rng.integers(-1, 2)) for k in impute.IND}
            rows.append({"client": f"C{c:02d}", "period": p, "track": "codebook", **g})
    d = pd.DataFrame(rows)
    for k, i in (("IE4", 3), ("IE4", 7), ("BS3", 10), ("SG3", 20)):
        d.loc[i, f"{k}_grade"] = np.nan
    return d


def test_imputations_are_seeded_and_fill_only_unknowns():
    d = _toy()
    a = impute.impute_grades(d, m=4, donors=3, seed=7)
    b = impute.impute_grades(d, m=4, donors=3, seed=7)
    c = impute.impute_grades(d, m=4, donors=3, seed=8)
    assert all(x.equals(y) for x, y in zip(a, b, strict=True))
    assert not all(x.equals(y) for x, y in zip(a, c, strict=True))
    known = d.sort_values(["client", "period"]).reset_index(drop=True)
    for x in a:
        for k in impute.IND:
            col = f"{k}_grade"
            mask = known[col].notna()
            assert (x.loc[mask, col] == known.loc[mask, col]).all()
            assert x[col].isin([-1, 0, 1]).all()
    # an imputed value comes from a donor of the same period
    i = known.index[known["IE4_grade"].isna()][0]
    donors = set(
        known.loc[(known.period == known.period[i]) & known.IE4_grade.notna(), "IE4_grade"]
    )
    assert {x.loc[i, "IE4_grade"] for x in a} <= donors


def test_bounds_set_every_unknown_code():
    rules = yaml.safe_load((ROOT / "config" / "rules.yaml").read_text())
    d = _toy()
    lo = impute.derive(d, rules, unknown_code=0)
    hi = impute.derive(d, rules, unknown_code=1)
    assert lo.loc[3, "IE4"] == 0 and hi.loc[3, "IE4"] == 1
    assert (hi.ie_met >= lo.ie_met).all() and lo.guarantee.notna().all()


def test_verdict_rule_on_given_cis():
    est = {f"{a}-{b}": 0.3 for a, b in retest.PAIRS}
    lo = {k: 0.1 for k in est}
    hi = {k: 0.5 for k in est}
    v = retest.verdicts_from(est, lo, hi)
    # every difference positive: H1 and H3 (all +) hold, H2 (all -) is contradicted
    assert v["H1"]["verdict"] == "supported" and v["H3"]["verdict"] == "supported"
    assert v["H2"]["verdict"] == "not supported"
    lo = {k: -0.1 for k in est}
    assert retest.verdicts_from(est, lo, hi)["H1"]["verdict"] == "inconclusive"


@pytest.mark.slow
def test_power_simulation_recovers_its_size_and_power():
    """A large, balanced design where the normal approximation holds: at delta = 0 the rule's
    one-sided rejection rate of P(HH) - P(LL) is its nominal 2.5 %, and at delta > 0 the simulated
    power equals the normal-approximation power computed from the replicates' own spread, both
    within Monte Carlo error."""
    rng = np.random.default_rng(1)
    G, m = 120, 6
    client = np.repeat([f"A{i:03d}" for i in range(G)], m)
    bs = np.repeat(rng.integers(0, 2, G), m).astype(float)
    ie = rng.integers(0, 2, G * m).astype(float)
    d = pd.DataFrame(
        {"client": client, "bs_high": bs, "ie_high": ie, "bs_x_ie": bs * ie, "guarantee": "limited"}
    )
    xs = ["bs_high", "ie_high", "bs_x_ie"]
    cfg = {
        "power": {"deltas": [0.0, 0.2], "reps": 300, "target": 0.8, "seed": 5},
        "firth": {"maxiter": 100, "tol": 1e-9},
        "primary": {"level": 0.95},
        "bootstrap": {"n_jobs": 1},
    }
    theta = np.array([0.0, 0.0, 0.0, -1.0, 1.0])
    out = retest.power(d, xs, theta, cfg, (0, 1, 2))
    tab = out["table"]
    reps = tab.reps_used.to_numpy()
    size = tab["power_HH-LL"].iloc[0]
    assert abs(size - 0.025) < 3 * np.sqrt(0.025 * 0.975 / reps[0])
    p1 = tab["power_HH-LL"].iloc[1]
    assert 0.2 < p1 < 0.95  # an informative point on the curve
    # the stated power against the normal approximation from the replicates' own spread
    sd = tab["sd_estimate_HH-LL"].iloc[1]
    crit = stats.t.ppf(0.975, G - 1)
    expected = stats.norm.sf(crit - tab["true_HH-LL"].iloc[1] / sd)
    assert abs(p1 - expected) < 3 * np.sqrt(expected * (1 - expected) / reps[1]) + 0.02
    # in this large design the CR1 SE is close to the estimates' spread
    assert tab["mean_se_HH-LL"].iloc[1] == pytest.approx(sd, rel=0.15)
    assert 0.0 <= out["critical_values_size_adjusted"]["HH-LL"] < 3.5

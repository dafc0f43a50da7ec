"""The pre-specified re-test of H1-H3 (config/models.yaml `primary`, issue 12).

Expert track: the Firth-penalised cumulative logit of the codebook v2 guarantee level on
bs_high, ie_high, their product and the controls, on every imputed data set (`imputation`), with
the leave-one-ally-out jackknife (CR3) covariance of the coefficients and of the cell
probabilities, combined by Rubin's rules with Barnard-Rubin degrees of freedom (complete-data
df = G - 1). Then: the worst- and best-case bounds (unknown codes all 0 / all 1), complete cases,
the out-of-sample test on the four paper cases, and the power of the verdict rule.

Measured track: two-way FE OLS of the latent guarantee score on the lagged rule-coded
willingness, CR2 covariance with t(G - 1), refitted on posterior draws of the score (Rubin).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats

from analysis.models import firth, impute
from analysis.models.ologit import _pdf_and_slope
from analysis.models.ordered import DIFFS, LEVELS, difference_state, hypothesis_verdict

CELLS = ["HH", "HL", "LH", "LL"]
CELL_VALUES = {"HH": (1, 1), "HL": (1, 0), "LH": (0, 1), "LL": (0, 0)}
PAIRS = list(dict.fromkeys((a, b) for diffs in DIFFS.values() for a, b, _ in diffs))


def _codes(s: pd.Series) -> np.ndarray:
    return pd.Categorical(s, categories=LEVELS, ordered=True).codes.astype(int)


def cell_p_high(theta: np.ndarray, X: np.ndarray, pos: tuple[int, int, int | None], link: str):
    """Average predicted P(high) with (bs, ie) set to each cell (other regressors as observed),
    and its gradient with respect to theta (natural cut points)."""
    k = X.shape[1]
    beta, top = theta[:k], theta[-1]
    ib, ii, iint = pos
    p, grad = np.zeros(4), np.zeros((4, len(theta)))
    for j, c in enumerate(CELLS):
        b, i = CELL_VALUES[c]
        Z = X.copy()
        Z[:, ib], Z[:, ii] = b, i
        if iint is not None:
            Z[:, iint] = b * i
        F, f, _ = _pdf_and_slope(top - Z @ beta, link)
        p[j] = np.mean(1 - F)
        grad[j, :k] = (f[:, None] * Z).mean(0)
        grad[j, -1] = -f.mean()
    return p, grad


def diff_matrix() -> np.ndarray:
    D = np.zeros((len(PAIRS), 4))
    for r, (a, b) in enumerate(PAIRS):
        D[r, CELLS.index(a)], D[r, CELLS.index(b)] = 1, -1
    return D


def verdicts_from(est: dict, lo: dict, hi: dict) -> dict:
    """The verdict rule of config/models.yaml applied to differences with given CIs."""
    out = {}
    for h, diffs in DIFFS.items():
        items, states = [], []
        for a, b, sign in diffs:
            key = f"{a}-{b}"
            L, U = lo[key], hi[key]
            states.append(difference_state(L, U, sign))
            items.append(
                {
                    "difference": f"P({a}) - P({b})",
                    "key": key,
                    "expected_sign": "+" if sign > 0 else "-",
                    "estimate": est[key],
                    "ci_low": L,
                    "ci_high": U,
                    "state": states[-1],
                }
            )
        out[h] = {"verdict": hypothesis_verdict(states), "differences": items}
    return out


# ---------------------------------------------------------------------------------------------
# expert track


def _fit(d: pd.DataFrame, xs: list[str], fc: dict, start=None) -> firth.FirthResult:
    return firth.fit(
        _codes(d.guarantee), d[xs], xs, maxiter=fc["maxiter"], tol=fc["tol"], start=start, J=3
    )


def _pos(xs: list[str], bs: str, ie: str, inter: str | None) -> tuple[int, int, int | None]:
    return xs.index(bs), xs.index(ie), (xs.index(inter) if inter in xs else None)


def jackknife_fit(d: pd.DataFrame, xs: list[str], fc: dict, pos) -> dict:
    """Firth fit, cell P(high), and the leave-one-ally-out jackknife (CR3) covariance of
    (coefficients, cut points, cell probabilities): ((G-1)/G) sum (v_g - mean v)(v_g - mean v)'."""
    X = d[xs].to_numpy(float)
    res = _fit(d, xs, fc)
    p, _ = cell_p_high(res.params, X, pos, "logit")
    full = np.concatenate([res.params, p])
    clients = sorted(d.client.unique())
    reps = []
    for c in clients:
        s = d[d.client != c]
        r = _fit(s, xs, fc, start=res.params)
        ps, _ = cell_p_high(r.params, s[xs].to_numpy(float), pos, "logit")
        reps.append(np.concatenate([r.params, ps]))
    R = np.array(reps)
    G = len(clients)
    dev = R - R.mean(0)
    V = (G - 1) / G * dev.T @ dev
    return {"res": res, "vec": full, "cov": V, "G": G, "converged": res.converged}


def _summ(fits: list[dict], xs: list[str], level: float) -> dict:
    """Rubin-combine coefficients and cell differences over the imputations."""
    G = fits[0]["G"]
    k = len(xs)
    P = len(fits[0]["res"].params)
    D = diff_matrix()
    coefs = {}
    for j, name in enumerate(xs):
        r = impute.rubin(
            [f["vec"][j] for f in fits], [np.sqrt(f["cov"][j, j]) for f in fits], G - 1
        )
        lo, hi = impute.rubin_ci(r, level)
        t = r["estimate"] / r["se"] if r["se"] > 0 else np.nan
        r |= {
            "ci_low": lo,
            "ci_high": hi,
            "p": float(2 * stats.t.sf(abs(t), r["df"])),
            "odds_ratio": float(np.exp(r["estimate"])),
            "or_ci_low": float(np.exp(lo)),
            "or_ci_high": float(np.exp(hi)),
        }
        coefs[name] = r
    cells = {}
    for j, c in enumerate(CELLS):
        r = impute.rubin(
            [f["vec"][P + j] for f in fits], [np.sqrt(f["cov"][P + j, P + j]) for f in fits], G - 1
        )
        lo, hi = impute.rubin_ci(r, level)
        cells[c] = r | {"ci_low": float(max(lo, 0.0)), "ci_high": float(min(hi, 1.0))}
    diffs, est, los, his = {}, {}, {}, {}
    for r_i, (a, b) in enumerate(PAIRS):
        vals = [D[r_i] @ f["vec"][P:] for f in fits]
        ses = [np.sqrt(D[r_i] @ f["cov"][P:, P:] @ D[r_i]) for f in fits]
        r = impute.rubin(vals, ses, G - 1)
        lo, hi = impute.rubin_ci(r, level)
        key = f"{a}-{b}"
        diffs[key] = r | {"ci_low": lo, "ci_high": hi}
        est[key], los[key], his[key] = r["estimate"], lo, hi
    return {
        "coefficients": coefs,
        "cells": cells,
        "differences": diffs,
        "verdicts": verdicts_from(est, los, his),
        "n": int(fits[0]["res"].n),
        "n_clusters": G,
        "k": k,
        "converged_all": bool(all(f["converged"] for f in fits)),
        "theta_mean": np.mean([f["vec"][:P] for f in fits], axis=0).tolist(),
    }


def _jk_job(d, xs, fc, pos):
    return jackknife_fit(d, xs, fc, pos)


def expert(
    samples: list[pd.DataFrame],
    xs: list[str],
    cfg: dict,
    pos,
    label: str,
) -> dict:
    """The expert primary on a list of completed samples (one = no imputation)."""
    fc = cfg["firth"]
    fits = Parallel(n_jobs=cfg["bootstrap"]["n_jobs"])(
        delayed(_jk_job)(s.dropna(subset=["guarantee", *xs]), xs, fc, pos) for s in samples
    )
    out = _summ(fits, xs, cfg["primary"]["level"])
    out["label"] = label
    out["m"] = len(samples)
    return out


def out_of_sample(samples: list[pd.DataFrame], xs: list[str], cfg: dict) -> dict:
    """Refit without the paper clients; predict their level in the configured period."""
    oos = cfg["primary"]["out_of_sample"]
    cases = cfg["robustness"]["paper_cases"]
    fc = cfg["firth"]
    probs = {c: np.zeros(3) for c in cases}
    n_train = None
    for s in samples:
        s = s.dropna(subset=["guarantee", *xs])
        train = s[~s.client.isin(cases)]
        n_train = len(train)
        r = _fit(train, xs, fc)
        beta, cuts = r.params[: len(xs)], r.params[len(xs) :]
        for c in cases:
            row = s[(s.client == c) & (s.period == oos["period"])]
            if row.empty:
                continue
            xb = float(row[xs].to_numpy(float)[0] @ beta)
            F = 1 / (1 + np.exp(-(cuts - xb)))
            probs[c] += np.array([F[0], F[1] - F[0], 1 - F[1]]) / len(samples)
    rows = []
    for c in cases:
        pred = LEVELS[int(np.argmax(probs[c]))]
        rows.append(
            {
                "client": c,
                "period": oos["period"],
                "paper_level": oos["paper_levels"].get(c),
                "p_low": float(probs[c][0]),
                "p_limited": float(probs[c][1]),
                "p_high": float(probs[c][2]),
                "predicted": pred,
                "match": pred == oos["paper_levels"].get(c),
            }
        )
    paper = oos["paper_levels"]
    order = {"low": 0, "limited": 1, "high": 2}
    pairs = [(a, b) for a in cases for b in cases if order[paper[a]] > order[paper[b]]]
    ph = {r["client"]: r["p_high"] for r in rows}
    return {
        "cases": rows,
        "n_train": n_train,
        "matches": int(sum(r["match"] for r in rows)),
        "ordered_pairs_right": int(sum(ph[a] > ph[b] for a, b in pairs)),
        "ordered_pairs": len(pairs),
        "note": "fitted without every period of the four clients; probabilities averaged over "
        "the imputations; predicted = the most probable level",
    }


# ---------------------------------------------------------------------------------------------
# power


def _simulate_one(seed, X, groups, theta, pos, fc, level):
    rng = np.random.default_rng(seed)
    k = X.shape[1]
    xb = X @ theta[:k]
    F = 1 / (1 + np.exp(-(theta[k:][None, :] - xb[:, None])))
    u = rng.random(len(xb))
    y = (u[:, None] > F).sum(1)
    if len(np.unique(y)) < 2:
        return None
    r = firth.fit(y, X, maxiter=fc["maxiter"], tol=1e-7, start=theta, J=3)
    if not r.converged:
        return None
    V = firth.cluster_cov(r, y, X, groups)
    p, g = cell_p_high(r.params, X, pos, "logit")
    D = diff_matrix()
    est = D @ p
    se = np.sqrt(np.einsum("ij,jk,ik->i", D @ g, V, D @ g))
    G = len(np.unique(groups))
    t = stats.t.ppf(0.5 + level / 2, G - 1)
    return est, est - t * se, est + t * se, est / se


def _simulate_chunk(seeds, *args):
    return [_simulate_one(s, *args) for s in seeds]


def power(sample: pd.DataFrame, xs: list[str], theta_fit: np.ndarray, cfg: dict, pos) -> dict:
    """Power of the verdict rule for each difference and hypothesis, by simulation from the fitted
    primary with bs = ie = delta and no interaction (config/models.yaml `power`)."""
    pc, fc = cfg["power"], cfg["firth"]
    level = cfg["primary"]["level"]
    d = sample.dropna(subset=["guarantee", *xs])
    X = d[xs].to_numpy(float)
    groups = pd.factorize(d.client)[0]
    ib, ii, iint = pos
    seeds = np.random.SeedSequence(pc["seed"]).spawn(len(pc["deltas"]))
    D = diff_matrix()
    rows, all_t = [], []
    for delta, ss in zip(pc["deltas"], seeds, strict=True):
        th = theta_fit.copy()
        th[ib], th[ii] = delta, delta
        if iint is not None:
            th[iint] = 0.0
        ptrue, _ = cell_p_high(th, X, pos, "logit")
        true = D @ ptrue
        kids = ss.spawn(pc["reps"])
        nj = cfg["bootstrap"]["n_jobs"]
        chunks = [kids[i::nj] for i in range(nj)]
        parts = Parallel(n_jobs=nj)(
            delayed(_simulate_chunk)(c, X, groups, th, pos, fc, level) for c in chunks
        )
        # back in replicate order, whatever the number of workers
        ordered_sims = [None] * len(kids)
        for i, part in enumerate(parts):
            ordered_sims[i::nj] = part
        sims = [s for s in ordered_sims if s is not None]
        holds, tstat = {}, {}
        for r_i, (a, b) in enumerate(PAIRS):
            sign = _sign(a, b)
            h = [(s[1][r_i] > 0) if sign > 0 else (s[2][r_i] < 0) for s in sims]
            holds[f"{a}-{b}"] = np.array(h)
            tstat[f"{a}-{b}"] = np.array([sign * s[3][r_i] for s in sims])
        all_t.append(tstat)
        row = {"delta": delta, "reps_used": len(sims), "reps": pc["reps"]}
        for r_i, (a, b) in enumerate(PAIRS):
            key = f"{a}-{b}"
            row[f"true_{key}"] = float(true[r_i])
            row[f"power_{key}"] = float(holds[key].mean()) if len(sims) else np.nan
            # the estimates' spread across replicates against the mean CR1 SE: a ratio below 1
            # is why the rule over-rejects at delta = 0
            est_r = np.array([s_[0][r_i] for s_ in sims])
            with np.errstate(divide="ignore", invalid="ignore"):  # a 0/0 replicate is NaN
                se_r = est_r / np.array([s_[3][r_i] for s_ in sims])
            row[f"sd_estimate_{key}"] = float(np.std(est_r, ddof=1)) if len(sims) > 1 else np.nan
            row[f"mean_se_{key}"] = float(np.nanmean(se_r)) if len(sims) else np.nan
        for h, diffs in DIFFS.items():
            allh = np.all([holds[f"{a}-{b}"] for a, b, _ in diffs], axis=0)
            row[f"power_{h}"] = float(allh.mean()) if len(sims) else np.nan
        rows.append(row)
    tab = pd.DataFrame(rows)
    # Size-adjusted power (amendment 2026-12-01, config/models.yaml `amendments`): at delta = 0
    # every difference is 0, so the upper (1 + level)/2 quantile of the signed t statistics
    # there is the critical value that gives the rule its nominal size in this design.
    j0 = pc["deltas"].index(0.0) if 0.0 in pc["deltas"] else None
    crit = {}
    if j0 is not None:
        for a, b in PAIRS:
            key = f"{a}-{b}"
            t0 = all_t[j0][key]
            t0 = t0[np.isfinite(t0)]
            crit[key] = float(np.quantile(t0, 0.5 + level / 2)) if len(t0) else np.nan
            tab[f"size_adjusted_power_{key}"] = [
                float(np.mean(np.nan_to_num(ts[key], nan=-np.inf) > crit[key])) for ts in all_t
            ]
        for h, diffs in DIFFS.items():
            tab[f"size_adjusted_power_{h}"] = [
                float(
                    np.mean(
                        np.all(
                            [
                                np.nan_to_num(ts[f"{a}-{b}"], nan=-np.inf) > crit[f"{a}-{b}"]
                                for a, b, _ in diffs
                            ],
                            axis=0,
                        )
                    )
                )
                for ts in all_t
            ]
    mde, mde_adj = {}, {}
    for a, b in PAIRS:
        key = f"{a}-{b}"
        mde[key] = _mde(tab, f"power_{key}", f"true_{key}", pc["target"])
        if crit:
            mde_adj[key] = _mde(tab, f"size_adjusted_power_{key}", f"true_{key}", pc["target"])
    for h, diffs in DIFFS.items():
        # the hypothesis' detectable size: its smallest true difference at the delta where the
        # power to support the whole hypothesis reaches the target
        keys = [f"true_{a}-{b}" for a, b, _ in diffs]
        tab[f"true_min_{h}"] = tab[keys].abs().min(axis=1)
        mde[h] = _mde(tab, f"power_{h}", f"true_min_{h}", pc["target"])
        if crit:
            mde_adj[h] = _mde(tab, f"size_adjusted_power_{h}", f"true_min_{h}", pc["target"])
    size = (
        {k: float(tab[f"power_{k}"].iloc[j0]) for k in mde}  # the rule's rejection rate under 0
        if j0 is not None
        else {}
    )
    return {
        "table": tab,
        "mde": mde,
        "mde_size_adjusted": mde_adj,
        "critical_values_size_adjusted": crit,
        "rejection_at_delta_0": size,
        "nominal_one_sided": (1 - level) / 2,
        "target": pc["target"],
        "reps": pc["reps"],
        "design": {"n": len(d), "clusters": int(d.client.nunique())},
        "inference": "Firth fit per replicate; CR1 cluster covariance, delta method, t(G - 1)",
    }


def _sign(a: str, b: str) -> int:
    return next(sg for diffs in DIFFS.values() for x, y_, sg in diffs if (x, y_) == (a, b))


def _mde(tab: pd.DataFrame, pcol: str, tcol: str, target: float) -> dict:
    """Smallest |true difference| with power >= target, linear between grid points."""
    t = tab.sort_values("delta")
    pw, tr = t[pcol].to_numpy(), t[tcol].abs().to_numpy()
    for j in range(len(pw)):
        if pw[j] >= target:
            if j == 0:
                return {
                    "difference": float(tr[0]),
                    "delta": float(t.delta.iloc[0]),
                    "reached": True,
                }
            w = (target - pw[j - 1]) / (pw[j] - pw[j - 1])
            return {
                "difference": float(tr[j - 1] + w * (tr[j] - tr[j - 1])),
                "delta": float(t.delta.iloc[j - 1] + w * (t.delta.iloc[j] - t.delta.iloc[j - 1])),
                "reached": True,
            }
    return {"difference": None, "delta": None, "reached": False, "max_power": float(np.nanmax(pw))}


# ---------------------------------------------------------------------------------------------
# Firth beside every ordered MLE, and every codebook model on the imputations


def firth_summary(d: pd.DataFrame, xs: list[str], cfg: dict, link: str = "logit") -> dict:
    """The penalised estimate of an ordered model on its own estimation sample: model-based and
    CR1 cluster SEs, Wald CIs with t(G - 1) on the cluster SE, profile CIs where configured."""
    fc = cfg["firth"]
    level = cfg["primary"]["level"]
    y = _codes(d.guarantee)
    if len(d) == 0 or len(np.unique(y)) < 2:
        return {"status": "not estimable", "problems": ["fewer than two outcome levels"]}
    r = firth.fit(y, d[xs], xs, link=link, maxiter=fc["maxiter"], tol=fc["tol"], J=3)
    G = int(d.client.nunique())
    Vc = firth.cluster_cov(r, y, d[xs], d.client)
    t = stats.t.ppf(0.5 + level / 2, G - 1)
    params = {}
    for j, name in enumerate(xs):
        b, se, sec = float(r.params[j]), float(r.bse[j]), float(np.sqrt(Vc[j, j]))
        params[name] = {
            "coef": b,
            "se": se,
            "se_cluster": sec,
            "p_cluster_t": float(2 * stats.t.sf(abs(b / sec), G - 1)) if sec > 0 else None,
            "ci_low": b - t * sec,
            "ci_high": b + t * sec,
            "odds_ratio": float(np.exp(b)),
            "or_ci_low": float(np.exp(b - t * sec)),
            "or_ci_high": float(np.exp(b + t * sec)),
        }
    prof = [x for x in fc["profile_ci"] if x in xs]
    if prof and r.converged:
        for name, ci in firth.profile_ci(r, y, d[xs], prof, level).items():
            params[name]["profile_ci_low"] = ci["ci_low"]
            params[name]["profile_ci_high"] = ci["ci_high"]
    cuts = {
        f"{LEVELS[j]}|{LEVELS[j + 1]}": {"value": float(c), "se": float(r.bse[len(xs) + j])}
        for j, c in enumerate(r.params[len(xs) :])
    }
    return {
        "estimator": f"ordered {link}, Jeffreys-prior penalised likelihood (Firth type; "
        "analysis/models/firth.py)",
        "status": "ok" if r.converged else "did not converge",
        "params": params,
        "cutpoints": cuts,
        "llf": r.llf,
        "llf_penalised": r.llf_penalised,
        "iterations": r.n_iter,
        "max_abs_penalised_score": r.max_abs_score,
        "inference": f"CR1 cluster (client) SEs, Wald CIs with t({G - 1})",
    }


def _cr1_fit(d: pd.DataFrame, xs: list[str], fc: dict):
    y = _codes(d.guarantee)
    r = firth.fit(y, d[xs], xs, maxiter=fc["maxiter"], tol=fc["tol"], J=3)
    V = firth.cluster_cov(r, y, d[xs], d.client)
    return r.params[: len(xs)], np.sqrt(np.diag(V))[: len(xs)], r.converged


def firth_mi(samples: list[pd.DataFrame], xs: list[str], cfg: dict) -> dict:
    """One codebook model on every imputed data set (Firth, CR1), combined by Rubin's rules."""
    fc, level = cfg["firth"], cfg["primary"]["level"]
    fits = [_cr1_fit(s.dropna(subset=["guarantee", *xs]), xs, fc) for s in samples]
    G = int(samples[0].client.nunique())
    out = {}
    for j, name in enumerate(xs):
        r = impute.rubin([f[0][j] for f in fits], [f[1][j] for f in fits], G - 1)
        lo, hi = impute.rubin_ci(r, level)
        out[name] = r | {"ci_low": lo, "ci_high": hi}
    return {
        "estimator": "Firth ordered logit on each imputed data set, CR1 cluster SEs, Rubin's rules",
        "m": len(samples),
        "n": int(len(samples[0].dropna(subset=["guarantee", *xs]))),
        "converged_all": bool(all(f[2] for f in fits)),
        "params": out,
    }


# ---------------------------------------------------------------------------------------------
# measured track


def _cell_vector(a: str, b: str, k: int, pos: tuple[int, int, int]) -> np.ndarray:
    """c such that c'beta = E[y | cell a] - E[y | cell b] in a linear model with bs, ie, bs*ie."""
    c = np.zeros(k)
    for cell, sign in ((a, 1.0), (b, -1.0)):
        bs, ie = CELL_VALUES[cell]
        c[pos[0]] += sign * bs
        c[pos[1]] += sign * ie
        c[pos[2]] += sign * bs * ie
    return c


def measured(d: pd.DataFrame, dep: str, draws: list[str], xs: list[str], cfg: dict) -> dict:
    """Two-way FE of the latent score on the lagged willingness, CR2 with t(G - 1), on the
    posterior mean and on each posterior draw (Rubin, Barnard-Rubin df with G - 1)."""
    from analysis.models import fewcluster

    level = cfg["primary"]["level"]
    target = cfg["power"]["target"]
    pos = (xs.index("L_bs_high"), xs.index("L_ie_high"), xs.index("L_bs_x_ie"))
    d = d.dropna(subset=[dep, *xs, *draws])
    point = fewcluster.cr2_panel_fe(d, dep, xs, "client", "year")
    if point.absorbed:
        return {"status": "not estimable", "absorbed": point.absorbed}
    tt = point.t_test(level)
    names, fits, G = fewcluster.cr2_panel_fe_many(d, draws, xs, "client", "year")
    coefs = {}
    for j, x in enumerate(xs):
        r = impute.rubin([f[0][j] for f in fits], [np.sqrt(f[1][j, j]) for f in fits], G - 1)
        lo, hi = impute.rubin_ci(r, level)
        t = r["estimate"] / r["se"]
        coefs[x] = r | {
            "ci_low": lo,
            "ci_high": hi,
            "p": float(2 * stats.t.sf(abs(t), r["df"])),
            "posterior_mean_fit": {
                "coef": float(point.params.iloc[j]),
                "se_cr2": float(point.se.iloc[j]),
                "p_t": float(tt["p"].iloc[j]),
                "df_satterthwaite": float(point.df_satterthwaite.iloc[j]),
            },
        }
    diffs, est, los, his = {}, {}, {}, {}
    for a, b in PAIRS:
        c = _cell_vector(a, b, len(xs), pos)
        vals = [float(c @ f[0]) for f in fits]
        ses = [float(np.sqrt(c @ f[1] @ c)) for f in fits]
        r = impute.rubin(vals, ses, G - 1)
        lo, hi = impute.rubin_ci(r, level)
        q = stats.t.ppf(0.5 + level / 2, r["df"]) + stats.t.ppf(target, r["df"])
        key = f"{a}-{b}"
        diffs[key] = r | {"ci_low": lo, "ci_high": hi, "mde": float(q * r["se"])}
        est[key], los[key], his[key] = r["estimate"], lo, hi
    sd = float(d[dep].std())
    return {
        "status": "ok",
        "n": int(point.nobs),
        "n_clusters": G,
        "m": len(draws),
        "coefficients": coefs,
        "differences": diffs,
        "verdicts": verdicts_from(est, los, his),
        "dependent_sd": sd,
        "power_note": f"mde = (t(0.975, df) + t({target}, df)) x Rubin SE: the smallest difference in "
        "the mean latent score the rule detects with the target power (analytic, t reference)",
    }

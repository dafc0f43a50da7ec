"""The `models` stage: ordered logit (codebook dyad-periods; rule-coded dyad-years), panel models,
hypothesis quantities with a cluster bootstrap, diagnostics and robustness -> reports/models.json.

Each model writes its exact estimation sample to reports/model_data/<name>.csv and records the
sample's sha256, so anyone can refit it in R or Stata.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats

from analysis import config, io, schemas
from analysis.coding import measured_levels, year_codes
from analysis.errors import InputError
from analysis.io import csv_bytes, write_files_together
from analysis.models import data as mdata
from analysis.models import descriptive, fewcluster, gologit, impute, ordered, retest
from analysis.models import panel as pmod
from analysis.models.bootstrap import CELLS, cluster_bootstrap
from analysis.models.brant import brant
from analysis.models.ologit import AnalyticOrderedModel


class Registry:
    """Every output of the stage is kept in memory and written at the end as one unit
    (analysis.io.write_files_together): a stage killed or failing midway leaves the previous
    outputs as they were, never a mix."""

    def __init__(self) -> None:
        self.models: list[dict] = []
        self.out = config.reports_dir() / "model_data"
        self.files: dict = {}

    def save_data(self, name: str, df: pd.DataFrame) -> tuple[str, str]:
        path = self.out / f"{name}.csv"
        data = csv_bytes(df.reset_index(drop=False) if isinstance(df.index, pd.MultiIndex) else df)
        self.files[path] = data
        return f"reports/model_data/{name}.csv", hashlib.sha256(data).hexdigest()

    def save_table(self, rel: str, df: pd.DataFrame) -> str:
        self.files[config.reports_dir() / rel] = csv_bytes(df)
        return f"reports/{rel}"

    def add(self, entry: dict) -> dict:
        self.models.append(entry)
        return entry


def ologit_entry(
    reg: Registry,
    name: str,
    df: pd.DataFrame,
    xs: list[str],
    cfg: dict,
    link: str | None = None,
    note: str = "",
    mi: list[pd.DataFrame] | None = None,
) -> tuple[dict, object, pd.DataFrame]:
    o = cfg["ordered"]
    link = link or o["link"]
    d = df.dropna(subset=["guarantee", *xs]).reset_index(drop=True)
    path, digest = reg.save_data(
        name, d[["client", *([c for c in ("period", "year") if c in d]), "guarantee", *xs]]
    )
    res, status = ordered.fit(
        d.guarantee, d[xs], d.client, link, o["method"], o["maxiter"], cfg["separation"]
    )
    entry = {
        "name": name,
        "estimator": f"ordered {link} (statsmodels OrderedModel, analytic derivatives)",
        "dependent": "guarantee (low < limited < high)",
        "regressors": xs,
        "cluster": "client",
        "data": path,
        "data_sha256": digest,
        "n": len(d),
        "n_clusters": int(d.client.nunique()),
        "note": note,
        **status,
    }
    if res is not None:
        entry.update(ordered.summarize(res, d[xs]))
    if res is not None and entry["status"] == "ok" and name in cfg["few_cluster"]["models"]:
        entry["few_cluster"] = few_cluster_ordered(d, xs, res, cfg, link)
    # the penalised estimate beside the MLE, on the same sample and with the same link
    entry["firth"] = retest.firth_summary(d, xs, cfg, link)
    if mi is not None:  # a codebook model: unknown grades imputed, not dropped
        entry["mi_firth"] = retest.firth_mi(mi, xs, cfg)
    return reg.add(entry), res, d


def gologit_entry(
    reg: Registry, base: str, d: pd.DataFrame, xs: list[str], br: dict, cfg: dict
) -> dict | None:
    """Partial proportional odds where the Brant test rejects (config/models.yaml gologit)."""
    gc = cfg["gologit"]
    if base not in gc["models"]:
        return None
    free = gologit.free_by_brant(br, gc["free_if_brant_p_below"])
    name = f"gologit_{base.removeprefix('ologit_')}"
    if not free:
        return reg.add({"name": name, "status": "not needed", "note": "Brant rejects no regressor"})
    g = gologit.fit_gologit(ordered.prepare_y(d.guarantee), d[xs], free, groups=d.client)
    path, digest = reg.save_data(name, d[["client", "year", "guarantee", *xs]])
    G = int(d.client.nunique())
    params = {}
    for n in g["names"]:
        b, se = float(g["params"][n]), float(g["bse_cluster"][n])
        params[n] = {"coef": b, "se": se, "p": float(2 * stats.norm.sf(abs(b / se)))}
    return reg.add(
        {
            "name": name,
            "estimator": "generalized ordered logit, partial proportional odds "
            "(analysis/models/gologit.py, checked against R ordinal::clm nominal= and VGAM)",
            "base_model": base,
            "free": free,
            "free_rule": f"per-variable Brant p < {gc['free_if_brant_p_below']}",
            "dependent": "guarantee (low < limited < high)",
            "regressors": xs,
            "cluster": "client",
            "n": int(g["n"]),
            "n_clusters": G,
            "data": path,
            "data_sha256": digest,
            "params": params,
            "llf": float(g["llf"]),
            "lr_test_vs_parallel": g["lr_test"],
            "n_nonpositive": int(g["n_nonpositive"]),
            "status": "ok" if g["converged"] else "did not converge",
        }
    )


def few_cluster_ordered(d: pd.DataFrame, xs: list[str], res, cfg: dict, link: str) -> dict:
    """CR3 (leave-one-ally-out jackknife) SEs with t(G - 1), and wild score cluster bootstrap
    p-values, beside the CR1 sandwich of an ordered MLE."""
    fc = cfg["few_cluster"]
    y = ordered.prepare_y(d.guarantee)
    X = d[xs].astype(float)
    start = res.params.to_numpy()

    def fit_fn(sub: pd.DataFrame) -> np.ndarray:
        m = AnalyticOrderedModel(
            ordered.prepare_y(sub.guarantee), sub[xs].astype(float), distr=link
        )
        p, ok = fewcluster.newton(m, start)
        return p if ok else np.full(len(start), np.nan)

    V, _ = fewcluster.cr3_jackknife(fit_fn, d, d.client.to_numpy(), full=start)
    G = int(d.client.nunique())
    k = len(xs)
    tt = fewcluster.t_test(start[:k], np.sqrt(np.diag(V))[:k], G)
    tests = [x for x in xs[:2]] + [x for x in xs if "_x_" in x]
    seeds = np.random.SeedSequence(cfg["seed"]).spawn(len(tests))
    wild = {}
    for x, ss in zip(tests, seeds, strict=True):
        w = fewcluster.wild_score_bootstrap(
            lambda yy, XX: AnalyticOrderedModel(yy, XX, distr=link),
            y,
            X,
            d.client.to_numpy(),
            xs.index(x),
            fc["wild_B"],
            ss,
            fc["wild_weights"],
            start=start,
        )
        wild[x] = {k_: w[k_] for k_ in ("statistic", "p_value", "p_asymptotic", "B", "weights")}
    return {
        "G": G,
        "cr3": {
            x: {
                "se": float(np.sqrt(V[j, j])),
                "p_t": float(tt["p"][j]),
                "ci_low": float(tt["ci_low"][j]),
                "ci_high": float(tt["ci_high"][j]),
            }
            for j, x in enumerate(xs)
        },
        "wild_score": wild,
        "note": f"CR3: leave-one-ally-out jackknife (MacKinnon, Nielsen & Webb 2023 CV3), t({G - 1}); "
        "wild: Kline & Santos (2012) score bootstrap, null imposed",
    }


def hypotheses(
    reg: Registry,
    name: str,
    res,
    d: pd.DataFrame,
    xs: list[str],
    cfg: dict,
    bs: str,
    ie: str,
    inter: str,
    link: str,
) -> dict:
    b = cfg["bootstrap"]
    entry = next(m for m in reg.models if m["name"] == name)
    if res is None or entry["status"] != "ok":
        return {
            "model": name,
            "status": entry["status"],
            "verdicts": ordered.verdicts({c: np.nan for c in CELLS}, None, CELLS),
            "note": "the model could not be estimated reliably: every hypothesis is inconclusive",
        }
    dist = ordered.cell_distribution(res.params.to_numpy(), d[xs], bs, ie, inter, link)
    point = {c: dist[c]["high"] for c in CELLS}
    point_lim = {c: dist[c]["high"] + dist[c]["limited"] for c in CELLS}
    boot, failed = cluster_bootstrap(
        d,
        xs,
        res.params.to_numpy(),
        B=b["B"],
        seed=cfg["seed"],
        n_jobs=b["n_jobs"],
        link=link,
        bs=bs,
        ie=ie,
        inter=inter,
    )
    q = [(1 - b["level"]) / 2, 1 - (1 - b["level"]) / 2]
    lo, hi = np.quantile(boot, q, axis=0) if len(boot) else (np.full(8, np.nan),) * 2
    cells = {
        c: {
            "p_high": point[c],
            "ci_low": float(lo[i]),
            "ci_high": float(hi[i]),
            "p_limited_or_high": point_lim[c],
            "ci_low_limited_or_high": float(lo[4 + i]),
            "ci_high_limited_or_high": float(hi[4 + i]),
            "levels": _level_cis(dist[c], boot, i, q),
        }
        for i, c in enumerate(CELLS)
    }
    ver = ordered.verdicts(point, boot[:, :4] if len(boot) else None, CELLS, b["level"])
    ver_lim = ordered.verdicts(point_lim, boot[:, 4:] if len(boot) else None, CELLS, b["level"])
    inter_p = entry["params"].get(inter)
    return {
        "model": name,
        "status": "ok",
        "cells": cells,
        "cell_distribution": dist,
        "secondary_verdicts_p_limited_or_high": {
            "note": "exploratory, added after the primary results: the same rule applied to P(limited or high)",
            "verdicts": ver_lim,
        },
        "verdicts": ver,
        "interaction": inter_p,
        "bootstrap": {
            "B": b["B"],
            "used": len(boot),
            "failed": failed,
            "seed": cfg["seed"],
            "cluster": "client",
        },
    }


def _level_cis(point: dict, boot: np.ndarray, i: int, q: list[float]) -> dict:
    """P(each guarantee level) in cell i with percentile CIs from the same bootstrap replicates:
    P(low) = 1 - P(limited or high) and P(limited) = P(limited or high) - P(high) per replicate."""
    if len(boot):
        reps = {
            "low": 1 - boot[:, 4 + i],
            "limited": boot[:, 4 + i] - boot[:, i],
            "high": boot[:, i],
        }
    out = {}
    for lev in ("low", "limited", "high"):
        lo, hi = np.quantile(reps[lev], q) if len(boot) else (np.nan, np.nan)
        out[lev] = {"p": float(point[lev]), "ci_low": float(lo), "ci_high": float(hi)}
    return out


def panel_entries(reg: Registry, pan: pd.DataFrame, cfg: dict) -> list[dict]:
    pc = cfg["panel"]
    out = []
    for spec, xs0 in (("main", pc["regressors_main"]), ("ext", pc["regressors_ext"])):
        xs = [f"L_{x}" for x in xs0]
        for dep in pc["dependents"]:
            for est in ("fe", "fe_dk", "re"):
                name = f"panel_{est}_{dep}_{spec}"
                if est == "re":
                    res, d = pmod.fit_re(pan, dep, xs)
                else:
                    res, d = pmod.fit_fe(
                        pan,
                        dep,
                        xs,
                        "kernel" if est == "fe_dk" else "clustered",
                        pc["driscoll_kraay_bandwidth"],
                    )
                path, digest = reg.save_data(name, d)
                e = {
                    "name": name,
                    "estimator": {
                        "fe": "PanelOLS two-way FE (linearmodels)",
                        "fe_dk": "PanelOLS two-way FE, Driscoll-Kraay SEs",
                        "re": "RandomEffects with year dummies (linearmodels)",
                    }[est],
                    "dependent": dep,
                    "regressors": xs,
                    "entity": "client",
                    "time": "year",
                    "cluster": "client"
                    if est != "fe_dk"
                    else f"Driscoll-Kraay (bandwidth {pc['driscoll_kraay_bandwidth']})",
                    "data": path,
                    "data_sha256": digest,
                    "n": int(res.nobs),
                    "n_entities": int(res.entity_info["total"]),
                    "params": pmod._params(res, xs),
                    "r2_within": float(getattr(res, "rsquared_within", np.nan)),
                    "status": "ok",
                }
                if est == "fe":
                    e["hausman_fe_vs_re"] = pmod.hausman(pan, dep, xs)
                    e["cr2"] = _cr2_block(pan, dep, xs, cfg)
                out.append(reg.add(e))
    return out


def _cr2_block(df: pd.DataFrame, dep: str, xs: list[str], cfg: dict) -> dict:
    """Bell-McCaffrey CR2 (ally) SEs with t(G - 1) and Satterthwaite df, beside linearmodels'."""
    r = fewcluster.cr2_panel_fe(df, dep, xs, "client", "year")
    tt = r.t_test(cfg["primary"]["level"])
    return {
        "G": r.G,
        "params": {
            x: {
                "se": float(r.se[x]),
                "p_t": float(tt.loc[x, "p"]),
                "ci_low": float(tt.loc[x, "ci_low"]),
                "ci_high": float(tt.loc[x, "ci_high"]),
                "df_satterthwaite": float(r.df_satterthwaite[x]),
            }
            for x in r.params.index
        },
        "absorbed": r.absorbed,
        "note": f"CR2 (clubSandwich's estimator, analysis/models/fewcluster.py), t({r.G - 1})",
    }


def _rubin(qs: np.ndarray, ses: np.ndarray) -> dict:
    """Rubin's rules for m estimates of one coefficient and their SEs."""
    m = len(qs)
    qbar, W, B = float(qs.mean()), float((ses**2).mean()), float(qs.var(ddof=1))
    T = W + (1 + 1 / m) * B
    dfree = (m - 1) * (1 + W / ((1 + 1 / m) * B)) ** 2 if B > 0 else float("inf")
    return {
        "coef": qbar,
        "se": float(np.sqrt(T)),
        "within_var": W,
        "between_var": B,
        "df": dfree,
        "fraction_missing_info": float((1 + 1 / m) * B / T) if T > 0 else 0.0,
        "m": m,
    }


def _draw_fit(est: str, y: str, frame: pd.DataFrame, xs: list[str], bw: int):
    """One refit of a latent-score panel model on one posterior draw (for joblib)."""
    if est == "re":
        r, _ = pmod.fit_re(frame, y, xs)
    else:
        r, _ = pmod.fit_fe(frame, y, xs, "kernel" if est == "fe_dk" else "clustered", bw)
    return {x: float(r.params[x]) for x in xs}, {x: float(r.std_errors[x]) for x in xs}


def _latent_inputs(cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The latent score (posterior mean) and the posterior draws the models use."""
    lc = cfg["latent"]
    proc = config.processed_dir()
    lat = io.read_parquet(proc / "guarantee_latent.parquet", "code")
    lat = lat[["client", "year", lc["dependent"]]]
    draws = io.read_parquet(proc / "guarantee_latent_draws.parquet", "code")
    dcols = [c for c in draws.columns if c.startswith("draw_")]
    if len(dcols) < lc["mi_draws"]:
        raise InputError(
            proc / "guarantee_latent_draws.parquet",
            "columns",
            f"{len(dcols)} draws, config/models.yaml latent.mi_draws asks {lc['mi_draws']}",
            "raise config/measurement.yaml sampler.draws_saved and rerun `make code`",
        )
    use = dcols[:: max(1, len(dcols) // lc["mi_draws"])][: lc["mi_draws"]]
    return lat, draws, use


def _draw_chunk(est: str, ys: list[str], frame: pd.DataFrame, xs: list[str], bw: int):
    return [_draw_fit(est, y, frame[["client", "year", y, *xs]], xs, bw) for y in ys]


def latent_entries(reg: Registry, pan: pd.DataFrame, cfg: dict) -> list[dict]:
    """Panel models of the latent guarantee, fitted on the posterior mean and on draws (Rubin)."""
    lc = cfg["latent"]
    lat, draws, use = _latent_inputs(cfg)
    d = pan.merge(lat, on=["client", "year"], how="left").merge(
        draws[["client", "year", *use]], on=["client", "year"], how="left"
    )
    xs = [f"L_{x}" for x in lc["regressors"]]
    dep = lc["dependent"]
    names = {
        "fe": "PanelOLS two-way FE (linearmodels)",
        "fe_dk": "PanelOLS two-way FE, Driscoll-Kraay SEs",
        "re": "RandomEffects with year dummies (linearmodels)",
    }
    bw = cfg["panel"]["driscoll_kraay_bandwidth"]

    def one(est: str, y: str, frame: pd.DataFrame):
        if est == "re":
            return pmod.fit_re(frame, y, xs)
        return pmod.fit_fe(frame, y, xs, "kernel" if est == "fe_dk" else "clustered", bw)

    out = []
    for est in lc["estimators"]:
        name = f"panel_{est}_{dep}"
        res, dd = one(est, dep, d)
        path, digest = reg.save_data(name, dd)
        point = pmod._params(res, xs)
        # one task per worker with its share of the draws (results kept in draw order)
        nj = max(1, cfg["bootstrap"]["n_jobs"])
        parts = Parallel(n_jobs=nj)(
            delayed(_draw_chunk)(est, use[i::nj], d[["client", "year", *use[i::nj], *xs]], xs, bw)
            for i in range(nj)
        )
        fits: list = [None] * len(use)
        for i, part in enumerate(parts):
            fits[i::nj] = part
        qs = {x: [f[0][x] for f in fits] for x in xs}
        ses = {x: [f[1][x] for f in fits] for x in xs}
        mi = {x: _rubin(np.array(qs[x]), np.array(ses[x])) for x in xs}
        for x in xs:
            mi[x]["se_growth"] = mi[x]["se"] / point[x]["se"] if point[x]["se"] > 0 else None
        e = {
            "name": name,
            "estimator": names[est],
            "dependent": f"{dep} (posterior mean); mi: refitted on {len(use)} posterior draws",
            "regressors": xs,
            "entity": "client",
            "time": "year",
            "cluster": "client" if est != "fe_dk" else f"Driscoll-Kraay (bandwidth {bw})",
            "data": path,
            "data_sha256": digest,
            "n": int(res.nobs),
            "n_entities": int(res.entity_info["total"]),
            "params": point,
            "mi": mi,
            "r2_within": float(getattr(res, "rsquared_within", np.nan)),
            "status": "ok",
        }
        if est == "fe":
            e["cr2"] = _cr2_block(d, dep, xs, cfg)
        out.append(reg.add(e))
    # ordered version: the score cut at pre-specified quantiles
    q = d[dep].quantile(lc["ordered_cut_quantiles"]).to_numpy()
    cut = pd.cut(d[dep], [-np.inf, *q, np.inf], labels=["low", "limited", "high"])
    od = d.assign(guarantee=cut.astype(object))
    entry, _, _ = ologit_entry(
        reg,
        f"ologit_{dep}_cut",
        od,
        xs,
        cfg,
        note=f"{dep} cut at its quantiles {lc['ordered_cut_quantiles']} (config/models.yaml latent)",
    )
    out.append(entry)
    return out


def robustness(
    reg: Registry,
    cfg: dict,
    rcfg: dict,
    years: pd.DataFrame,
    panel: pd.DataFrame,
    cb_s: pd.DataFrame,
    cb_alt: pd.DataFrame,
    ys: pd.DataFrame,
    xs_b: list[str],
    xs_a: list[str],
    mi: dict[str, list[pd.DataFrame]],
) -> dict:
    rob: dict = {}
    # IE threshold 4 (the text's "more than half")
    e, _, _ = ologit_entry(
        reg, "ologit_codebook_ie4", cb_alt, xs_a, cfg, note="IE high at >= 4 of 6", mi=mi["alt"]
    )
    rob["ie_threshold_4"] = e["name"]
    # alternative SG1 rules
    for alt in cfg["robustness"]["sg1_min_increase"]:
        params = {**rcfg["rules"], "SG1": {**rcfg["rules"]["SG1"], "min_increase": alt}}
        yc = measured_levels(year_codes(panel, params), rcfg["measured_guarantee"])
        s = mdata.year_sample(yc, panel)
        e, _, _ = ologit_entry(
            reg,
            f"ologit_years_sg1_{int(alt * 100):02d}",
            s,
            xs_b,
            cfg,
            note=f"SG1 min_increase = {alt}",
        )
        rob.setdefault("sg1_rules", []).append(e["name"])
    # probit link
    e, _, _ = ologit_entry(reg, "oprobit_years", ys, xs_b, cfg, link="probit")
    rob["probit"] = e["name"]
    # four paper cases dropped: out-of-sample test of the claim
    pc = cfg["robustness"]["paper_cases"]
    e, _, _ = ologit_entry(
        reg,
        "ologit_codebook_no_paper_cases",
        cb_s[~cb_s.client.isin(pc)],
        xs_a,
        cfg,
        note=f"{', '.join(pc)} dropped",
        mi=[s[~s.client.isin(pc)] for s in mi["main"]],
    )
    rob["paper_cases_dropped_codebook"] = e["name"]
    e, _, _ = ologit_entry(
        reg,
        "ologit_years_no_paper_cases",
        ys[~ys.client.isin(pc)],
        xs_b,
        cfg,
        note=f"{', '.join(pc)} dropped",
    )
    rob["paper_cases_dropped_years"] = e["name"]
    # leave one ally out (coefficients of the main dyad-year model)
    o = cfg["ordered"]
    loo = []
    d = ys.dropna(subset=["guarantee", *xs_b])
    for c in sorted(d.client.unique()):
        s = d[d.client != c]
        res, st = ordered.fit(
            s.guarantee, s[xs_b], None, o["link"], o["method"], o["maxiter"], cfg["separation"]
        )
        if res is not None:
            loo.append(
                {
                    "dropped": c,
                    "status": st["status"],
                    **{x: float(res.params[x]) for x in xs_b[:2]},
                }
            )
    lo = pd.DataFrame(loo)
    rob["leave_one_ally_out"] = {
        "model": "ologit_years",
        "refits": len(lo),
        **{
            x: {
                "min": float(lo[x].min()),
                "max": float(lo[x].max()),
                "sign_changes": int((np.sign(lo[x]) != np.sign(lo[x].median())).sum()),
            }
            for x in xs_b[:2]
        },
    }
    return rob


def retest_block(
    reg: Registry,
    cfg: dict,
    rcfg: dict,
    cb_rows: pd.DataFrame,
    cb_s: pd.DataFrame,
    mi_s: list[pd.DataFrame],
    panel: pd.DataFrame,
    ys: pd.DataFrame,
) -> dict:
    """The pre-specified re-test (config/models.yaml `primary`): the expert track with its
    bounds, complete cases, the out-of-sample test and the power of the verdict rule."""
    pe = cfg["primary"]["expert"]
    xs = pe["regressors"]
    pos = retest._pos(xs, "bs_high", "ie_high", "bs_x_ie")
    main = retest.expert(mi_s, xs, cfg, pos, f"multiple imputation, m = {len(mi_s)}")
    bounds = {}
    for v, label in (
        (0, "worst case: every unknown code 0"),
        (1, "best case: every unknown code 1"),
    ):
        d = mdata.codebook_sample(impute.derive(cb_rows, rcfg, unknown_code=v), panel, rcfg)
        bounds[f"unknown_{v}"] = retest.expert([d], xs, cfg, pos, label)
    complete = retest.expert([cb_s], xs, cfg, pos, "complete cases (levels unknown dropped)")
    oos = retest.out_of_sample(mi_s, xs, cfg)
    stacked = pd.concat(
        [s.assign(imputation=i + 1) for i, s in enumerate(mi_s)], ignore_index=True
    )[["imputation", "client", "period", "guarantee", *xs]]
    path, digest = reg.save_data(pe["model"], stacked)
    main |= {"data": path, "data_sha256": digest}
    # measured track: the latent score, its posterior draws, lagged rule-coded willingness
    pm = cfg["primary"]["measured"]
    lat, draws, use = _latent_inputs(cfg)
    md = ys.merge(lat, on=["client", "year"], how="left").merge(
        draws[["client", "year", *use]], on=["client", "year"], how="left"
    )
    meas = retest.measured(md, pm["dependent"], use, pm["regressors"], cfg)
    path, digest = reg.save_data(
        pm["model"],
        md.dropna(subset=[pm["dependent"], *pm["regressors"]])[
            ["client", "year", pm["dependent"], *pm["regressors"]]
        ],
    )
    meas |= {"data": path, "data_sha256": digest}
    return {
        "pre_specification": {
            k: cfg[k] for k in ("primary", "firth", "few_cluster", "gologit", "imputation", "power")
        },
        "amendments": cfg.get("amendments", []),
        "expert": {
            "model": pe["model"],
            "estimator": "Firth ordered logit; leave-one-ally-out jackknife (CR3) covariance; "
            f"Rubin's rules over {len(mi_s)} imputations (Barnard-Rubin df, complete-data df G - 1)",
            "regressors": xs,
            "primary": main,
            "sensitivity": {**bounds, "complete_cases": complete},
            "out_of_sample": oos,
            "power": "reports/simulations.json (python -m analysis simulate): simulated from "
            "this model's theta_mean on imputation 1 of its data",
        },
        "measured": {
            "model": pm["model"],
            "estimator": "two-way (ally, year) FE OLS; CR2 cluster (ally) covariance with t(G - 1); "
            f"Rubin's rules over {len(use)} posterior draws of the score",
            "regressors": pm["regressors"],
            "primary": meas,
        },
    }


def run() -> dict:
    schemas.check_stage("models")  # every config file this stage reads, before any work
    cfg = config.load_yaml("models")
    rcfg = config.load_yaml("rules")
    proc = config.processed_dir()
    panel = io.read_parquet(proc / "panel.parquet", "panel")
    periods = io.read_parquet(proc / "coded_periods.parquet", "code")
    years = io.read_parquet(proc / "coded_years.parquet", "code")
    reg = Registry()
    ctl = cfg["ordered"]["controls"]
    link = cfg["ordered"]["link"]

    # (a) codebook dyad-periods; unknown grades multiply imputed (config/models.yaml imputation)
    cb_s = mdata.codebook_sample(periods, panel, rcfg)
    cb_alt = mdata.codebook_sample(periods, panel, rcfg, ie_col="interest_exchange_alt")
    ic = cfg["imputation"]
    cb_rows = periods[periods.track == "codebook"]
    imps = [
        impute.derive(g, rcfg)
        for g in impute.impute_grades(cb_rows, ic["m"], ic["donors"], ic["seed"])
    ]
    mi = {
        "main": [mdata.codebook_sample(d, panel, rcfg) for d in imps],
        "alt": [mdata.codebook_sample(d, panel, rcfg, "interest_exchange_alt") for d in imps],
    }
    xs_a = ["bs_high", "ie_high", *ctl]
    ologit_entry(
        reg,
        "ologit_codebook",
        cb_s,
        xs_a,
        cfg,
        note="codebook dyad-periods, paper's levels",
        mi=mi["main"],
    )
    ologit_entry(
        reg,
        "ologit_codebook_counts",
        cb_s,
        ["bs_met", "ie_met", *ctl],
        cfg,
        note="indicator counts",
        mi=mi["main"],
    )
    ologit_entry(
        reg,
        "ologit_codebook_nocontrols",
        cb_s,
        ["bs_high", "ie_high"],
        cfg,
        note="no controls (controls separate the small sample)",
        mi=mi["main"],
    )
    ologit_entry(
        reg,
        "ologit_codebook_counts_nocontrols",
        cb_s,
        ["bs_met", "ie_met"],
        cfg,
        note="indicator counts, no controls",
        mi=mi["main"],
    )
    xs_ai = ["bs_high", "ie_high", "bs_x_ie", *ctl]
    _, res_ai, d_ai = ologit_entry(
        reg, "ologit_codebook_interaction", cb_s, xs_ai, cfg, mi=mi["main"]
    )

    # (b) rule-coded dyad-years, regressors lagged one year
    ys = mdata.year_sample(years, panel)
    xs_b = ["L_bs_high", "L_ie_high", *[("L_" + c if c == "log_cinc" else c) for c in ctl]]
    _, res_b, d_b = ologit_entry(
        reg,
        "ologit_years",
        ys,
        xs_b,
        cfg,
        note="rule-coded dyad-years with a defence pact; guarantee_measured",
    )
    ologit_entry(
        reg,
        "ologit_years_counts",
        ys,
        ["L_ie_count", "L_bs_high", *xs_b[2:]],
        cfg,
        note="IE as a count of measured indicators (0-3)",
    )
    xs_bi = ["L_bs_high", "L_ie_high", "L_bs_x_ie", *xs_b[2:]]
    _, res_bi, d_bi = ologit_entry(reg, "ologit_years_interaction", ys, xs_bi, cfg)

    hyp = [
        hypotheses(
            reg,
            "ologit_years_interaction",
            res_bi,
            d_bi,
            xs_bi,
            cfg,
            "L_bs_high",
            "L_ie_high",
            "L_bs_x_ie",
            link,
        ),
        hypotheses(
            reg,
            "ologit_codebook_interaction",
            res_ai,
            d_ai,
            xs_ai,
            cfg,
            "bs_high",
            "ie_high",
            "bs_x_ie",
            link,
        ),
    ]

    # diagnostics
    diag = {}
    yrs_pact = years.merge(
        panel[["client", "year", "defense_pact"]], on=["client", "year"], how="left"
    )
    diag["prediction_check"] = descriptive.checks(periods, yrs_pact)
    if res_b is not None:
        bd = d_b.dropna(subset=xs_b)
        diag["brant_ologit_years"] = brant(ordered.prepare_y(bd.guarantee), bd[xs_b])
        gologit_entry(reg, "ologit_years", bd, xs_b, diag["brant_ologit_years"], cfg)

    pan = mdata.panel_sample(panel)
    panel_entries(reg, pan, cfg)
    latent_entries(reg, pan, cfg)
    rob = robustness(reg, cfg, rcfg, years, panel, cb_s, cb_alt, ys, xs_b, xs_a, mi)
    rt = retest_block(reg, cfg, rcfg, cb_rows, cb_s, mi["main"], panel, ys)

    out = {
        "generated_by": "python -m analysis models",
        "config": {"models": cfg, "rules_measured_guarantee": rcfg["measured_guarantee"]},
        "models": reg.models,
        "hypotheses": hyp,
        "diagnostics": diag,
        "robustness": rob,
        "retest": rt,
    }
    text = json.dumps(_clean(out), indent=2, sort_keys=False, ensure_ascii=False, default=str)
    reg.files[config.reports_dir() / "models.json"] = (text + "\n").encode("utf-8")
    write_files_together(reg.files)
    return {
        "models": len(reg.models),
        "verdicts": {h["model"]: {k: v["verdict"] for k, v in h["verdicts"].items()} for h in hyp},
    }


def _clean(o):
    """JSON-safe and stable: floats rounded to 10 significant digits, NaN -> None."""
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, (np.floating, float)):
        return None if not np.isfinite(o) else float(f"{float(o):.10g}")
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    return o

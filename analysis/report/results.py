"""Sections 5-8: regression tables, hypotheses in detail, robustness and diagnostics."""

from __future__ import annotations

import pandas as pd

from analysis.report.prov import Linker
from analysis.report.tables import Table, ordered_table, panel_table

MAIN_ORDERED = [
    "ologit_years",
    "ologit_years_counts",
    "ologit_years_interaction",
    "oprobit_years",
    "ologit_years_no_paper_cases",
]
CODEBOOK_ORDERED = [
    "ologit_codebook",
    "ologit_codebook_nocontrols",
    "ologit_codebook_counts",
    "ologit_codebook_counts_nocontrols",
    "ologit_codebook_interaction",
    "ologit_codebook_ie4",
    "ologit_codebook_no_paper_cases",
]
PLOT_MODELS = MAIN_ORDERED + ["ologit_years_sg1_00", "ologit_years_sg1_10"]
PLOT_TERMS = ["L_bs_high", "L_ie_high", "L_ie_count", "L_bs_x_ie"]


def _present(lk: Linker, names: list[str]) -> list[str]:
    have = {e["name"] for e in lk.inp.models["models"]}
    return [n for n in names if n in have]


def regression_tables(lk: Linker) -> list[Table]:
    out = [
        ordered_table(
            lk,
            _present(lk, MAIN_ORDERED),
            "ordered_dyad_years",
            "Ordered models of the measured guarantee level, rule-coded dyad-years (regressors lagged one year)",
        ),
        ordered_table(
            lk,
            _present(lk, CODEBOOK_ORDERED),
            "ordered_codebook",
            "Ordered models of the paper's guarantee level, expert-coded dyad-periods",
        ),
    ]
    for dep in lk.inp.models["config"]["models"]["panel"]["dependents"]:
        for spec in ("main", "ext"):
            out.append(panel_table(lk, dep, spec))
    return out


def odds_rows(lk: Linker) -> list[tuple[str, float, float, float]]:
    rows = []
    for n in _present(lk, PLOT_MODELS):
        e = lk.inp.model(n)
        if e["status"] != "ok" or "probit" in e["estimator"]:
            continue
        for t in PLOT_TERMS:
            if t in e["params"]:
                p = e["params"][t]
                rows.append((f"{n}: {t}", p["odds_ratio"], p["or_ci_low"], p["or_ci_high"]))
    return rows


def levels_table(lk: Linker, name: str) -> Table:
    rows = []
    for c in ("HH", "HL", "LH", "LL"):
        row = {"cell (BS, IE)": c}
        for lev in ("low", "limited", "high"):
            base = ("cells", c, "levels", lev)
            row[f"P({lev}) (95 % CI)"] = (
                f"{lk.hyp(name, *base, 'p')} ({lk.hyp(name, *base, 'ci_low')} to {lk.hyp(name, *base, 'ci_high')})"
            )
        rows.append(row)
    return Table(
        f"levels_{name}",
        f"Predicted probability of each guarantee level by cell, {name}",
        pd.DataFrame(rows),
        "Other regressors at their observed values (average over the sample); percentile CIs from the "
        "seeded cluster bootstrap (models.json: hypotheses[].bootstrap).",
        latex=True,
    )


def robustness_table(lk: Linker) -> Table:
    rob = lk.inp.models["robustness"]
    checks = [
        ("IE threshold 4 of 6 (codebook)", rob["ie_threshold_4"]),
        ("probit link", rob["probit"]),
        ("paper's four cases dropped (dyad-years)", rob["paper_cases_dropped_years"]),
        ("paper's four cases dropped (codebook)", rob["paper_cases_dropped_codebook"]),
        *[(f"SG1 rule: min. increase {int(n.split('_')[-1])} %", n) for n in rob["sg1_rules"]],
    ]
    rows = []
    for label, name in checks:
        e = lk.inp.model(name)
        p = e.get("params") or {}
        ie = "L_ie_high" if "L_ie_high" in p else "ie_high"
        bs = "L_bs_high" if "L_bs_high" in p else "bs_high"
        ok = e["status"] == "ok"
        rows.append(
            {
                "check": label,
                "model": name,
                "status": e["status"],
                "n": lk.model(name, "n", d=0),
                "IE coef (SE)": lk.coef_se(name, ie) if ok and ie in p else "",
                "BS coef (SE)": lk.coef_se(name, bs) if ok and bs in p else "",
            }
        )
    return Table(
        "robustness",
        "Robustness: the willingness coefficients under alternative choices",
        pd.DataFrame(rows),
        "Coefficients on the log-odds (probit: latent) scale. A status other than 'ok' means the model is "
        "reported, not interpreted.",
        latex=True,
    )


def robustness_text(lk: Linker) -> list[str]:
    m = lk.inp.models
    s = []
    br = m["diagnostics"].get("brant_ologit_years")
    if br:
        b = ("diagnostics", "brant_ologit_years")
        rejected = br["p"] < 0.05
        s.append(
            f"- **Parallel lines (Brant test, `ologit_years`)**: chi2({lk.mj(*b, 'df', d=0)}) = "
            f"{lk.mj(*b, 'chi2')}, p = {lk.mj(*b, 'p', d=4)}: "
            + (
                "rejected, so one index for all thresholds is an approximation; the probit link and the "
                "count specification are reported beside it, and a generalized ordered logit is future work."
                if rejected
                else "not rejected."
            )
            + (
                ""
                if all(br.get("binary_fits_converged", [True]))
                else " Not every binary logit behind the test converged ('high' is rare): indicative only."
            )
        )
    loo = m["robustness"]["leave_one_ally_out"]
    lo = ("robustness", "leave_one_ally_out")
    for t in ("L_ie_high", "L_bs_high"):
        if t in loo:
            s.append(
                f"- **Leave one ally out** ({lk.mj(*lo, 'refits', d=0)} refits of `{loo['model']}`): the {t} "
                f"coefficient ranges from {lk.mj(*lo, t, 'min')} to {lk.mj(*lo, t, 'max')}, with "
                f"{lk.mj(*lo, t, 'sign_changes', d=0)} sign changes."
            )
    for i, pc in enumerate(m["diagnostics"].get("prediction_check", [])):
        if pc.get("n"):
            b = ("diagnostics", "prediction_check", i)
            tau = (
                f"Kendall's tau-b {lk.mj(*b, 'kendall_tau_b')}"
                if pc.get("kendall_tau_b") is not None
                else "tau-b not defined"
            )
            s.append(
                f"- **The 2x2 prediction without a model** ({pc['sample']}): exact match in a share of "
                f"{lk.mj(*b, 'share_exact')} of {lk.mj(*b, 'n', d=0)} cases; {tau}."
            )
    return s

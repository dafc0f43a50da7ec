"""The pre-specified re-test of H1-H3 (models.json `retest`): its paragraphs for the answer section,
and section 10 (separation, few clusters, missing codes, the out-of-sample test, power).

Every number links to models.json, reports/power_expert.csv or reports/size_simulation.csv."""

from __future__ import annotations

import pandas as pd

from analysis.coding import levels
from analysis.report.prov import Linker
from analysis.report.tables import Table

CELL_BS_IE = {
    "HH": ("high", "high"),
    "HL": ("high", "low"),
    "LH": ("low", "high"),
    "LL": ("low", "low"),
}
STATE = {"holds": "holds", "contradicted": "contradicted", "unclear": "CI includes 0"}
FIRTH_MODELS = [
    "ologit_codebook",
    "ologit_codebook_nocontrols",
    "ologit_codebook_counts",
    "ologit_codebook_interaction",
    "ologit_codebook_ie4",
    "ologit_codebook_no_paper_cases",
    "ologit_years",
    "ologit_years_interaction",
    "oprobit_years",
    "ologit_guarantee_latent_cut",
]


def paper_implied_p_high() -> dict[str, float]:
    """P(high) in each cell under the paper's own rule (Table 3: HH -> high, LL -> low, mixed ->
    limited), taken from the coding stage's implementation of that rule."""
    return {c: float(levels.prediction(*bi) == "high") for c, bi in CELL_BS_IE.items()}


def _has(lk: Linker) -> bool:
    return "retest" in lk.inp.models


def _v(lk: Linker, *parts, d: int = 3) -> str:
    return lk.mj("retest", *parts, d=d)


def _diff_words(lk: Linker, track: str, h: str) -> str:
    ver = lk.inp.models["retest"][track]["primary"]["verdicts"][h]
    out = []
    for j, it in enumerate(ver["differences"]):
        base = (track, "primary", "verdicts", h, "differences", j)
        label = it["difference"] if track == "expert" else it["difference"].replace("P(", "E(")
        out.append(
            f"{label} = {_v(lk, *base, 'estimate')} (95 % CI {_v(lk, *base, 'ci_low')} "
            f"to {_v(lk, *base, 'ci_high')}; {STATE[it['state']]})"
        )
    return "; ".join(out)


def _implied_words(lk: Linker) -> str:
    """Whether each H1 difference's CI excludes the size the paper's own pattern implies."""
    imp = paper_implied_p_high()
    ver = lk.inp.models["retest"]["expert"]["primary"]["verdicts"]["H1"]["differences"]
    below = []
    for it in ver:
        a, b = it["key"].split("-")
        implied = imp[a] - imp[b]
        if it["ci_high"] is not None and it["ci_high"] < implied:
            below.append(f"{it['difference']} (paper: {implied:.0f})")
    if not below:
        return ""
    return (
        "The paper's own pattern (Table 3: HH high, mixed cells limited, LL low) implies a P(high) "
        "difference of 1 between HH and every other cell; the upper CI bound is below that for "
        + ", ".join(below)
        + ". So the data rule out an effect as large as the paper's deterministic pattern, while "
        "the smaller effects inside the CIs remain possible."
    )


def answer_paragraphs(lk: Linker) -> list[str]:
    if not _has(lk):
        return []
    rt = lk.inp.models["retest"]
    ex, me = rt["expert"], rt["measured"]
    p = ex["primary"]
    s = [
        "### 1.1 The pre-specified test\n",
        "Which model is primary for each track, its estimator, the missing-data method, the inference, "
        "the quantities and the verdict rule were committed to `config/models.yaml` (`primary`) before "
        "any of these fits; the amendments made since are listed in section 10.6. A hypothesis is "
        "*supported* only if every difference it implies has its whole 95 % CI on the predicted side of "
        "zero.\n",
        f"**Expert track** (`{ex['model']}`): the codebook v2 guarantee level of "
        f"{_v(lk, 'expert', 'primary', 'n', d=0)} dyad-periods ({_v(lk, 'expert', 'primary', 'n_clusters', d=0)} "
        f"allies x 3 administrations), unknown grades imputed {_v(lk, 'expert', 'primary', 'm', d=0)} times, "
        "a Firth-penalised ordered logit (finite under separation), the leave-one-ally-out jackknife "
        "(CR3) with t(G - 1), Rubin's rules. The quantity is the average predicted P(high) with burden "
        "sharing and interest exchange set to each cell.\n",
    ]
    for h in ("H1", "H2", "H3"):
        v = p["verdicts"][h]["verdict"]
        s.append(f"- **{h}: {v}**. {_diff_words(lk, 'expert', h)}.")
    s.append("")
    c = ("expert", "primary", "coefficients")
    co = p["coefficients"]
    s.append(
        f"In odds ratios: high burden sharing with low interest exchange multiplies the odds of a higher "
        f"guarantee level by {_v(lk, *c, 'bs_high', 'odds_ratio', d=1)} (95 % CI "
        f"{_v(lk, *c, 'bs_high', 'or_ci_low', d=1)} to {_v(lk, *c, 'bs_high', 'or_ci_high', d=1)}), high "
        f"interest exchange with low burden sharing by {_v(lk, *c, 'ie_high', 'odds_ratio', d=1)} "
        f"({_v(lk, *c, 'ie_high', 'or_ci_low', d=1)} to {_v(lk, *c, 'ie_high', 'or_ci_high', d=1)}); the "
        f"product term's odds ratio is {_v(lk, *c, 'bs_x_ie', 'odds_ratio', d=2)} "
        f"({_v(lk, *c, 'bs_x_ie', 'or_ci_low', d=2)} to {_v(lk, *c, 'bs_x_ie', 'or_ci_high', d=2)}). "
        + _or_words(co)
        + "\n"
    )
    imp = _implied_words(lk)
    if imp:
        s.append(imp + "\n")
    s.append(_power_words(lk))
    s.append(
        f"**Out of sample.** Fitted without every period of the four paper clients "
        f"({_v(lk, 'expert', 'out_of_sample', 'n_train', d=0)} dyad-periods), the primary model predicts the "
        f"paper's Trump-period level for {_v(lk, 'expert', 'out_of_sample', 'matches', d=0)} of the 4 cases "
        f"and orders {_v(lk, 'expert', 'out_of_sample', 'ordered_pairs_right', d=0)} of the "
        f"{_v(lk, 'expert', 'out_of_sample', 'ordered_pairs', d=0)} pairs the paper ranks by P(high) "
        "(section 10.4).\n"
    )
    if me["primary"].get("status") == "ok":
        mp = ("measured", "primary")
        s.append(
            f"**Measured track** (`{me['model']}`): the latent guarantee score of "
            f"{_v(lk, *mp, 'n', d=0)} dyad-years ({_v(lk, *mp, 'n_clusters', d=0)} allies) on the lagged "
            "rule-coded willingness, two-way fixed effects, CR2 with t(G - 1), refitted on "
            f"{_v(lk, *mp, 'm', d=0)} posterior draws of the score (Rubin). The quantities are differences "
            f"in the mean score (SD of the score: {_v(lk, *mp, 'dependent_sd', d=2)}).\n"
        )
        for h in ("H1", "H2", "H3"):
            v = me["primary"]["verdicts"][h]["verdict"]
            s.append(f"- **{h}: {v}**. {_diff_words(lk, 'measured', h)}.")
        s.append("")
        zero = all(d["ci_low"] <= 0 <= d["ci_high"] for d in me["primary"]["differences"].values())
        s.append(
            (
                "No difference is distinguishable from zero: within an ally over time, changes in its "
                "rule-coded burden sharing and interest exchange do not move its measured guarantee "
                "detectably. "
                if zero
                else ""
            )
            + "The smallest difference this design detects with 80 % power is "
            f"{_v(lk, *mp, 'differences', 'HH-LL', 'mde', d=2)} score units for E(HH) - E(LL) "
            f"(estimate {_v(lk, *mp, 'differences', 'HH-LL', 'estimate', d=2)}).\n"
        )
    return s


def _or_words(co: dict) -> str:
    """What the three odds ratios say, read off their CIs."""
    alone = [x for x in ("bs_high", "ie_high") if co[x]["or_ci_low"] > 1]
    names = {"bs_high": "burden sharing", "ie_high": "interest exchange"}
    out = []
    if alone:
        out.append(
            " and ".join(names[x] for x in alone)
            + (" each raise" if len(alone) > 1 else " raises")
            + " the odds on its own, with CIs that span orders of magnitude (few allies sit in the "
            "low cells)"
        )
    it = co["bs_x_ie"]
    if it["or_ci_high"] < 1:
        out.append("the product term is below 1: having both adds less than the two effects summed")
    elif it["or_ci_low"] > 1:
        out.append("the product term is above 1: having both adds more than the two effects summed")
    else:
        out.append("the product term's CI includes 1")
    text = "; ".join(out)
    return text[:1].upper() + text[1:] + "."


def _zero_implied(lk: Linker) -> list[str]:
    """The pre-specified differences that the paper's own pattern sets to 0 (both cells are
    expected not to get a high guarantee)."""
    imp = paper_implied_p_high()
    ver = lk.inp.models["retest"]["expert"]["primary"]["verdicts"]
    keys = dict.fromkeys(
        it["difference"]
        for h in ("H2", "H3")
        for it in ver[h]["differences"]
        if imp[it["key"].split("-")[0]] == imp[it["key"].split("-")[1]]
    )
    return list(keys)


def _power_words(lk: Linker) -> str:
    pw = lk.inp.simulations["power"]
    adj = pw.get("mde_size_adjusted", {})
    base = ("power",)
    parts = []
    for h in ("H1", "H2", "H3"):
        m = adj.get(h, pw["mde"][h])
        key = "mde_size_adjusted" if h in adj else "mde"
        if m["reached"]:
            parts.append(
                f"{h} needs its smallest P(high) difference to be at least "
                f"{lk.sim(*base, key, h, 'difference', d=2)}"
            )
        else:
            parts.append(
                f"{h} is never supported with 80 % power on the simulated grid (at most "
                f"{lk.sim(*base, key, h, 'max_power', d=2)})"
            )
    h1 = adj.get("H1", pw["mde"]["H1"])
    est = [
        d["estimate"]
        for d in lk.inp.models["retest"]["expert"]["primary"]["verdicts"]["H1"]["differences"]
    ]
    cmp = ""
    j = int(min(range(len(est)), key=lambda i: est[i]))
    low = _v(lk, "expert", "primary", "verdicts", "H1", "differences", j, "estimate", d=2)
    if h1["reached"]:
        side = "above" if min(est) >= h1["difference"] else "below"
        cmp = (
            f" H1's smallest estimated difference, {low}, is {side} that detectable size, "
            "but the primary's inference (jackknife, imputation) is wider than the simulated rule's, "
            "so H1's 'inconclusive' is a matter of precision rather than of the estimated size."
            if side == "above"
            else f" H1's smallest estimated difference, {low}, is below that size: effects as "
            "small as the estimates cannot be told from zero here."
        )
    return (
        "**Power.** Simulating from the fitted primary at this design (same allies, cells and controls; "
        "burden sharing and interest exchange each shifting the latent propensity by delta, no "
        f"interaction; {lk.sim(*base, 'reps', d=0)} replicates per delta) and applying the verdict rule "
        "with size-adjusted critical values: "
        + "; ".join(parts)
        + "."
        + cmp
        + " "
        + _zero_words(lk)
        + "(section 10.5).\n"
    )


def _zero_words(lk: Linker) -> str:
    z = _zero_implied(lk)
    if not z:
        return ""
    return (
        f"Under the paper's own pattern {', '.join(z)} "
        + ("is" if len(z) == 1 else "are")
        + " 0 (neither cell is expected to get a high guarantee), so the pre-specified P(high) "
        "quantity cannot support H2 or H3 even if the paper is right: for them 'inconclusive' says "
        "that this quantity carries no information, not that the hypotheses fail "
    )


# ---------------------------------------------------------------------------------------------
# section 10


def _firth_table(lk: Linker) -> Table:
    rows = []
    have = {e["name"]: i for i, e in enumerate(lk.inp.models["models"])}
    for name in FIRTH_MODELS:
        if name not in have or "firth" not in lk.inp.models["models"][have[name]]:
            continue
        e = lk.inp.models["models"][have[name]]
        fi = e["firth"]
        terms = [t for t in e["regressors"][:3] if t in fi.get("params", {})]
        for t in terms:
            row = {"model": f"`{name}`", "term": f"`{t}`", "n": lk.model(name, "n", d=0)}
            if e["status"] == "ok" and t in e.get("params", {}):
                row["MLE coef (CR1 SE)"] = (
                    f"{lk.param(name, t, 'coef', 2)} ({lk.param(name, t, 'se', 2)})"
                )
            else:
                row["MLE coef (CR1 SE)"] = e["status"]
            fp = ("firth", "params", t)
            row["Firth coef (CR1 SE)"] = (
                f"{lk.model(name, *fp, 'coef', d=2)} ({lk.model(name, *fp, 'se_cluster', d=2)})"
            )
            row["Firth 95 % CI, t(G-1)"] = (
                f"{lk.model(name, *fp, 'ci_low', d=2)} to {lk.model(name, *fp, 'ci_high', d=2)}"
            )
            row["Firth profile CI"] = (
                f"{lk.model(name, *fp, 'profile_ci_low', d=2)} to {lk.model(name, *fp, 'profile_ci_high', d=2)}"
                if "profile_ci_low" in fi["params"][t]
                else ""
            )
            if "mi_firth" in e:
                mp = ("mi_firth", "params", t)
                row["Firth, imputed (Rubin SE)"] = (
                    f"{lk.model(name, *mp, 'estimate', d=2)} ({lk.model(name, *mp, 'se', d=2)})"
                )
            else:
                row["Firth, imputed (Rubin SE)"] = ""
            rows.append(row)
    return Table(
        "firth_vs_mle",
        "Penalised (Firth) estimates beside the MLE: coefficients (log odds; probit: latent scale) and SEs",
        pd.DataFrame(rows),
        note="MLE: statsmodels with the CR1 cluster sandwich; 'possible separation' marks an MLE that "
        "runs off. Firth: Jeffreys-prior penalised likelihood (analysis/models/firth.py, checked against "
        "R brglm2), CR1 cluster SEs and t(G-1) Wald CIs; profile: penalised-likelihood ratio; imputed: the "
        "same model on each imputed data set, Rubin's rules.",
    )


def _cluster_table(lk: Linker) -> Table:
    rows = []
    for i, e in enumerate(lk.inp.models["models"]):
        fc = e.get("few_cluster")
        if not fc:
            continue
        for t in fc["wild_score"]:
            rows.append(
                {
                    "model": f"`{e['name']}`",
                    "term": f"`{t}`",
                    "G": lk.mj("models", i, "few_cluster", "G", d=0),
                    "coef": lk.mj("models", i, "params", t, "coef"),
                    "CR1 SE (p, normal)": f"{lk.mj('models', i, 'params', t, 'se')} "
                    f"({lk.mj('models', i, 'params', t, 'p', d=3)})",
                    "CR3 SE (p, t(G-1))": f"{lk.mj('models', i, 'few_cluster', 'cr3', t, 'se')} "
                    f"({lk.mj('models', i, 'few_cluster', 'cr3', t, 'p_t', d=3)})",
                    "wild score p": lk.mj(
                        "models", i, "few_cluster", "wild_score", t, "p_value", d=3
                    ),
                }
            )
    for i, e in enumerate(lk.inp.models["models"]):
        cr2 = e.get("cr2")
        if not cr2:
            continue
        for t in cr2["params"]:
            rows.append(
                {
                    "model": f"`{e['name']}`",
                    "term": f"`{t}`",
                    "G": lk.mj("models", i, "cr2", "G", d=0),
                    "coef": lk.mj("models", i, "params", t, "coef", d=3),
                    "CR1 SE (p, normal)": f"{lk.mj('models', i, 'params', t, 'se', d=3)} "
                    f"({lk.mj('models', i, 'params', t, 'p', d=3)})",
                    "CR3 SE (p, t(G-1))": "CR2: "
                    f"{lk.mj('models', i, 'cr2', 'params', t, 'se', d=3)} "
                    f"({lk.mj('models', i, 'cr2', 'params', t, 'p_t', d=3)})",
                    "wild score p": "",
                }
            )
    return Table(
        "few_cluster",
        "Few-cluster inference: the sandwich beside the jackknife (CR3), CR2 and the wild score bootstrap",
        pd.DataFrame(rows),
        note="Ordered models: CR1 = statsmodels' cluster sandwich with normal quantiles (the earlier "
        "default); CR3 = leave-one-ally-out jackknife, t(G-1); wild = Kline-Santos score bootstrap, null "
        "imposed, Webb weights; n/a: a leave-one-ally-out MLE did not converge (separation without that "
        "ally), so no jackknife exists for that MLE. Two-way FE panel models: linearmodels' clustered SE beside CR2 "
        "(Bell-McCaffrey, as R clubSandwich computes it), t(G-1).",
    )


def _size_table(lk: Linker) -> list:
    ss = lk.inp.extra.get("size_simulation")
    if ss is None:
        return [
            "The size simulation has not been run here (`make simulate` writes "
            "`reports/size_simulation.csv`).\n"
        ]
    rows = [
        {
            "test": ss.description.iloc[i] if "description" in ss else ss.test.iloc[i],
            "rejection rate": lk.csv("size_simulation.csv", ss, i, "rejection_rate", 3),
            "MC SE": lk.csv("size_simulation.csv", ss, i, "mc_se", 3),
            "replicates": lk.csv("size_simulation.csv", ss, i, "reps", 0),
        }
        for i in range(len(ss))
    ]
    return [
        Table(
            "size_simulation",
            f"Size of the tests at G = {int(ss.G.iloc[0])} allies under a true null (nominal "
            f"{ss.nominal.iloc[0]:g}; simulated ordered data with a cluster effect and an ally-level "
            "regressor, `make simulate`)",
            pd.DataFrame(rows),
        )
    ]


def _sensitivity_table(lk: Linker) -> Table:
    ex = lk.inp.models["retest"]["expert"]
    blocks = [("primary",)] + [("sensitivity", k) for k in ex["sensitivity"]]
    rows = []
    for b in blocks:
        node = ex
        for part in b:
            node = node[part]
        row = {
            "data": node["label"],
            "n": _v(lk, "expert", *b, "n", d=0),
            "m": _v(lk, "expert", *b, "m", d=0),
        }
        for h in ("H1", "H2", "H3"):
            row[h] = node["verdicts"][h]["verdict"]
        row["P(HH) - P(LL)"] = (
            f"{_v(lk, 'expert', *b, 'differences', 'HH-LL', 'estimate')} "
            f"({_v(lk, 'expert', *b, 'differences', 'HH-LL', 'ci_low')} to "
            f"{_v(lk, 'expert', *b, 'differences', 'HH-LL', 'ci_high')})"
        )
        row["bs_high FMI"] = _v(
            lk, "expert", *b, "coefficients", "bs_high", "fraction_missing_info", d=2
        )
        rows.append(row)
    return Table(
        "missing_codes",
        "Unknown codes: multiple imputation against the worst- and best-case bounds and complete cases "
        "(expert primary, Firth + CR3)",
        pd.DataFrame(rows),
        note="FMI: Rubin's fraction of missing information about the coefficient (0 without imputation).",
    )


def _oos_table(lk: Linker) -> Table:
    o = lk.inp.models["retest"]["expert"]["out_of_sample"]
    rows = []
    for i, c in enumerate(o["cases"]):
        base = ("expert", "out_of_sample", "cases", i)
        rows.append(
            {
                "client": c["client"],
                "paper (Tables 10-11)": c["paper_level"],
                "P(low)": _v(lk, *base, "p_low", d=2),
                "P(limited)": _v(lk, *base, "p_limited", d=2),
                "P(high)": _v(lk, *base, "p_high", d=2),
                "predicted": c["predicted"],
                "match": "yes" if c["match"] else "no",
            }
        )
    return Table(
        "out_of_sample",
        "The four paper cases predicted by the expert primary fitted without them (Trump period)",
        pd.DataFrame(rows),
        note=o["note"],
    )


def _power_table(lk: Linker) -> list:
    pw = lk.inp.extra.get("power_expert")
    if pw is None:
        return ["The power simulation has not been run here (`make simulate`).\n"]
    rel = "power_expert.csv"
    rows = []
    for i in range(len(pw)):
        r = {
            "delta": lk.csv(rel, pw, i, "delta", 1),
            "true P(HH)-P(HL)": lk.csv(rel, pw, i, "true_HH-HL", 3),
            "true P(HH)-P(LL)": lk.csv(rel, pw, i, "true_HH-LL", 3),
            "true P(LL)-P(HL)": lk.csv(rel, pw, i, "true_LL-HL", 3),
        }
        for h in ("H1", "H2", "H3"):
            r[f"power {h}"] = lk.csv(rel, pw, i, f"power_{h}", 2)
            if f"size_adjusted_power_{h}" in pw:
                r[f"size-adj. {h}"] = lk.csv(rel, pw, i, f"size_adjusted_power_{h}", 2)
        rows.append(r)
    base = ("power",)
    return [
        Table(
            "power",
            "Power of the verdict rule by simulation from the fitted expert primary (bs = ie = delta)",
            pd.DataFrame(rows),
            note="power: share of replicates in which the rule supports the hypothesis (every difference "
            "holds) with the pre-specified CR1 + t(G-1) CIs; size-adj.: with the critical values that give "
            "each difference its nominal one-sided 2.5 % at delta = 0 (amendment, section 10.6).",
        ),
        "Under a true null (delta = 0) the pre-specified rule calls P(HH) - P(LL) positive in "
        f"{lk.sim(*base, 'rejection_at_delta_0', 'HH-LL', d=3)} of the replicates against a nominal "
        f"{lk.sim(*base, 'nominal_one_sided', d=3)}, which is why the size-adjusted power is the one read "
        "in section 1.\n",
    ]


def _prespec(lk: Linker) -> list[str]:
    rt = lk.inp.models["retest"]
    out = [
        "The pre-specification is `config/models.yaml` blocks `primary`, `firth`, `few_cluster`, "
        "`gologit`, `imputation` and `power`, committed before the first of these fits (git history: "
        '"Pre-specify the re-test of H1-H3"). Amendments since then:\n'
    ]
    am = rt.get("amendments") or []
    if not am:
        out.append("- none.")
    for a in am:
        out.append(f"- {a['date']}, `{a['block']}`: {a['change']} Why: {a['reason']}")
    out.append("")
    return out


def section(lk: Linker) -> list:
    if not _has(lk):
        return []
    out: list = ["## 10. Estimation: separation, few clusters, unknown codes, power\n"]
    out.append("### 10.1 Finite estimates under separation\n")
    out.append(_firth_table(lk))
    out.append("### 10.2 Few-cluster inference\n")
    out.append(_cluster_table(lk))
    out.extend(_size_table(lk))
    out.append("### 10.3 Unknown codes\n")
    out.append(_sensitivity_table(lk))
    out.append("### 10.4 The four paper cases out of sample\n")
    out.append(_oos_table(lk))
    out.append("### 10.5 Power\n")
    out.extend(_power_table(lk))
    out.append("### 10.6 Pre-specification and amendments\n")
    out.extend(_prespec(lk))
    return out

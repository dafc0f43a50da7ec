"""Section 1, the answer first: H1-H3 and the main effects in plain words, every number linked."""

from __future__ import annotations

from analysis.report import retest_section
from analysis.report.prov import Linker

HYP_TEXT = {
    "H1": "an ally high on both burden sharing and interest exchange (cell HH) is the most likely "
    "to get a high guarantee",
    "H2": "an ally low on both (LL) is the least likely",
    "H3": "an ally high on only one (HL, LH) lies in between",
}
STATE_WORDS = {
    "holds": "holds",
    "contradicted": "contradicted",
    "unclear": "CI includes 0",
}
MAIN = "ologit_years"
INTER = "ologit_years_interaction"


def _diffs(lk: Linker, name: str, h: str, verdicts: dict) -> str:
    parts = []
    for j, d in enumerate(verdicts[h]["differences"]):
        base = ("verdicts", h, "differences", j)
        parts.append(
            f"{d['difference']} = {lk.hyp(name, *base, 'estimate')} "
            f"(95 % CI {lk.hyp(name, *base, 'ci_low')} to {lk.hyp(name, *base, 'ci_high')}; "
            f"{STATE_WORDS.get(d['state'], d['state'])})"
        )
    return "; ".join(parts)


def hypotheses(lk: Linker, name: str) -> list[str]:
    h = lk.inp.models["hypotheses"][lk.inp.hyp_index(name)]
    if h["status"] != "ok":
        return [
            f"- On `{name}` the model could not be estimated reliably ({h['status']}): "
            "H1, H2 and H3 are all **inconclusive** there."
        ]
    out = []
    for k, text in HYP_TEXT.items():
        v = h["verdicts"][k]["verdict"]
        out.append(f"- **{k}** ({text}): **{v}**. {_diffs(lk, name, k, h['verdicts'])}.")
    return out


def section(lk: Linker) -> list[str]:
    inp = lk.inp
    m = inp.model(MAIN)
    h = inp.models["hypotheses"][inp.hyp_index(INTER)]
    s = ["## 1. The answer: what holds, and how strongly\n"]
    s.append(
        "The paper (Jiang) argues that a small ally's **burden sharing** lowers the patron's cost and its "
        "**interest exchange** raises the patron's benefit, and that together they set the **security "
        "guarantee** it gets (high if both are high, low if both are low, limited in between). Here the claim "
        "is tested on all US treaty allies, not four cases. Every number below links to the model entry in "
        "`models.json`, the data cell or the codebook entry it comes from.\n"
    )
    pre = retest_section.answer_paragraphs(lk)
    if pre:
        s.extend(pre)
        s.append(
            "### 1.2 The earlier specifications, kept as robustness rows\n"
            "The models below were the report's answer before the pre-specified test; they stay as "
            "robustness rows (sections 6-9).\n"
        )
    if m["status"] == "ok":
        s.append(
            f"**{_headline(m)}** On "
            f"{lk.model(MAIN, 'n', d=0)} rule-coded US-ally dyad-years ({lk.model(MAIN, 'n_clusters', d=0)} "
            f"allies; `{MAIN}`), an ally whose UN General Assembly votes were highly aligned with the US in the "
            f"previous year has **{lk.param(MAIN, 'L_ie_high', 'odds_ratio')} times the odds** of a higher "
            f"measured guarantee level (95 % CI {lk.param(MAIN, 'L_ie_high', 'or_ci_low')} to "
            f"{lk.param(MAIN, 'L_ie_high', 'or_ci_high')}; p = {lk.param(MAIN, 'L_ie_high', 'p', -1)}). "
            f"High defence spending (BS1) has an odds ratio of {lk.param(MAIN, 'L_bs_high', 'odds_ratio')} "
            f"(95 % CI {lk.param(MAIN, 'L_bs_high', 'or_ci_low')} to {lk.param(MAIN, 'L_bs_high', 'or_ci_high')}; "
            f"p = {lk.param(MAIN, 'L_bs_high', 'p', -1)}): {_effect(m['params']['L_bs_high'])}.\n"
        )
    if h["status"] == "ok":
        B = lk.mj("config", "models", "bootstrap", "B", d=0)
        s.append(
            "**The paper's 2x2 hypotheses**, as quantities fixed before fitting (`config/models.yaml`): the "
            f"predicted probability of a *high* guarantee in each cell of `{INTER}`, compared with a {B}-replicate "
            "cluster bootstrap. A hypothesis is supported only if every difference it implies has its whole 95 % "
            "CI on the predicted side of zero.\n"
        )
        s.extend(hypotheses(lk, INTER))
        s.append("")
        cells = "; ".join(
            f"{c} {lk.hyp(INTER, 'cells', c, 'p_high')} ({lk.hyp(INTER, 'cells', c, 'ci_low')} to "
            f"{lk.hyp(INTER, 'cells', c, 'ci_high')})"
            for c in ("HH", "HL", "LH", "LL")
        )
        vs = {x["verdict"] for x in h["verdicts"].values()}
        rare = max(v["p_high"] for v in h["cells"].values()) < 0.2
        words = (
            "high guarantees are rare in the measured data, so P(high) is small in every cell"
            if rare
            else "P(high) by cell"
        )
        apart = (
            " and the cells cannot be told apart with confidence" if vs == {"inconclusive"} else ""
        )
        s.append(
            f"In words: {words} ({cells}){apart}. The BS x IE interaction is "
            f"{lk.hyp(INTER, 'interaction', 'coef', d=3)} (SE {lk.hyp(INTER, 'interaction', 'se', d=3)}, "
            f"p = {lk.hyp(INTER, 'interaction', 'p', d=-1)}): {_interaction_words(h['interaction'])}.\n"
        )
    s.append(_codebook_words(lk))
    lat = _latent(lk)
    if lat:
        s.append(lat)
    s.append(_bottom_line(lk, m, h))
    return s


def _codebook_words(lk: Linker) -> str:
    """What the expert-coded sample allows: a model if it could be estimated, else why not."""
    name = "ologit_codebook"
    cb = lk.inp.model(name)
    cp = lk.inp.coded_periods
    levels = cp[cp.track == "codebook"].guarantee.dropna()
    one_sided = len(levels) > 0 and (levels == "high").mean() > 0.8
    head = f"**Expert-coded dyad-periods.** On the {lk.model(name, 'n', d=0)} codebook dyad-periods with every input known, "
    if cb["status"] == "ok":
        text = (
            head
            + f"`{name}` gives burden sharing an odds ratio of {lk.or_ci(name, 'bs_high')} and "
            f"interest exchange {lk.or_ci(name, 'ie_high')}."
        )
    else:
        text = (
            head
            + f"the ordered model cannot be interpreted (`{name}`: {cb['status']}; "
            + "; ".join(cb.get("problems", []) or ["no detail"])
            + ")"
            + (
                ": most ally-periods are coded 'high' (see the guarantee grid in section 6)."
                if one_sided
                else "."
            )
        )
    return (
        text
        + " Without a model, the paper's 2x2 prediction matches the codebook's level in "
        + _prediction(lk)
        + ".\n"
    )


def _interaction_words(it: dict) -> str:
    if it["p"] >= 0.05:
        return "no sign that the two reinforce or offset each other"
    return "the two reinforce each other" if it["coef"] > 0 else "the two offset each other"


def _effect(p: dict) -> str:
    """Plain words for an odds ratio, read off its 95 % CI (not off the point estimate)."""
    if p["or_ci_low"] > 1:
        return "higher odds of a higher guarantee, the whole 95 % CI above 1"
    if p["or_ci_high"] < 1:
        return "lower odds of a higher guarantee, the whole 95 % CI below 1"
    return "no detectable effect, the 95 % CI includes 1"


def _headline(m: dict) -> str:
    p = m["params"]
    ie, bs = p["L_ie_high"], p["L_bs_high"]
    say = {True: "shows an effect", False: "shows no detectable effect"}
    ie_on = ie["or_ci_low"] > 1 or ie["or_ci_high"] < 1
    bs_on = bs["or_ci_low"] > 1 or bs["or_ci_high"] < 1
    return f"Interest exchange {say[ie_on]}; burden sharing {say[bs_on]}."


def _latent(lk: Linker) -> str:
    """The measured latent guarantee (FE model, Rubin-combined over posterior draws), if fitted."""
    name = "panel_fe_guarantee_latent"
    if not any(x["name"] == name for x in lk.inp.models["models"]):
        return ""
    m = lk.inp.model(name)
    parts = []
    for term, label in (
        ("L_milex_gdp", "defence spending (% of GDP)"),
        ("L_ideal_distance", "ideal-point distance to the US"),
        ("L_un_agree_us_ext", "UN agreement with the US"),
    ):
        if term not in m.get("mi", {}):
            continue
        mi = m["mi"][term]
        lo, hi = mi["coef"] - 1.96 * mi["se"], mi["coef"] + 1.96 * mi["se"]
        word = "no detectable effect" if lo <= 0 <= hi else ("higher" if lo > 0 else "lower")
        parts.append(
            f"{label} {lk.model(name, 'mi', term, 'coef', d=3)} (SE over posterior draws "
            f"{lk.model(name, 'mi', term, 'se', d=3)}: {word})"
        )
    return (
        "**The measured guarantee with its uncertainty** (section 5): in a two-way FE model of the "
        f"latent score on {lk.model(name, 'n', d=0)} dyad-years, one-year-lagged "
        + "; ".join(parts)
        + ". Measurement uncertainty is carried by refitting on posterior draws (Rubin's rules).\n"
    )


def _bottom_line(lk: Linker, m: dict, h: dict) -> str:
    """The closing sentence, assembled from the CIs, the leave-one-out range and the verdicts."""
    parts = []
    if m["status"] == "ok":
        loo = lk.inp.models["robustness"]["leave_one_ally_out"]
        for term, label in (("L_ie_high", "interest exchange"), ("L_bs_high", "burden sharing")):
            p = m["params"][term]
            eff = _effect(p)
            stable = loo.get(term, {}).get("sign_changes") == 0
            parts.append(
                f"for {label} the measured data give {eff.split(',')[0]}"
                + (" (the sign never flips when one ally is left out)" if stable else "")
            )
    if h["status"] == "ok":
        v = {k: x["verdict"] for k, x in h["verdicts"].items()}
        parts.append("the 2x2 hypotheses are " + ", ".join(f"{k} {x}" for k, x in v.items()))
    else:
        parts.append("the 2x2 hypotheses cannot be tested: the interaction model was not estimable")
    text = "; ".join(parts)
    return "**Bottom line.** " + text[:1].upper() + text[1:] + ".\n"


def _prediction(lk: Linker) -> str:
    pcs = lk.inp.models["diagnostics"].get("prediction_check", [])
    for i, pc in enumerate(pcs):
        if pc.get("n") and "codebook" in pc["sample"]:
            base = ("diagnostics", "prediction_check", i)
            return (
                f"a share of {lk.mj(*base, 'share_exact')} of {lk.mj(*base, 'n', d=0)} dyad-periods "
                f"(Kendall's tau-b {lk.mj(*base, 'kendall_tau_b')}, p = {lk.mj(*base, 'p', d=-1)})"
            )
    return "no dyad-period (no codebook sample)"

"""Report section: the measured guarantee (latent score), how it was validated, and the models
that use it. Numbers link to the code stage's CSVs and to models.json."""

from __future__ import annotations

import pandas as pd

from analysis.report.measurement import linked_rows
from analysis.report.prov import Linker
from analysis.report.tables import Table


def section(lk: Linker) -> list:
    x = lk.inp.extra
    rec, ld, ext, conv, ev = (
        x["latent_recovery"],
        x["latent_loadings"],
        x["latent_external"],
        x["latent_convergent"],
        x["latent_events"],
    )
    moved = int((ev.moved_as_expected.astype(str) == "True").sum())
    failed = [
        ev.event.iloc[i] for i in range(len(ev)) if str(ev.moved_as_expected.iloc[i]) != "True"
    ]
    top = int(ld.information_share.idxmax())
    out = [
        "## 5. The measured guarantee\n",
        "The rule-coded guarantee counts three binary indicators and misses rotational forces and every "
        "leader-level signal. The measured track therefore also carries a latent guarantee score per "
        "dyad-year, 1990-2024, from a Bayesian mixed-indicator factor model (probit for binary indicators, "
        "Gaussian for continuous ones, missing indicators left out of the likelihood; "
        "`analysis/coding/latent.py`, `config/measurement.yaml`, `docs/measured_guarantee.md`). Each score "
        "has a posterior SD, and posterior draws are carried into the models.\n",
        f"**Recovery.** On {lk.csv('latent_recovery.csv', rec, 0, 'n', 0)} simulated dyad-years with "
        f"known scores (20 % of indicators missing), the estimated scores correlate "
        f"{lk.csv('latent_recovery.csv', rec, 0, 'corr_true_estimated', 3)} with the truth and the 90 % "
        f"intervals cover {lk.csv('latent_recovery.csv', rec, 0, 'coverage_90', 3)} of the true values.\n",
        f"**Loadings.** The indicator with the largest share of the information is "
        f"`{ld.indicator.iloc[top]}` ({lk.csv('latent_loadings.csv', ld, top, 'information_share', 2)}); "
        "the share is each indicator's Fisher information about the score, b^2 / residual variance.\n",
        Table(
            "latent_loadings",
            "Measurement model: loadings (posterior mean, 90 % interval) and information shares",
            linked_rows(
                lk,
                "latent_loadings.csv",
                ld,
                {
                    "loading": ("loading", 2),
                    "5%": ("loading_ci_low", 2),
                    "95%": ("loading_ci_high", 2),
                    "residual var.": ("residual_var", 2),
                    "information share": ("information_share", 3),
                },
                ["indicator", "type"],
            ),
        ),
        "**External validity before 2011**, against published measures kept out of the model "
        "(Spearman's rho). Decision: they stay out of the model, because both end in 2010 and the score "
        "must cover 1990-2024 on one definition.\n",
        Table(
            "latent_external",
            "The latent score against Blankenship's reassurance statements and MME exercises",
            linked_rows(
                lk,
                "latent_external.csv",
                ext,
                {"n": ("n", 0), "rho": ("spearman_rho", 2), "p": ("p", -1)},
                ["measure", "scope", "years"],
            ),
        ),
        "**Convergent validity after 2013**: the period mean of the score against the codebook's grades "
        "and levels (Spearman).\n",
        Table(
            "latent_convergent",
            "The latent score against the codebook",
            linked_rows(
                lk,
                "latent_convergent.csv",
                conv,
                {"n": ("n", 0), "rho": ("spearman_rho", 2), "p": ("p", -1)},
                ["period", "codebook"],
            ),
        ),
        f"**Events.** Around {len(ev)} documented guarantee events the score moved the expected way in "
        f"{moved}"
        + (f"; it did not for {', '.join(failed)}" if failed else "")
        + ". The change is the "
        "mean score of the event year and the next minus the two years before (or the period means), "
        "with the posterior probability of the expected sign. Where the score fails, the likely reason "
        "is that the event did not (yet) change troops, arms or visits: an announced withdrawal that was "
        "never carried out, a suspended exercise, a statement.\n",
        Table(
            "latent_events",
            "The latent score around documented events",
            linked_rows(
                lk,
                "latent_events.csv",
                ev,
                {
                    "change": ("delta", 2),
                    "posterior SD": ("delta_sd", 2),
                    "P(expected sign)": ("p_expected_direction", 2),
                },
                ["event", "client", "when", "expected", "window"],
            ),
        ),
    ]
    out += models_block(lk)
    return out


def models_block(lk: Linker) -> list:
    names = [
        m["name"]
        for m in lk.inp.models["models"]
        if m["name"].startswith("panel_") and "guarantee_latent" in m["name"]
    ]
    if not names:
        return []
    rows = []
    for n in names:
        m = lk.inp.model(n)
        for term in m["regressors"]:
            rows.append(
                {
                    "model": n,
                    "term": term,
                    "coef": lk.param(n, term, "coef", 3),
                    "SE (posterior mean)": lk.param(n, term, "se", 3),
                    "SE (50 draws, Rubin)": lk.model(n, "mi", term, "se", d=3),
                    "SE growth": lk.model(n, "mi", term, "se_growth", d=2),
                }
            )
    cut = "ologit_guarantee_latent_cut"
    text = [
        "**Models of the latent score.** Two-way FE, Driscoll-Kraay and RE models of the score on lagged "
        "defence spending (% of GDP), ideal-point distance and UN agreement with the US (to 2024), "
        "dyad-years with a defence pact. Each is refitted on posterior draws of the score and combined "
        "by Rubin's rules; the SE growth is what measurement uncertainty adds.\n",
        Table(
            "latent_models", "Panel models of the latent guarantee", pd.DataFrame(rows), latex=True
        ),
    ]
    if any(m["name"] == cut for m in lk.inp.models["models"]) and lk.inp.model(cut).get("params"):
        m = lk.inp.model(cut)
        text.append(
            f"Ordered version (`{cut}`: the score cut at pre-specified terciles): odds ratios "
            + ", ".join(f"{t} {lk.or_ci(cut, t)}" for t in m["regressors"])
            + ". `guarantee_measured` models stay as robustness rows (section 9).\n"
        )
    return text

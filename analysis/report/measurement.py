"""Report section: the codebook's measurement quality (v2 grades). Reliability from the
independent double coding, the evidence audit, validity checks and the distributions.

Every number links to the CSV the code stage wrote (reports/*.csv), which is recomputed from the
committed codebook, second-coder files, adjudication log, audit results and event list.
"""

from __future__ import annotations

import pandas as pd

from analysis.report.prov import Linker
from analysis.report.tables import Table


def linked_rows(
    lk: Linker, rel: str, df: pd.DataFrame, cols: dict[str, tuple[str, int]], label: list[str]
) -> pd.DataFrame:
    """One table row per CSV row: `label` columns as text, `cols` {header: (column, decimals)} as
    numbers linked to their line and column of reports/<rel>."""
    rows = []
    for i in range(len(df)):
        r = {c: str(df.iloc[i][c]) for c in label}
        for out, (col, d) in cols.items():
            v = df.iloc[i][col]
            r[out] = "n/a" if pd.isna(v) else lk.csv(rel, df, i, col, d)
        rows.append(r)
    return pd.DataFrame(rows)


AGREEMENT_COLS = {
    "units": ("units", 0),
    "pairable": ("pairable", 0),
    "% agree": ("pct_agree", 2),
    "alpha": ("alpha", 2),
    "95% CI low": ("alpha_ci_low", 2),
    "95% CI high": ("alpha_ci_high", 2),
}
AGREEMENT_LABELS = ["measure", "what", "level"]


def reliability_block(lk: Linker) -> list:
    rel = lk.inp.extra.get("reliability")
    if rel is None:
        return [
            "No double coding is committed yet (`data/double_coding/`), so inter-coder reliability "
            "cannot be reported.\n"
        ]
    df = linked_rows(lk, "reliability.csv", rel, AGREEMENT_COLS, AGREEMENT_LABELS)
    met = rel[rel.what.isin(["grade", "level"])]
    n_goal = int(met.meets_goal.sum())
    g = rel[(rel.measure == "guarantee") & (rel.what == "level")].index[0]
    allg = rel[(rel.measure == "all indicators")].index[0]
    out = [
        "### 4.1 Reliability: independent double coding\n",
        f"A seeded, stratified sample (`config/reliability.yaml`, `data/double_coding/sample.csv`) of "
        f"{lk.csv('reliability.csv', rel, g, 'units', 0)} dyad-periods was coded a second time by a coder "
        "who saw only `docs/coding_guide.md` and the sources, never the first codes. The first coder's "
        "grades were frozen before comparison (`data/double_coding/first_grades.csv`). Krippendorff's "
        "alpha (`krippendorff` package; ordinal for grades and the guarantee level, nominal for binary "
        "codes and the two-level willingness variables) with 95 % percentile bootstrap CIs over "
        f"dyad-periods. Pooled over all indicators the grade alpha is "
        f"{lk.csv('reliability.csv', rel, allg, 'alpha', 2)}; the guarantee level's alpha is "
        f"{lk.csv('reliability.csv', rel, g, 'alpha', 2)} "
        f"({lk.csv('reliability.csv', rel, g, 'alpha_ci_low', 2)} to "
        f"{lk.csv('reliability.csv', rel, g, 'alpha_ci_high', 2)}). {n_goal} of {len(met)} grades and "
        "levels reach the goal, Krippendorff's bar for tentative conclusions (alpha of at least two "
        "thirds, `alpha_goal` in `config/reliability.yaml`); below it: "
        f"{', '.join(f'{m} ({w})' for m, w in zip(met.measure[~met.meets_goal], met.what[~met.meets_goal], strict=True)) or 'none'}. "
        "A high percent agreement with a low alpha (the interest-exchange level) is the prevalence "
        "effect: almost every unit is in one category, so chance agreement is high. Every "
        "disagreement was adjudicated with its reason in `data/double_coding/adjudication.csv`, and the "
        "codebook holds the adjudicated grades.\n",
        Table("reliability", "Inter-coder agreement per indicator and level", df, "", latex=True),
    ]
    r2 = lk.inp.extra.get("reliability_round2")
    if r2 is not None:
        d2 = linked_rows(lk, "reliability_round2.csv", r2, AGREEMENT_COLS, AGREEMENT_LABELS)
        g2 = r2[(r2.measure == "guarantee") & (r2.what == "level")].index[0]
        a2 = r2[(r2.measure == "all indicators")].index[0]
        a1 = rel[(rel.measure == "all indicators")].index[0]
        out += [
            "**Round 2, after the guide's v2.1 rulings.** The disagreements above led to rulings R1-R17 "
            "(`docs/coding_guide.md` section 6) and a consistency recode of the other dyad-periods "
            "(`data/double_coding/revision_recode.csv`). Agreement was then measured again on "
            f"{lk.csv('reliability_round2.csv', r2, g2, 'units', 0)} fresh dyad-periods "
            "(`data/double_coding/round2/`), coded blind under the revised guide: pooled grade alpha "
            f"{lk.csv('reliability_round2.csv', r2, a2, 'alpha', 2)} "
            f"({lk.csv('reliability_round2.csv', r2, a2, 'alpha_ci_low', 2)} to "
            f"{lk.csv('reliability_round2.csv', r2, a2, 'alpha_ci_high', 2)}), against "
            f"{lk.csv('reliability.csv', rel, a1, 'alpha', 2)} in round 1. With this few units the "
            "per-indicator CIs are wide; they are shown for completeness.\n",
            Table(
                "reliability_round2", "Round 2: inter-coder agreement after the v2.1 rulings", d2
            ),
        ]
    return out


def audit_block(lk: Linker) -> list:
    a = lk.inp.extra.get("audit_summary")
    if a is None:
        return ["No evidence audit is committed yet (`data/audit/results.csv`).\n"]
    idx = {m: i for i, m in enumerate(a.measure)}

    def v(m: str, d: int = 0) -> str:
        return lk.csv("audit_summary.csv", a, idx[m], "value", d)

    rows = [
        {
            "measure": a.measure.iloc[i],
            "value": lk.csv(
                "audit_summary.csv",
                a,
                i,
                "value",
                2 if a.measure.iloc[i].startswith("share") else 0,
            ),
        }
        for i in range(len(a))
    ]
    df = pd.DataFrame(rows)
    return [
        "### 4.2 Evidence audit\n",
        f"{v('items audited')} web evidence items drawn with a seed (`python -m analysis draw-audit`, "
        "`data/audit/sample.csv`) were checked by a coder who had not coded those dyads: is the fact on "
        "the cited page, on what kind of host, and does it support the grade? Share supporting their "
        f"code: {v('share supporting the code', 2)}; share on weak hosts: {v('share on weak hosts', 2)} "
        "(details: `docs/codebook_audit.md`, `data/audit/results.csv`).\n",
        Table("audit", "Evidence audit", df),
    ]


def evidence_block(lk: Linker) -> list:
    e = lk.inp.extra["evidence_quality"]
    i = len(e) - 1
    return [
        "### 4.3 Evidence by source quality\n",
        f"Across the codebook, {lk.csv('evidence_quality.csv', e, i, 'web_items', 0)} web items: "
        f"{lk.csv('evidence_quality.csv', e, i, 'official', 0)} official, "
        f"{lk.csv('evidence_quality.csv', e, i, 'reputable', 0)} reputable and "
        f"{lk.csv('evidence_quality.csv', e, i, 'weak', 0)} on weak hosts (share "
        f"{lk.csv('evidence_quality.csv', e, i, 'share_weak', 2)}; hosts classed by "
        "`config/source_hosts.yaml`). A grade resting only on weak hosts has confidence low. "
        f"{lk.csv('evidence_quality.csv', e, i, 'retrospective', 0)} items dated outside their period "
        "are marked retrospective with a reason.\n",
    ]


def validity_block(lk: Linker) -> list:
    c = lk.inp.extra["validity_convergent"]
    k = lk.inp.extra["known_groups"]
    dfc = linked_rows(
        lk,
        "validity_convergent.csv",
        c,
        {"n": ("n", 0), "Spearman rho": ("spearman_rho", 2), "p": ("p", -1)},
        ["grade", "measure", "expected_sign", "period"],
    )
    rows = []
    for i in range(len(k)):
        rows.append(
            {
                "event": k.event.iloc[i],
                "client": k.client.iloc[i],
                "period": k.period.iloc[i],
                "indicator": k.indicator.iloc[i],
                "check": k.check.iloc[i],
                "grade": "n/a"
                if pd.isna(k.grade.iloc[i])
                else lk.csv("known_groups.csv", k, i, "grade", 0),
                "passed": str(k.passed.iloc[i]),
                "source": f"[{k.when.iloc[i]}]({k.source.iloc[i]})",
            }
        )
    passed = k.passed.astype(str)  # True / False / empty (not gradable)
    n_pass = int((passed == "True").sum())
    fails = [k.event.iloc[i] for i in range(len(k)) if passed.iloc[i] == "False"]
    return [
        "### 4.4 Validity\n",
        "**Convergent.** Each grade against the measured quantity it should track (Spearman's rho, per "
        "period and pooled; `reports/validity_convergent.csv`). A grade is a judgement of the period "
        "against peers and the previous period, so moderate correlations are what a valid grade gives; "
        "a sign against expectation is a warning.\n",
        Table("validity_convergent", "Convergent validity of the grades", dfc),
        f"**Known groups.** {n_pass} of {len(k)} documented events (`data/validation/known_events.yaml`, "
        "each with its source) move the grade the way the record says"
        + (f"; not: {', '.join(fails)}" if fails else "")
        + ".\n",
        Table("known_groups", "Known-group events", pd.DataFrame(rows)),
    ]


def distribution_block(lk: Linker) -> list:
    d = lk.inp.extra["grade_distribution"]
    cells = lk.inp.extra["cells"]
    wide = d[d.variable.str.endswith("_grade") & (d.period == "all")]
    piv = wide.pivot_table(index="variable", columns="value", values="n", aggfunc="sum").fillna(0)
    piv = piv.astype(int).reset_index()
    lv = d[d.variable.isin(["guarantee", "burden_sharing", "interest_exchange"])]
    lvp = lv.pivot_table(index=["variable", "value"], columns="period", values="n", aggfunc="sum")
    lvp = lvp.fillna(0).astype(int).reset_index()
    cp = cells.pivot_table(
        index=["burden_sharing", "interest_exchange"],
        columns="guarantee",
        values="n",
        aggfunc="sum",
    )
    cp = cp.fillna(0).astype(int).reset_index()
    note = "Counts from reports/grade_distribution.csv and reports/cells.csv (all periods)."
    return [
        "### 4.5 Distributions: grades, levels and the 2x2 cells\n",
        "No target was set for these; the data decide. Grades: -1 below routine, 0 routine, +1 above "
        "routine (`docs/coding_guide.md`).\n",
        Table("grade_distribution", "Grades per indicator, all periods", piv.astype(str), note),
        Table("level_distribution", "Levels by period", lvp.astype(str), note),
        Table(
            "cells",
            "Burden sharing x interest exchange cells, by guarantee level",
            cp.astype(str),
            note,
        ),
    ]


def section(lk: Linker) -> list:
    return (
        reliability_block(lk)
        + audit_block(lk)
        + evidence_block(lk)
        + validity_block(lk)
        + distribution_block(lk)
    )

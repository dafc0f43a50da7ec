"""Sections 2-4: the data, the paper's tables reproduced, and the codebook's coverage and quality."""

from __future__ import annotations

import pandas as pd

from analysis.report.prov import Linker, link
from analysis.report.tables import Table

PAPER_CLIENTS = ["POL", "DEU", "JPN", "PHL"]
IND = ["BS1", "BS2", "BS3", "IE1", "IE2", "IE3", "IE4", "IE5", "IE6"]
SG = ["SG1", "SG2", "SG3", "SG4", "SG5"]
MEASURED_INPUTS = ["milex_gdp", "troops", "us_tiv", "un_agree_us", "ideal_distance", "defense_pact"]


def sources_table(lk: Linker) -> Table:
    rows = []
    for s in lk.inp.manifest:
        for f in s.files:
            rows.append(
                {
                    "source": s.id,
                    "publisher": s.publisher,
                    "edition": s.edition,
                    "file (sha256, first 12)": f"[{f.file}]({f.url}) ({f.sha256[:12]})",
                }
            )
    return Table(
        "sources",
        "Sources (generated from config/sources.yaml)",
        pd.DataFrame(rows),
        "Each file is fetched from the publisher's URL (or the offline mirror) and checked against its sha256.",
    )


def citations(lk: Linker) -> str:
    """The citation each publisher asks for, one per source, from the manifest."""
    return (
        "Cite the sources as their publishers ask:\n\n"
        + "\n".join(f"- **{s.id}**: {s.citation}" for s in lk.inp.manifest)
        + "\n"
    )


def coverage_table(lk: Linker) -> Table:
    meta = lk.inp.meta
    rows = []
    for col in MEASURED_INPUTS + ["cinc"]:
        c = meta["columns"].get(col, {})
        if col not in meta["coverage"]:
            continue
        rows.append(
            {
                "column": col,
                "source": str(c.get("source_id", "")).replace(" | ", " / "),
                "first year": lk.meta("coverage", col, 0),
                "last year": lk.meta("coverage", col, 1),
            }
        )
    return Table(
        "coverage",
        "Panel columns and the years they cover",
        pd.DataFrame(rows),
        "From data/processed/panel.sources.json; the data dictionary gives every column.",
    )


def tables_4_6(lk: Linker) -> Table:
    """The paper's NATO figures (June 2022 edition) side by side with the edition the pipeline
    reads, one column group per paper table, with revisions flagged."""
    pt = lk.inp.paper_tables
    src = lk.inp.meta["columns"]["milex_gdp_nato"]
    p = lk.inp.panel
    years = sorted(pt.year.unique())
    by_year: dict[int, dict[str, str]] = {int(y): {"year": str(y)} for y in years}
    spanners: dict[str, list[str]] = {}
    for (table, client), g in pt.groupby(["table", "client"], sort=True):
        cols = [f"{client} paper", f"{client} {src['source_id']}", f"{client} revision"]
        spanners[f"Table {table}: {client}"] = cols
        for i, r in g.iterrows():
            cur = p[(p.client == client) & (p.year == r.year)]
            v = None if cur.empty else cur.milex_gdp_nato.iloc[0]
            est = None if cur.empty else cur.milex_gdp_nato_estimate.iloc[0]
            if v is None or pd.isna(v):
                flag = "not in this edition"
            else:
                # revised = the newer edition prints a different two-decimal figure than the paper
                same = f"{float(v):.2f}" == f"{float(r.value):.2f}"
                flag = "same to 2 decimals" if same else "revised"
            row = by_year[int(r.year)]
            row[cols[0]] = lk.csv("../data/paper/nato_share_gdp.csv", pt, i, "value") + (
                " e" if r.estimate else ""
            )
            row[cols[1]] = lk.raw(client, int(r.year), "milex_gdp_nato", 3) + (
                " e" if est == 1 else ""
            )
            row[cols[2]] = flag
    return Table(
        "tables_4_6",
        f"Tables 4 and 6: defence spending, % of GDP (NATO): the paper (June 2022 edition) beside "
        f"{src['source_id']} ({src['edition']})",
        pd.DataFrame(list(by_year.values())),
        "e = estimate in that edition. 'revised' = the newer edition, rounded to the paper's two decimals, "
        "prints a different figure (NATO revises past years as national accounts change). Paper figures are "
        "typed in data/paper/nato_share_gdp.csv with the paper line they come from; NATO figures link to the "
        "row of the publisher's workbook.",
        latex=True,
        spanners=spanners,
    )


def tables_10_11(lk: Linker, period: str) -> Table:
    cp = lk.inp.coded_periods
    rows = []
    for ind in IND[:3] + ["burden_sharing"] + IND[3:] + ["interest_exchange"] + SG + ["guarantee"]:
        row = {"indicator": ind}
        for c in PAPER_CLIENTS:
            if ind in IND or ind in SG:
                row[c] = lk.code(c, period, ind)
            else:
                i = cp.index[(cp.client == c) & (cp.period == period) & (cp.track == "codebook")]
                row[c] = (
                    link(
                        str(cp.loc[i[0], ind]),
                        f"../data/processed/coded_periods.csv#line={i[0] + 2}&col={ind}",
                    )
                    if len(i)
                    else "n/a"
                )
        rows.append(row)
    return Table(
        "tables_10_11",
        f"Tables 10 and 11: the four cases, {period} period, regenerated from the codebook",
        pd.DataFrame(rows),
        "1 = the ally meets the indicator (the paper's mark), 0 = not, ? = unknown. Codes link to their "
        "codebook entry (with its evidence); levels link to data/processed/coded_periods.csv, where the "
        "paper's rules (config/rules.yaml) turn codes into levels. tests/test_coding_levels.py checks "
        "these against the paper's printed tables cell by cell.",
        latex=True,
    )


def agreement_table(lk: Linker) -> Table:
    a = lk.inp.agreement
    rel = "track_agreement.csv"
    rows = [
        {
            "indicator": a.indicator.iloc[i],
            "dyad-periods coded by both": lk.csv(rel, a, i, "n_both_coded", 0),
            "share agreeing": lk.csv(rel, a, i, "share_agree"),
            "Cohen's kappa": lk.csv(rel, a, i, "cohens_kappa"),
            "met (codebook)": lk.csv(rel, a, i, "codebook_met", 0),
            "met (rules)": lk.csv(rel, a, i, "rules_met", 0),
        }
        for i in range(len(a))
    ]
    return Table(
        "agreement",
        "Two coding tracks: codebook vs rules on measured data, per indicator",
        pd.DataFrame(rows),
        "Every disagreement is listed in reports/track_disagreements.csv.",
        latex=True,
    )


def quality_table(lk: Linker, q: pd.DataFrame) -> Table:
    rel = "codebook_quality.csv"
    cols = [c for c in q.columns if c != "dyad"]
    rows = []
    for i in range(len(q)):
        row = {"dyad": q.dyad.iloc[i]}
        for c in cols:
            d = 0 if c not in ("share_coded", "share_verified") else 2
            row[c] = lk.csv(rel, q, i, c, d)
        rows.append(row)
    return Table(
        "codebook_quality",
        "Codebook coverage and quality, per dyad",
        pd.DataFrame(rows),
        "share_coded: indicator-periods with a code (not unknown); share_verified: coded indicator-periods with "
        "at least one evidence item marked verified; high/medium/low: coder confidence; web/panel/paper: "
        "evidence items by kind (data/codebook/*.yaml).",
    )


def quality(lk: Linker) -> pd.DataFrame:
    """Per-dyad coverage and evidence counts, from codebook_coverage.csv and the codebook files."""
    cov = lk.inp.coverage
    g = cov.groupby("dyad", sort=True)
    out = pd.DataFrame(
        {
            "periods": g.periods.max(),
            "share_coded": g.share_coded.mean().round(4),
            "share_verified": g.share_verified.mean().round(4),
            "high": g.high.sum(),
            "medium": g.medium.sum(),
            "low": g.low.sum(),
        }
    )
    kinds = {}
    for stem, doc in lk.inp.codebook.items():
        n = {"web": 0, "panel": 0, "paper": 0}
        for p in doc["periods"]:
            for v in p.values():
                if isinstance(v, dict) and "evidence" in v:
                    for e in v["evidence"] or []:
                        kind = e.get("kind", "web")
                        n[kind] = n.get(kind, 0) + 1
        kinds[stem] = n
    ev = pd.DataFrame(kinds).T.reindex(out.index).fillna(0).astype(int)
    return out.join(ev).reset_index().rename(columns={"index": "dyad"})

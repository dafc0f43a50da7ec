"""Sections 9-12: limitations, data exports, how to cite, how to reproduce."""

from __future__ import annotations

from analysis.report.prov import Linker

EXPORTS = [
    ("panel", "the US-ally dyad-year panel"),
    ("coded_periods", "indicator codes and levels per dyad-period, both tracks"),
    (
        "coded_years",
        "rule codes and measured levels per dyad-year, with the codebook's period codes",
    ),
]


def limitations(lk: Linker) -> list[str]:
    atop = lk.meta("domains", "defense_pact_atop_last")
    pol = [lk.raw("POL", y, "troops", 0) for y in (2017, 2018, 2019, 2020)]
    un_last = lk.meta("coverage", "un_agree_us", 1)
    return [
        "## 10. Limitations, stated plainly\n",
        "- **DMDC troop counts miss rotational forces.** The troop series counts US personnel *assigned* to a "
        f"country. For Poland it shows {pol[0]}, {pol[1]}, {pol[2]} and {pol[3]} troops in 2017-2020, while "
        "several thousand US troops were there on rotation, as the paper itself describes. SG1 by "
        "rule therefore understates deployments to the eastern flank; this is one reason the two tracks "
        "disagree on SG1 (see the agreement table).",
        "- **The codebook is expert judgement.** Each code carries dated evidence and a source, but the "
        "codes are one team's reading of that evidence (confidence is recorded per code); treat the "
        "codebook models as a second opinion, not a measurement.",
        f"- **ATOP ends in {atop}.** Later years of `defense_pact` come only from NATO accession dates or a pact "
        f"in force in {atop} carried forward (flagged in `defense_pact_source`).",
        "- **NATO revises past years.** The pipeline reads one edition (see the sources table); the paper "
        "quotes an older one, and Tables 4 and 6 above flag where the figures moved. Quote the edition with any figure.",
        f"- **UN voting data end early.** UN roll-call agreement ends in {un_last}, so measured interest exchange is unknown afterwards and the "
        "dyad-year ordered models stop there.",
        "- **Measured guarantee is rarely 'high'.** It needs SG1, SG1L and SG5 together, so P(high) is small in "
        "every cell and H1-H3 are hard to tell apart.",
        "",
    ]


def exports() -> list[str]:
    rows = "\n".join(
        f"| `{k}` | {what} | [csv](../data/processed/{k}.csv), [parquet](../data/processed/{k}.parquet), "
        f"[dta](../data/processed/{k}.dta) |"
        for k, what in EXPORTS
    )
    return [
        "## 11. Data for other tools\n",
        "The panel and the coded data, as CSV, Parquet and Stata `.dta` (with variable labels). The data "
        "dictionary ([csv](../data/processed/data_dictionary.csv), [markdown](../data/processed/data_dictionary.md)) "
        "gives each column's meaning, unit and source. Every model's exact estimation sample is in "
        "`reports/model_data/`, named in its `data` field in `models.json` with its sha256.\n",
        "| data | contents | files |\n|---|---|---|\n" + rows + "\n",
    ]


def cite(lk: Linker) -> list[str]:
    c = lk.inp.citation
    refs = c.get("references") or []
    paper = refs[0] if refs else {}
    authors = ", ".join(
        a.get("name") or f"{a.get('given-names', '')} {a.get('family-names', '')}".strip()
        for a in c.get("authors", [])
    )
    s = [
        "## 12. How to cite\n",
        f"{authors}. *{c['title']}*. Version {c['version']} ({c.get('date-released', '')}). "
        f"Licence {c.get('license', '')}. (From `CITATION.cff`.)\n",
    ]
    if paper:
        pa = ", ".join(
            f"{a.get('given-names', '')} {a.get('family-names', '')}".strip()
            for a in paper.get("authors", [])
        )
        s.append(f'The argument tested: {pa}, "{paper["title"]}", *{paper.get("journal", "")}*.\n')
    s.append("Cite the data sources as listed under section 2.\n")
    return s


def reproduce(lk: Linker) -> list[str]:
    seed = lk.mj("config", "models", "seed", d=0)
    return [
        "## 13. How to reproduce\n",
        "`make all` rebuilds everything from the publishers' files (checksums verified); `make test` runs the "
        f"tests. The bootstrap is seeded ({seed}, `config/models.yaml`), so reruns give the same bytes. Refit any "
        "model from its sample under `reports/model_data/` in R (`MASS::polr`, `plm`) or Stata (`ologit`, `xtreg`).\n",
    ]

"""Tables: regression tables side by side (cells are linked numbers), rendered with great-tables
for HTML and LaTeX and with pandas for Markdown.

A table is a DataFrame of Markdown strings plus a title and a note; `to_html` and `to_latex` hand
it to great_tables.GT (fmt_markdown keeps the provenance links in HTML; LaTeX gets plain text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from great_tables import GT, html

from analysis.report.prov import Linker

STARS = ((0.01, "***"), (0.05, "**"), (0.1, "*"))
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
STAR_NOTE = "* p<0.1, ** p<0.05, *** p<0.01 (cluster-robust by ally unless stated)."


def stars(p: float | None) -> str:
    if p is None:
        return ""
    return next((s for t, s in STARS if p < t), "")


@dataclass
class Table:
    key: str
    title: str
    df: pd.DataFrame  # Markdown cells; the first column is the row label
    note: str = ""
    latex: bool = False  # also written to reports/tables/<key>.tex
    spanners: dict[str, list[str]] | None = None  # column groups: label -> columns (HTML, LaTeX)


def ordered_table(lk: Linker, names: list[str], key: str, title: str) -> Table:
    """Ordered models side by side: odds ratios (probit: coefficients) with CIs, cut points, n."""
    rows: dict[str, dict[str, str]] = {}
    ok = {
        n: lk.inp.model(n)["status"] == "ok" and bool(lk.inp.model(n).get("params")) for n in names
    }
    # terms first (in order of appearance), then cut points, then fit statistics
    for n in names:
        m = lk.inp.model(n)
        probit = "probit" in m["estimator"]
        for t, p in (m["params"] or {}).items() if ok[n] else ():
            cell = lk.coef_se(n, t) if probit else lk.or_ci(n, t)
            rows.setdefault(t, {})[n] = cell + stars(p["p"])
    for n in names:
        for c in (lk.inp.model(n).get("cutpoints") or {}) if ok[n] else ():
            rows.setdefault(f"cut {c.replace('|', ' / ')}", {})[n] = (
                f"{lk.model(n, 'cutpoints', c, 'value')} ({lk.model(n, 'cutpoints', c, 'se')})"
            )
    for n in names:
        m = lk.inp.model(n)
        rows.setdefault("n (allies)", {})[n] = (
            f"{lk.model(n, 'n', d=0)} ({lk.model(n, 'n_clusters', d=0)})"
        )
        rows.setdefault("log-likelihood", {})[n] = lk.model(n, "llf", d=1) if ok[n] else ""
        rows.setdefault("status", {})[n] = m["status"]
    return _table(
        rows,
        names,
        key,
        title,
        "Odds ratios (95 % CI); probit: coefficient (SE). Cut points on the natural scale "
        "(delta-method SE). A model whose status is not 'ok' is reported, not interpreted. "
        + STAR_NOTE,
    )


def panel_table(lk: Linker, dep: str, spec: str) -> Table:
    names = [f"panel_fe_{dep}_{spec}", f"panel_fe_dk_{dep}_{spec}", f"panel_re_{dep}_{spec}"]
    names = [n for n in names if any(e["name"] == n for e in lk.inp.models["models"])]
    rows: dict[str, dict[str, str]] = {}
    for n in names:
        m = lk.inp.model(n)
        for t, p in (m.get("params") or {}).items():
            rows.setdefault(t, {})[n] = lk.coef_se(n, t) + stars(p["p"])
        rows.setdefault("n (allies)", {})[n] = (
            f"{lk.model(n, 'n', d=0)} ({lk.model(n, 'n_entities', d=0)})"
        )
        rows.setdefault("standard errors", {})[n] = str(m.get("cluster", ""))
        if "hausman_fe_vs_re" in m:
            rows.setdefault("Hausman FE vs RE: chi2 (p)", {})[n] = (
                f"{lk.model(n, 'hausman_fe_vs_re', 'chi2')} ({lk.model(n, 'hausman_fe_vs_re', 'p', d=-1)})"
            )
    return _table(
        rows,
        names,
        f"panel_{dep}_{spec}",
        f"Panel models of {dep} ({spec} specification)",
        "Coefficients (SE); regressors lagged one year. FE: two-way fixed effects (PanelOLS), "
        "clustered by ally; FE-DK: Driscoll-Kraay SEs; RE: random effects with year dummies. "
        + STAR_NOTE,
    )


def _table(rows: dict, names: list[str], key: str, title: str, note: str) -> Table:
    df = pd.DataFrame(rows).T.reindex(columns=names).fillna("")
    df.insert(0, "term", df.index)
    return Table(key, title, df.reset_index(drop=True), note, latex=True)


def _strip(df: pd.DataFrame) -> pd.DataFrame:
    return df.map(lambda s: LINK.sub(r"\1", str(s)))


def to_markdown(t: Table) -> str:
    body = t.df.to_markdown(index=False)
    return f"**{t.title}**\n\n{body}\n" + (f"\n*{t.note}*\n" if t.note else "")


def _gt(t: Table, df: pd.DataFrame) -> GT:
    first = df.columns[0]
    g = GT(df, rowname_col=first, id=re.sub(r"[^a-z0-9]", "-", t.key.lower()))
    g = g.tab_header(title=t.title).tab_stubhead(label=first)
    # long model names may break after an underscore
    g = g.cols_label(**{c: html(str(c).replace("_", "_<wbr>")) for c in df.columns[1:]})
    g = g.tab_options(table_font_size="13px")
    if t.note:
        g = g.tab_source_note(t.note)
    for label, cols in (t.spanners or {}).items():
        g = g.tab_spanner(label=label, columns=cols)
    return g


def to_html(t: Table) -> str:
    cols = list(t.df.columns[1:])
    g = _gt(t, t.df)
    if cols:
        g = g.fmt_markdown(columns=cols)
    return g.as_raw_html()


def to_latex(t: Table) -> str:
    return _gt(t, _strip(t.df)).as_latex()

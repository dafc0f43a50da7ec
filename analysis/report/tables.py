"""Tables for the report, built only from models.json and the coded/panel files."""

from __future__ import annotations

import pandas as pd

STARS = ((0.01, "***"), (0.05, "**"), (0.1, "*"))


def stars(p: float | None) -> str:
    if p is None:
        return ""
    return next((s for t, s in STARS if p < t), "")


def fmt(x: float | None, d: int = 3) -> str:
    return "" if x is None else f"{x:.{d}f}"


def ordered_table(models: list[dict], names: list[str], odds: bool = True) -> pd.DataFrame:
    """Regression table: odds ratios (or coefficients) with 95 % CI, cut points, n, log-likelihood."""
    ms = [m for n in names for m in models if m["name"] == n]
    rows: dict[str, dict[str, str]] = {}
    for m in ms:
        col = m["name"]
        if m.get("params") is None or m["status"] != "ok":
            rows.setdefault("status", {})[col] = m["status"]
            continue
        for k, p in m["params"].items():
            if odds and "probit" not in m["estimator"]:
                rows.setdefault(k, {})[col] = (
                    f"{p['odds_ratio']:.2f}{stars(p['p'])} [{p['or_ci_low']:.2f}, {p['or_ci_high']:.2f}]"
                )
            else:
                rows.setdefault(k, {})[col] = f"{p['coef']:.3f}{stars(p['p'])} ({p['se']:.3f})"
        for k, c in m["cutpoints"].items():
            rows.setdefault(f"cut {k.replace('|', ' / ')}", {})[col] = (
                f"{c['value']:.2f} ({c['se']:.2f})"
            )
        rows.setdefault("status", {})[col] = m["status"]
    for m in ms:
        rows.setdefault("n (clusters)", {})[m["name"]] = f"{m['n']} ({m.get('n_clusters', '')})"
        rows.setdefault("log-likelihood", {})[m["name"]] = fmt(m.get("llf"), 2)
    df = pd.DataFrame(rows).T.reindex(columns=[m["name"] for m in ms]).fillna("")
    df.index.name = "term"
    return df


def panel_table(models: list[dict], dep: str, spec: str) -> pd.DataFrame:
    ms = [
        m
        for m in models
        if m["name"]
        in (f"panel_fe_{dep}_{spec}", f"panel_fe_dk_{dep}_{spec}", f"panel_re_{dep}_{spec}")
    ]
    rows: dict[str, dict[str, str]] = {}
    for m in ms:
        for k, p in m["params"].items():
            rows.setdefault(k, {})[m["name"]] = f"{p['coef']:.3f}{stars(p['p'])} ({p['se']:.3f})"
        rows.setdefault("n (entities)", {})[m["name"]] = f"{m['n']} ({m['n_entities']})"
        rows.setdefault("SE", {})[m["name"]] = m["cluster"]
        if "hausman_fe_vs_re" in m:
            h = m["hausman_fe_vs_re"]
            rows.setdefault("Hausman FE vs RE", {})[m["name"]] = (
                f"chi2({h['df']}) = {h['chi2']:.2f}, p = {h['p']:.3f}"
            )
    df = pd.DataFrame(rows).T.fillna("")
    df.index.name = "term"
    return df

"""Validity checks of the codebook v2 grades, computed from the committed files.

- Convergent: a grade against the measured quantity it should track (Spearman, per period).
- Known groups: dated events whose direction is unambiguous (data/validation/known_events.yaml).
- Distributions: grades, codes and levels by period, and the burden-sharing x interest-exchange
  cell counts. No target is set for these: the data decide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from analysis import config
from analysis.errors import InputError

IND = list(config.indicators())

# grade, measured quantity, expected sign of the association
CONVERGENT = [
    ("SG1", "troop_change", "+", "mean troops in the period / mean in the previous period - 1"),
    ("SG5", "tiv_mean", "+", "mean SIPRI TIV of US deliveries per year in the period"),
    ("IE1", "ideal_distance", "-", "mean UNGA ideal-point distance to the US"),
    ("IE5", "un_agree_us_ext", "+", "mean UNGA agreement with the US (1 same, 0.5 one abstains)"),
    ("BS1", "milex_gdp", "+", "mean defence spending, % of GDP"),
    ("BS1", "milex_change", "+", "last year of the period minus the year before it, % of GDP"),
]


def period_measures(panel: pd.DataFrame, periods: list[dict]) -> pd.DataFrame:
    """The measured quantities per client and period, from the panel."""
    rows = []
    for client, g in panel.groupby("client"):
        g = g.set_index("year")
        for per in periods:
            y0, y1 = per["years"]
            span = g.loc[(g.index >= y0) & (g.index <= y1)]
            prev = g.loc[(g.index >= y0 - (y1 - y0 + 1)) & (g.index <= y0 - 1)]
            t_now, t_prev = span.troops.astype(float).mean(), prev.troops.astype(float).mean()
            m = span.milex_gdp.astype(float)
            base = g.milex_gdp.astype(float).get(y0 - 1, np.nan)
            last = m.dropna().iloc[-1] if m.notna().any() else np.nan
            rows.append(
                {
                    "client": client,
                    "period": per["id"],
                    "troop_change": (t_now / t_prev - 1) if t_prev and t_prev > 0 else np.nan,
                    "tiv_mean": span.us_tiv.astype(float).mean(),
                    "ideal_distance": span.ideal_distance.astype(float).mean(),
                    "un_agree_us_ext": span.un_agree_us_ext.astype(float).mean(),
                    "milex_gdp": m.mean(),
                    "milex_change": last - base,
                }
            )
    return pd.DataFrame(rows)


def convergent(cb: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    df = cb.merge(measures, on=["client", "period"], how="left")
    rows = []
    for grade, measure, sign, meaning in CONVERGENT:
        for period in [*sorted(df.period.unique()), "all"]:
            d = df if period == "all" else df[df.period == period]
            d = d[[f"{grade}_grade", measure]].astype(float).dropna()
            n = len(d)
            ok = n >= 5 and d.iloc[:, 0].nunique() > 1 and d.iloc[:, 1].nunique() > 1
            rho, p = stats.spearmanr(d.iloc[:, 0], d.iloc[:, 1]) if ok else (np.nan, np.nan)
            rows.append(
                {
                    "grade": grade,
                    "measure": measure,
                    "meaning": meaning,
                    "expected_sign": sign,
                    "period": period,
                    "n": n,
                    "spearman_rho": None if np.isnan(rho) else round(float(rho), 4),
                    "p": None if np.isnan(p) else float(p),
                    "sign_as_expected": None
                    if np.isnan(rho)
                    else bool((rho > 0) if sign == "+" else (rho < 0)),
                }
            )
    return pd.DataFrame(rows)


def load_events() -> list[dict]:
    path = config.root() / "data" / "validation" / "known_events.yaml"
    if not path.exists():
        raise InputError(path, "", "file missing", "restore data/validation/known_events.yaml")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise InputError(path, "YAML", f"cannot parse ({e})", "fix the YAML syntax") from None
    events = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(events, list) or not events:
        raise InputError(path, "events", "expected a list of events", "see the file's header")
    need = {"id", "client", "period", "indicator", "check", "what", "when", "source"}
    for i, e in enumerate(events):
        if not isinstance(e, dict) or not need <= set(e):
            raise InputError(path, f"events[{i}]", f"needs {sorted(need)}", "complete the entry")
        if e["indicator"] not in IND:
            raise InputError(path, f"events[{i}].indicator", f"{e['indicator']!r}", f"one of {IND}")
        if len(e["check"]) != 1 or next(iter(e["check"])) not in (
            "grade",
            "grade_at_least",
            "grade_at_most",
            "above_period",
            "below_period",
        ):
            raise InputError(
                path,
                f"events[{i}].check",
                f"{e['check']!r}",
                "one of grade, grade_at_least, grade_at_most, above_period, below_period",
            )
    return events


def _grade(grades: pd.DataFrame, client: str, period: str, col: str) -> float:
    key = (client, period)
    if key not in grades.index or pd.isna(grades.loc[key, col]):
        return np.nan
    return float(grades.loc[key, col])


def known_groups(cb: pd.DataFrame, events: list[dict]) -> pd.DataFrame:
    grades = cb.set_index(["client", "period"])
    rows = []
    for e in events:
        col = f"{e['indicator']}_grade"
        ((kind, ref),) = e["check"].items()

        got = _grade(grades, e["client"], e["period"], col)
        other = (
            _grade(grades, e["client"], ref, col)
            if kind in ("above_period", "below_period")
            else np.nan
        )
        if np.isnan(got) or (kind.endswith("_period") and np.isnan(other)):
            passed = None
        elif kind == "grade":
            passed = got == ref
        elif kind == "grade_at_least":
            passed = got >= ref
        elif kind == "grade_at_most":
            passed = got <= ref
        elif kind == "above_period":
            passed = got > other
        else:
            passed = got < other
        rows.append(
            {
                "event": e["id"],
                "client": e["client"],
                "period": e["period"],
                "indicator": e["indicator"],
                "check": f"{kind} {ref}",
                "grade": None if np.isnan(got) else int(got),
                "reference_grade": None if np.isnan(other) else int(other),
                "passed": passed,
                "what": e["what"],
                "when": str(e["when"]),
                "source": e["source"]["url"],
            }
        )
    return pd.DataFrame(rows)


def distributions(cb: pd.DataFrame) -> pd.DataFrame:
    """Counts of each grade, code and level by period (codebook track)."""
    rows = []
    for period, g in [*cb.groupby("period"), ("all", cb)]:
        for k in IND:
            for v, n in g[f"{k}_grade"].value_counts(dropna=False).items():
                rows.append(
                    {"period": period, "variable": f"{k}_grade", "value": _s(v), "n": int(n)}
                )
            for v, n in g[k].value_counts(dropna=False).items():
                rows.append({"period": period, "variable": k, "value": _s(v), "n": int(n)})
        for lv in ("burden_sharing", "interest_exchange", "guarantee", "cell"):
            for v, n in g[lv].value_counts(dropna=False).items():
                rows.append({"period": period, "variable": lv, "value": _s(v), "n": int(n)})
    return pd.DataFrame(rows).sort_values(["period", "variable", "value"], ignore_index=True)


def _s(v: object) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return "unknown"
    return str(int(v)) if isinstance(v, (int, float, np.integer)) else str(v)


def cells(cb: pd.DataFrame) -> pd.DataFrame:
    """Burden sharing x interest exchange cells by period, with the guarantee levels inside."""
    d = cb.assign(
        bs=cb.burden_sharing.fillna("unknown"),
        ie=cb.interest_exchange.fillna("unknown"),
        g=cb.guarantee.fillna("unknown"),
    )
    out = d.groupby(["period", "bs", "ie", "g"]).size().rename("n").reset_index()
    return out.rename(columns={"bs": "burden_sharing", "ie": "interest_exchange", "g": "guarantee"})

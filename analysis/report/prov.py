"""Provenance links: every number in the report is written together with where it came from.

A number is rendered as a Markdown link whose target is the file it was read from (relative to
reports/) and, after '#', a locator a person or a test can follow:

- models.json and other JSON: an RFC 6901 JSON pointer, `models.json#/models/5/params/L_ie_high/odds_ratio`;
- a CSV the pipeline wrote: `four_cases.csv#line=3&col=POL` (line 1 is the header);
- a publisher's workbook: `../data/raw/nato-2024/<file>.xlsx#sheet=TABLE3&row=40&year=2019`
  (row as Excel numbers it, column = the year header);
- a publisher's CSV: `../data/raw/<id>/<file>.csv#line=6961&col=troops_ad`;
- the codebook: `../data/codebook/USA-POL.yaml#/periods/1/BS1/code` (a pointer into the YAML).

The value shown is always read through the same locator, so text and link cannot drift apart;
tests/test_report.py follows the links back and compares.
"""

from __future__ import annotations

import math
from urllib.parse import quote

import pandas as pd

from analysis.errors import InputError
from analysis.report.inputs import Inputs


def pointer(*parts: object) -> str:
    """RFC 6901 pointer, percent-encoded for use in a URI fragment (RFC 6901 section 6)."""
    return "".join(
        "/" + quote(str(p).replace("~", "~0").replace("/", "~1"), safe="~_-.") for p in parts
    )


def resolve(obj: object, parts: tuple) -> object:
    for p in parts:
        obj = obj[p]  # type: ignore[index]
    return obj


def number(v: object, d: int = 2) -> str:
    """The printed form of a number: fixed decimals, ASCII minus, 'n/a' for a missing value."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if d == 0:
        return str(int(round(float(v))))
    if d < 0:  # a p-value: 3 decimals, or two significant digits below 0.001
        return f"{float(v):.3f}" if float(v) >= 0.001 else f"{float(v):.1e}"
    return f"{float(v):.{d}f}"


def link(text: str, href: str) -> str:
    return f"[{text}]({href})"


class Linker:
    """Builds linked numbers from the loaded inputs (see the module docstring for locators)."""

    def __init__(self, inp: Inputs) -> None:
        self.inp = inp

    # ---------------------------------------------------------------- models.json
    def mj(self, *parts: object, d: int = 2) -> str:
        try:
            v = resolve(self.inp.models, parts)
        except (KeyError, IndexError, TypeError):
            raise InputError(
                self.inp.files["models"], pointer(*parts), "key missing", "run `make models` again"
            ) from None
        if v is None:  # not estimable: say so, there is no number to trace
            return "n/a"
        return link(number(v, d), "models.json#" + pointer(*parts))

    def sim(self, *parts: object, d: int = 2) -> str:
        """A number in reports/simulations.json (`make simulate`)."""
        try:
            v = resolve(self.inp.simulations, parts)
        except (KeyError, IndexError, TypeError):
            raise InputError(
                self.inp.files["models"].parent / "simulations.json",
                pointer(*parts),
                "key missing",
                "run `make simulate` again",
            ) from None
        return link(number(v, d), "simulations.json#" + pointer(*parts))

    def model(self, name: str, *parts: object, d: int = 2) -> str:
        return self.mj("models", self.inp.model_index(name), *parts, d=d)

    def hyp(self, name: str, *parts: object, d: int = 3) -> str:
        return self.mj("hypotheses", self.inp.hyp_index(name), *parts, d=d)

    def param(self, name: str, term: str, field: str, d: int = 2) -> str:
        return self.model(name, "params", term, field, d=d)

    def or_ci(self, name: str, term: str) -> str:
        """'2.89 (1.63-5.13)': odds ratio and its 95 % CI, each number linked."""
        return (
            f"{self.param(name, term, 'odds_ratio')} ({self.param(name, term, 'or_ci_low')}"
            f"-{self.param(name, term, 'or_ci_high')})"
        )

    def coef_se(self, name: str, term: str, d: int = 3) -> str:
        return f"{self.param(name, term, 'coef', d)} ({self.param(name, term, 'se', d)})"

    # ---------------------------------------------------------------- other JSON
    def meta(self, *parts: object, d: int = 0) -> str:
        v = resolve(self.inp.meta, parts)
        return link(number(v, d), "../data/processed/panel.sources.json#" + pointer(*parts))

    # ---------------------------------------------------------------- CSV written by a stage
    def csv(self, rel: str, df: pd.DataFrame, idx: int, col: str, d: int = 2) -> str:
        """`rel` relative to reports/; `idx` the positional row of df (line = idx + 2)."""
        v = df.iloc[idx][col]
        return link(number(v, d), f"{rel}#line={idx + 2}&col={col}")

    # ---------------------------------------------------------------- a publisher's file
    def raw(self, client: str, year: int, column: str, d: int = 2) -> str:
        """A panel cell, linked to the publisher's row it was read from."""
        src = self.inp.meta["columns"][column]
        p = self.inp.panel
        row = p[(p.client == client) & (p.year == year)]
        if row.empty:
            return "n/a"
        v = row[column].iloc[0]
        r = row[src["row_column"]].iloc[0]
        if pd.isna(v) or pd.isna(r):
            return "n/a"
        if "sheet" in src:
            loc = f"sheet={src['sheet']}&row={int(r)}&year={year}"
        else:
            col = src["key"].rsplit(";", 1)[-1].strip()
            loc = f"line={int(r)}&col={col}"
        return link(number(v, d), f"../{src['file']}#{loc}")

    # ---------------------------------------------------------------- codebook
    def code(self, client: str, period: str, indicator: str) -> str:
        """An indicator's code (1, 0 or '?' for unknown) linked to the grade in its codebook entry
        it is derived from (code = grade >= config/rules.yaml grade_cuts[indicator])."""
        stem = f"{self.inp.meta['patron']}-{client}"  # data/codebook/<patron>-<client>.yaml
        doc = self.inp.codebook[stem]
        i = next(j for j, p in enumerate(doc["periods"]) if p["id"] == period)
        g = doc["periods"][i][indicator]["grade"]
        cut = self.inp.rules["grade_cuts"][indicator]
        text = "?" if g is None else str(int(g >= cut))
        return link(
            text, f"../data/codebook/{stem}.yaml#" + pointer("periods", i, indicator, "grade")
        )

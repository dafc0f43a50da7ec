"""Seeded draws for the reliability work: the double-coding sample and the evidence-audit sample.

Both read only the list of dyad-periods (and, for the audit, the web items' locations), never a
code or grade, so drawing a sample reveals nothing to a second coder.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis import config
from analysis.coding import codebook
from analysis.io import atomic_write


def _cfg() -> dict:
    return config.load_yaml("reliability")


def dyad_periods() -> pd.DataFrame:
    """Every coded dyad-period: client, period, region."""
    asia = set(_cfg()["double_coding"]["asia_pacific"])
    rows = []
    for path in sorted(config.codebook_dir().glob("*.yaml")):
        raw = codebook.read_raw(path)  # ids only: no grade is read
        rows += [
            {
                "client": raw["client"],
                "period": p["id"],
                "region": "asia_pacific" if raw["client"] in asia else "nato",
            }
            for p in raw["periods"]
        ]
    return pd.DataFrame(rows).sort_values(["period", "region", "client"], ignore_index=True)


def draw_double_coding_sample() -> pd.DataFrame:
    """A stratified random share (rounded up) of dyad-periods in each period x region stratum."""
    cfg = _cfg()["double_coding"]
    rng = np.random.default_rng(cfg["seed"])
    units = dyad_periods()
    picks = []
    for _, g in units.groupby(cfg["strata"], sort=True):
        k = math.ceil(cfg["share"] * len(g))
        picks.append(g.iloc[np.sort(rng.choice(len(g), size=k, replace=False))])
    return pd.concat(picks, ignore_index=True)


def write_double_coding_sample() -> str:
    cfg = _cfg()["double_coding"]
    sample = draw_double_coding_sample()
    out = config.root() / cfg["sample_file"]
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda tmp: sample.to_csv(tmp, index=False, lineterminator="\n"))
    n = len(dyad_periods())
    return f"{len(sample)} of {n} dyad-periods ({len(sample) / n:.0%}) -> {out}"

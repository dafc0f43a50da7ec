"""Defence pacts with the patron: ATOP 5.1 dyad-years, extended past ATOP's last year only from
documented membership (NATO accession dates in config/panel.yaml) and from pacts in force in
ATOP's last year. Never zero-filled past the source's coverage.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.etl.unga import _read_rda


def load_atop(path: Path, patron_ccode: int) -> pd.DataFrame:
    df = _read_rda(path)
    need = ["ccode1", "ccode2", "year", "atop_defense"]
    if any(c not in df.columns for c in need):
        raise InputError(path, "columns", f"expected {need}", "check the ATOP file")
    df = df[df.ccode1 == patron_ccode].copy()
    df = df.astype({"ccode2": int, "year": int, "atop_defense": int})
    if df.duplicated(["ccode2", "year"]).any():
        raise InputError(path, "rows", "duplicated dyad-year", "remove duplicates")
    return df.rename(columns={"ccode2": "ccode"})[["ccode", "year", "atop_defense"]]


def load_states(path: Path) -> pd.DataFrame:
    """COW system membership spells; endyear 2016 means 'still a member at the end of coverage'."""
    df = _read_rda(path)
    df = df.astype({"ccode": int, "styear": int, "endyear": int})
    return df[["ccode", "statenme", "styear", "endyear"]]

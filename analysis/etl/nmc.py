"""COW National Material Capabilities v7.0: CINC (economic and military size control)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.etl.unga import _read_rda


def load(path: Path) -> pd.DataFrame:
    df = _read_rda(path)
    if "cinc" not in df.columns:
        raise InputError(path, "columns", "missing column 'cinc'", "check the NMC file")
    df = df[df.ccode.notna() & df.year.notna()].astype({"ccode": int, "year": int})
    if ((df.cinc < 0) | (df.cinc > 1)).any():
        raise InputError(path, "cinc", "CINC outside [0, 1]", "check the file")
    return df[["ccode", "year", "cinc"]]

"""SIPRI Military Expenditure Database workbook: share of GDP and constant US$.

Sheets are found by name (the constant-price sheet by pattern, since its base year moves with
each release), the header by its `Country` cell, years by content. SIPRI's markers become NA with
the reason kept: '...' (data unavailable) and 'xxx' (state did not exist). SIPRI publishes the
share of GDP as a fraction; we store percent (0.0199 -> 1.99).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.etl import countries
from analysis.etl.nato import _year_cell
from analysis.etl.xlsx import read_grid, sheet_names

MARKERS = {
    "...": "data unavailable ('...')",
    ". .": "data unavailable ('. .')",
    "xxx": "state did not exist or was not independent ('xxx')",
}
SHEETS = {
    "milex_gdp_sipri": (r"^share of gdp$", 100.0),
    "milex_usd_sipri": (r"^constant \(\d{4}\) us\$$", 1.0),
}


def _sheet(path: Path, pattern: str, engine: str) -> str:
    names = sheet_names(path, engine)
    hit = [n for n in names if re.match(pattern, n.strip(), re.I)]
    if not hit:
        raise InputError(
            path,
            f"sheet like {pattern!r}",
            f"sheet not found; the workbook has {names}",
            "check that this is the SIPRI milex workbook; update SHEETS in analysis/etl/sipri_milex.py if SIPRI renamed it",
        )
    return hit[0]


def parse_sheet(
    path: Path, sheet: str, variable: str, scale: float, source_id: str, engine: str = "calamine"
) -> pd.DataFrame:
    grid = read_grid(path, sheet, engine)
    hdr = next(
        (
            i
            for i, r in enumerate(grid)
            if r and isinstance(r[0], str) and r[0].strip() == "Country"
        ),
        None,
    )
    if hdr is None:
        raise InputError(
            path,
            f"sheet {sheet!r}",
            "no header row starting with 'Country'",
            "the layout changed: the header row's first cell must read 'Country'",
        )
    ycols = {j: y[0] for j, v in enumerate(grid[hdr]) if (y := _year_cell(v))}
    if len(ycols) < 5:
        raise InputError(
            path,
            f"sheet {sheet!r} row {hdr + 1}",
            "year header not found next to 'Country'",
            "check the workbook's header row",
        )
    notes_col = next(
        (j for j, v in enumerate(grid[hdr]) if isinstance(v, str) and v.strip() == "Notes"), None
    )
    out = []
    seen: dict[str, int] = {}
    for i in range(hdr + 1, len(grid)):
        row = grid[i]
        name = row[0]
        cells = [row[j] if j < len(row) else None for j in ycols]
        if not isinstance(name, str) or all(c is None for c in cells):
            continue  # region headings and blank rows
        iso = countries.name_to_iso3(name, file=path, where=f"sheet {sheet!r} row {i + 1} column A")
        if iso == countries.SKIP:
            continue
        if iso in seen:
            raise InputError(
                path,
                f"sheet {sheet!r} row {i + 1}",
                f"duplicated row for {name!r} ({iso}), first at row {seen[iso]}",
                "each country must appear once; remove the duplicate",
            )
        seen[iso] = i + 1
        note = row[notes_col] if notes_col is not None else None
        for j, year in ycols.items():
            v = row[j] if j < len(row) else None
            reason = None
            if isinstance(v, str):
                reason = MARKERS.get(v.strip())
                if reason is None:
                    raise InputError(
                        path,
                        f"sheet {sheet!r} row {i + 1} year {year}",
                        f"unexpected text {v!r} in a value cell",
                        "SIPRI uses only '...' and 'xxx' as markers; check the file",
                    )
                v = None
            elif v is None:
                reason = "empty cell"
            out.append(
                {
                    "variable": variable,
                    "iso3": iso,
                    "year": year,
                    "value": float(v) * scale if v is not None else None,
                    "na_reason": reason,
                    "sipri_notes": None if note is None else str(note),
                    "label": name.strip(),
                    "sheet": sheet,
                    "row": i + 1,
                    "source_id": source_id,
                }
            )
    return pd.DataFrame(out)


def load(source_id: str = "sipri-milex-2025", engine: str = "calamine") -> pd.DataFrame:
    from analysis.fetch import raw_path

    path = raw_path(source_id)
    frames = []
    for var, (pat, scale) in SHEETS.items():
        frames.append(parse_sheet(path, _sheet(path, pat, engine), var, scale, source_id, engine))
    df = pd.concat(frames, ignore_index=True)
    sanity_check(df, path)
    return df


def sanity_check(df: pd.DataFrame, path: Path) -> None:
    g = df[df.variable == "milex_gdp_sipri"]
    bad = g[g.value.notna() & ((g.value < 0) | (g.value > 200))]  # Kuwait 1991 = 117 %
    if len(bad):
        r = bad.iloc[0]
        raise InputError(
            path,
            f"sheet {r.sheet!r} row {r.row}",
            f"share of GDP {r.value} % out of range",
            "check the unit: SIPRI publishes a fraction",
        )
    if "USA" not in set(df.iso3):
        raise InputError(path, "", "United States not found", "check the file")

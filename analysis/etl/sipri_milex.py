"""SIPRI Military Expenditure Database workbook: share of GDP and constant US$.

Sheets are found by name (the constant-price sheet by pattern, since its base year moves with
each release), the header by its `Country` cell, years by content. SIPRI's markers become NA with
the reason kept: '...' (data unavailable) and 'xxx' (state did not exist), the markers SIPRI
documents (../shared/data-sources/sipri-milex/SOURCE.md); any other text, or an Excel error, in
a value cell stops the run with the cell (`'Share of GDP'!BC12`). SIPRI publishes the share of
GDP as a fraction; we store percent (0.0199 -> 1.99).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.etl import countries
from analysis.etl.nato import _year_cell
from analysis.etl.xlsx import cell_ref, read_grid, sheet_names

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
                if reason is None and not v.strip():
                    reason = "empty cell"
                if reason is None:
                    kind = "an Excel error" if v.startswith("#") else "unexpected text"
                    raise InputError(
                        path,
                        f"cell {cell_ref(sheet, i, j)}",
                        f"{kind} {v!r} in a value cell ({name.strip()}, {year})",
                        "SIPRI marks missing values only with '...' (data unavailable) and 'xxx' "
                        "(state did not exist): type the number or SIPRI's marker, or restore "
                        "the publisher's file: delete it from data/raw/ and run `make fetch`",
                    )
                v = None
            elif v is None:
                reason = "empty cell"
            elif isinstance(v, bool) or not isinstance(v, (int, float)):
                raise InputError(
                    path,
                    f"cell {cell_ref(sheet, i, j)}",
                    f"the non-numeric value {v!r} in a value cell ({name.strip()}, {year})",
                    "type the number or SIPRI's marker '...', or restore the publisher's file: "
                    "delete it from data/raw/ and run `make fetch`",
                )
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
                    "cell": cell_ref(sheet, i, j),
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
            f"cell {r.cell}",
            f"share of GDP {r.value:g} % for {r.label} {r.year} is outside [0, 200] %",
            "check the cell and its unit (SIPRI publishes a fraction: 0.0199 = 1.99 %), or "
            "restore the publisher's file: delete it from data/raw/ and run `make fetch`",
        )
    u = df[df.variable == "milex_usd_sipri"]
    bad = u[u.value.notna() & (u.value < 0)]
    if len(bad):
        r = bad.iloc[0]
        raise InputError(
            path,
            f"cell {r.cell}",
            f"negative spending {r.value:g} (US$ m) for {r.label} {r.year}",
            "check the cell, or restore the publisher's file: delete it from data/raw/ and run "
            "`make fetch`",
        )
    if "USA" not in set(df.iso3):
        raise InputError(path, "", "United States not found", "check the file")

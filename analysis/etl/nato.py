"""NATO *Defence Expenditure of NATO Countries*: parse the annex tables by label.

Nothing is read by fixed row or column: the year header is the row with the most year-like
cells (2014, '2019', '2023e'), a data row's label is the text cell left of the year columns,
and blocks are found by their subtitles. Each value keeps its edition, sheet, Excel row and
the estimate flag of its year ('2023e'). Footnote markers (`Poland*`) are stripped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.errors import InputError
from analysis.etl import countries
from analysis.etl.xlsx import Grid, col_letter, read_grid

YEAR = re.compile(r"^(\d{4})(e)?$")


def _year_cell(v: object) -> tuple[int, bool] | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        if float(v).is_integer() and 1900 <= int(v) <= 2100:
            return int(v), False
        return None
    m = YEAR.match(str(v).strip())
    return (int(m.group(1)), bool(m.group(2))) if m else None


def find_year_header(grid: Grid, file: Path, sheet: str) -> tuple[int, dict[int, tuple[int, bool]]]:
    """Row index and {column: (year, estimate)} of the year header, found by content."""
    best: tuple[int, dict[int, tuple[int, bool]]] | None = None
    for i, row in enumerate(grid):
        cols = {j: y for j, v in enumerate(row) if (y := _year_cell(v))}
        if len(cols) >= 3 and (best is None or len(cols) > len(best[1])):
            best = (i, cols)
    if best is None:
        raise InputError(
            file,
            f"sheet {sheet!r}",
            "no year header found (a row of cells like 2014, 2015, '2023e')",
            "check the sheet; if the layout changed, the header cells must still hold years",
        )
    years = [y for y, _ in best[1].values()]
    if len(set(years)) != len(years):
        raise InputError(
            file,
            f"sheet {sheet!r} row {best[0] + 1}",
            f"duplicated year in the header: {years}",
            "check the workbook's year header",
        )
    return best


def _price_base(rows: Grid) -> int | None:
    """The base year of constant prices, read from the title/unit lines ('Based on 2015 prices')."""
    for row in rows:
        for c in row:
            if isinstance(c, str) and (m := re.search(r"(\d{4}) prices", c)):
                return int(m.group(1))
    return None


def _is_num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def parse_table(
    path: Path,
    sheet: str,
    block: str | None,
    *,
    source_id: str,
    edition: str,
    variable: str,
    engine: str = "calamine",
    position: int = 0,
) -> pd.DataFrame:
    """Long frame of one table block: iso3, year, value, estimate, label, sheet, row."""
    grid = read_grid(path, sheet, engine)
    hdr, ycols = find_year_header(grid, path, sheet)
    first_ycol = min(ycols)
    agg = re.compile(config.load_yaml("nato_editions")["aggregate_labels"])
    blocks: list[tuple[str | None, list[dict]]] = [(None, [])]
    for i in range(hdr + 1, len(grid)):
        row = grid[i]
        left = [c for c in row[:first_ycol] if isinstance(c, str) and c.strip()]
        nums = [row[j] for j in ycols if j < len(row) and _is_num(row[j])]
        if not nums:
            if left:
                blocks.append((left[-1].strip(), []))
            continue
        if not left:
            continue  # e.g. an unlabelled row of zeros or leftover #REF! cells
        label = left[-1].strip()
        if agg.search(label):
            continue
        iso = countries.name_to_iso3(
            label,
            file=path,
            where=f"sheet {sheet!r} row {i + 1} column {col_letter(row.index(left[-1]))}",
        )
        for j, (year, est) in ycols.items():
            v = row[j] if j < len(row) else None
            blocks[-1][1].append(
                {
                    "iso3": iso,
                    "year": year,
                    "value": float(v) if _is_num(v) else None,
                    "estimate": est,
                    "label": label,
                    "row": i + 1,
                }
            )
    data_blocks = [(t, rows) for t, rows in blocks if rows]
    chosen = None
    if block is not None:
        pat = re.compile(block, re.I)
        chosen = next(((t, r) for t, r in data_blocks if t and pat.search(t)), None)
    if (
        chosen is None
        and data_blocks
        and (block is None or data_blocks[0][0] is None or position > 0)
    ):
        # The block carries no subtitle (later editions start the first block right under the
        # year header): fall back to its position in the table.
        chosen = data_blocks[position] if position < len(data_blocks) else None
    if chosen is None:
        titles = [t for t, _ in data_blocks]
        raise InputError(
            path,
            f"sheet {sheet!r}",
            f"no block titled like {block!r}; blocks found: {titles}",
            "check the edition; if NATO renamed the block, update config/nato_editions.yaml",
        )
    df = pd.DataFrame(chosen[1])
    dup = df.duplicated(["iso3", "year"], keep=False)
    if dup.any():
        r = df[dup].iloc[0]
        raise InputError(
            path,
            f"sheet {sheet!r} row {r.row}",
            f"duplicated row for {r.label} ({r.iso3})",
            "each Ally must appear once per block; remove the duplicate row",
        )
    df.insert(0, "variable", variable)
    df["price_base"] = _price_base([[chosen[0]], *grid[:hdr]])
    df["sheet"] = sheet
    df["block"] = chosen[0]
    df["source_id"] = source_id
    df["edition"] = edition
    return df


def load(source_id: str = "nato-2024", engine: str = "calamine") -> pd.DataFrame:
    """All registry tables of one edition, long format, with sanity checks."""
    reg = config.load_yaml("nato_editions")
    ed = next((e for e in reg["editions"] if e["source_id"] == source_id), None)
    if ed is None:
        raise InputError(
            config.config_dir() / "nato_editions.yaml",
            source_id,
            "edition not in the registry",
            "add it under `editions`",
        )
    from analysis.fetch import raw_path

    path = raw_path(source_id)
    frames = []
    for var, spec in reg["tables"].items():
        df = parse_table(
            path,
            spec["sheet"],
            spec["block"],
            source_id=source_id,
            edition=str(ed["edition"]),
            variable=var,
            engine=engine,
            position=spec.get("position", 0),
        )
        sanity_check(df, spec["range"], path)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def sanity_check(df: pd.DataFrame, value_range: list[float], path: Path) -> None:
    lo, hi = value_range
    bad = df[df.value.notna() & ((df.value < lo) | (df.value > hi))]
    if len(bad):
        r = bad.iloc[0]
        raise InputError(
            path,
            f"sheet {r.sheet!r} row {r.row}",
            f"{r.variable} = {r.value} for {r.label} {r.year} is outside [{lo}, {hi}]",
            "check the file: a unit or layout change?",
        )
    if df.iso3.nunique() < 2:
        raise InputError(
            path, f"sheet {df.sheet.iloc[0]!r}", "fewer than 2 countries parsed", "check the layout"
        )

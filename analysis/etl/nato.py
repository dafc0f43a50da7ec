"""NATO *Defence Expenditure of NATO Countries*: parse the annex tables by label.

Nothing is read by fixed row or column: the year header is the row with the most year-like
cells (2014, '2019', '2023e'), a data row's label is the text cell left of the year columns,
and blocks are found by their subtitles. Each value keeps its edition, sheet, Excel row and
the estimate flag of its year ('2023e'). Footnote markers (`Poland*`) are stripped.

The year header must run one year per column with no gap, and no labelled row may hold a number
under an empty header cell. NATO marks a missing value with an empty cell and documents no text
marker (../shared/data-sources/nato/SOURCE.md), so text or an Excel error (`n/a`, `#N/A`) in a
value cell of a country row stops the run with the cell (`TABLE3!D12`), as does a value outside
the table's range (config/nato_editions.yaml).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis import config, schemas
from analysis.errors import InputError
from analysis.etl import countries
from analysis.etl.xlsx import Grid, cell_ref, col_letter, read_grid

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
    _check_header_run(grid, best[0], best[1], file, sheet)
    return best


RESTORE = "or restore the publisher's file: delete it from data/raw/ and run `make fetch`"


def _check_header_run(
    grid: Grid, hdr: int, ycols: dict[int, tuple[int, bool]], file: Path, sheet: str
) -> None:
    """The header's years run one per column, left to right, with no empty or text cell between."""
    cols = sorted(ycols)
    for a, b in zip(cols, cols[1:], strict=False):
        ya, yb = ycols[a][0], ycols[b][0]
        if b != a + 1:
            j = a + 1
            v = grid[hdr][j] if j < len(grid[hdr]) else None
            what = "is empty" if v is None else f"holds {v!r}, not a year"
            raise InputError(
                file,
                f"cell {cell_ref(sheet, hdr, j)}",
                f"year header cell {what}, between {ya} ({cell_ref(sheet, hdr, a)}) and {yb} "
                f"({cell_ref(sheet, hdr, b)})",
                f"type the year of that column (an estimate as e.g. '2023e') {RESTORE}",
            )
        if yb != ya + 1:
            raise InputError(
                file,
                f"cell {cell_ref(sheet, hdr, b)}",
                f"year header reads {yb} after {ya} ({cell_ref(sheet, hdr, a)}); NATO's years run "
                "one per column",
                f"fix the year in that cell {RESTORE}",
            )


def _value(v: object, path: Path, sheet: str, i: int, j: int, label: str, year: int) -> object:
    """A value cell of a country row: a number, or None for an empty cell; anything else stops."""
    if v is None or _is_num(v):
        return v
    if isinstance(v, str) and not v.strip():
        return None
    if not isinstance(v, str):
        kind = "the non-numeric value"
    else:
        kind = "an Excel error" if v.startswith("#") else "text"
    raise InputError(
        path,
        f"cell {cell_ref(sheet, i, j)}",
        f"{kind} {v!r} where NATO prints a number ({label}, {year})",
        "NATO marks a missing value with an empty cell: type the number or clear the cell, "
        + RESTORE,
    )


def _unheaded_numbers(
    grid: Grid, row: list, i: int, label_col: int, ycols: dict, hdr: int, path: Path, sheet: str
) -> None:
    """A number right of the label in a column without a year: its header cell was emptied."""
    for j in range(label_col + 1, len(row)):
        if j not in ycols and _is_num(row[j]):
            raise InputError(
                path,
                f"cell {cell_ref(sheet, hdr, j)}",
                f"the year header cell is empty but column {col_letter(j)} holds numbers "
                f"({cell_ref(sheet, i, j)} = {row[j]:g})",
                f"type the year of that column (an estimate as e.g. '2023e') {RESTORE}",
            )


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
        if left:  # a labelled row: its value cells hold numbers or nothing
            label_col = max(j for j, c in enumerate(row[:first_ycol]) if c is left[-1])
            for j, (year, _) in ycols.items():
                if j < len(row):
                    row[j] = _value(row[j], path, sheet, i, j, left[-1].strip(), year)
            _unheaded_numbers(grid, row, i, label_col, ycols, hdr, path, sheet)
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
            where=f"sheet {sheet!r} row {i + 1} column {col_letter(label_col)}",
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
                    "cell": cell_ref(sheet, i, j),
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
    reg = schemas.validate("nato_editions", schemas.NatoEditions)
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
        sanity_check(df, spec["range"], path, spec.get("unit", ""))
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def sanity_check(df: pd.DataFrame, value_range: list[float], path: Path, unit: str = "") -> None:
    lo, hi = value_range
    bad = df[df.value.notna() & ((df.value < lo) | (df.value > hi))]
    if len(bad):
        r = bad.iloc[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise InputError(
            path,
            f"cell {r.cell}",
            f"{r.variable} = {r.value:g} for {r.label} {r.year} is outside [{lo}, {hi}]"
            + (f" {unit}" if unit else "")
            + more,
            "compare the cell with NATO's printed table (a typo, a unit or a shifted layout?) "
            f"{RESTORE}; if NATO changed the unit, update tables.{r.variable}.range in "
            "config/nato_editions.yaml",
        )
    if df.iso3.nunique() < 2:
        raise InputError(
            path, f"sheet {df.sheet.iloc[0]!r}", "fewer than 2 countries parsed", "check the layout"
        )

"""Panel evidence items are checked against the panel cell they name.

A codebook item `kind: panel` names a publisher's row (`TABLE3 | Poland* | 2019`,
`Share of GDP | Estonia | 2013`, `Poland | 2018`, `290 | 2019 | September 2019`,
`290 | 2019 | idealpointfp`). Its value must be the panel's value for that client and year, as
rounded to the decimals the coder wrote. An item that names another client, a row the panel does
not hold, or a value the panel contradicts stops the stage with the file, the key path and both
values: a codebook cannot silently cite a number its own data do not contain.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.etl import ccode_to_iso3, clean_label, try_iso3

NATO_TABLES = {
    "TABLE3": ("milex_gdp_nato", 1.0),
    "TABLE2": ("nato_milex_usd_const", 1.0),
    "TABLE5": ("nato_gdp_usd_const", 1.0),
    "TABLE7": ("nato_personnel_k", 1.0),
    "TABLE8a": ("nato_equipment_share", 1.0),
}
YEAR = re.compile(r"^(\d{4})e?\*?(\s*\([^)]*\))?$")  # "2019", "2023e", "2016 (sheet row 36)"


@dataclass(frozen=True)
class Cell:
    column: str
    client_iso3: str | None  # the client the row names (None: the patron's own value)
    year: int
    scale: float  # value in the codebook = panel value * scale


def _year(text: str) -> int | None:
    m = YEAR.match(text.strip())
    return int(m.group(1)) if m else None


def _ccode_client(ccode: str, panel_client: pd.DataFrame) -> str | None:
    """True when a COW code is the client's: its panel code, or a code the publisher uses for it
    (troopdata keeps 260 for Germany after 1990)."""
    codes = set(panel_client.client_ccode.dropna().astype(int))
    c = int(ccode)
    return c in codes or ccode_to_iso3(c) == panel_client.client.iloc[0]


def parse_row(source_id: str, row: str, panel_client: pd.DataFrame, patron_ccode: int) -> Cell:
    """The panel cell a row names; ValueError with the expected format if it names none."""
    parts = [p.strip() for p in row.split("|")]
    client = panel_client.client.iloc[0]
    if source_id == "nato-2024":
        if len(parts) != 3 or parts[0] not in NATO_TABLES or _year(parts[2]) is None:
            raise ValueError("expected 'TABLE3 | <country label> | <year>'")
        col, scale = NATO_TABLES[parts[0]]
        return Cell(col, try_iso3(clean_label(parts[1])), _year(parts[2]), scale)
    if source_id == "sipri-milex-2025":
        if parts[0] == "Footnotes":
            raise LookupError("a footnote, not a cell")
        if len(parts) != 3 or parts[0] != "Share of GDP" or _year(parts[2]) is None:
            raise ValueError("expected 'Share of GDP | <Country> | <year>'")
        # SIPRI publishes a fraction (0.0199); the panel holds per cent.
        return Cell("milex_gdp_sipri", try_iso3(parts[1]), _year(parts[2]), 0.01)
    if source_id == "sipri-tiv-2024":
        if len(parts) != 2 or _year(parts[1]) is None:
            raise ValueError("expected '<recipient> | <year>'")
        return Cell("us_tiv", try_iso3(parts[0]), _year(parts[1]), 1.0)
    if source_id in ("troopdata-2026", "voeten-2025"):
        if len(parts) != 3 or not parts[0].isdigit() or _year(parts[1]) is None:
            raise ValueError(
                "expected '<ccode> | <year> | September <year>' or '... | idealpointfp'"
            )
        year = _year(parts[1])
        if source_id == "voeten-2025" and int(parts[0]) == patron_ccode:
            return Cell("patron_ideal_point", None, year, 1.0)
        col = "troops" if source_id == "troopdata-2026" else "ideal_point"
        own = _ccode_client(parts[0], panel_client)
        return Cell(col, client if own else f"ccode {parts[0]}", year, 1.0)
    raise LookupError("no panel column for this source")


def _tolerance(value: float) -> float:
    """Half a unit in the last decimal the coder wrote (1.875 -> 0.0005; 2.0 -> 0.05)."""
    text = repr(float(value))
    if "e" in text:
        return abs(value) * 5e-4
    decimals = len(text.split(".")[1].rstrip("0")) if "." in text else 0
    return 0.5 * 10 ** (-max(decimals, 0)) + 1e-9


def check(dyads: list, files: dict[str, Path], panel: pd.DataFrame) -> int:
    """Check every panel evidence item; return how many values were compared."""
    patron_ccode = 2
    n = 0
    for d in dyads:
        path = files[d.client]
        pc = panel[panel.client == d.client]
        for p in d.periods:
            for ind, item in (
                (k, getattr(p, k)) for k in type(p).model_fields if k[:2] in ("BS", "IE", "SG")
            ):
                for i, e in enumerate(item.evidence):
                    if e.kind != "panel":
                        continue
                    where = f"periods[{p.id}].{ind}.evidence[{i}]"
                    try:
                        cell = parse_row(e.source_id, e.row, pc, patron_ccode)
                    except LookupError:
                        continue  # a source the panel does not carry (e.g. a footnote)
                    except ValueError as exc:
                        raise InputError(
                            path,
                            f"{where}.row",
                            f"row {e.row!r} for {e.source_id}: {exc}",
                            "write the row as docs/coding_guide.md section 5 shows",
                        ) from None
                    if cell.client_iso3 not in (None, d.client):
                        raise InputError(
                            path,
                            f"{where}.row",
                            f"row {e.row!r} names {cell.client_iso3}, not this file's client {d.client}",
                            "cite the client's own row (a peer's figure belongs in the note)",
                        )
                    if e.value is None:
                        continue
                    hit = pc[pc.year == cell.year]
                    got = hit[cell.column].iloc[0] if len(hit) else float("nan")
                    if got is None or pd.isna(got):
                        raise InputError(
                            path,
                            f"{where}.value",
                            f"value {e.value} but the panel has no {cell.column} for {d.client} "
                            f"{cell.year}",
                            "cite a row the panel holds, or drop the value",
                        )
                    want = float(got) * cell.scale
                    if not math.isclose(e.value, want, abs_tol=_tolerance(e.value)):
                        raise InputError(
                            path,
                            f"{where}.value",
                            f"value {e.value} contradicts the panel: {cell.column} for "
                            f"{d.client} {cell.year} is {want:.6g} ({e.source_id}, {e.row!r})",
                            "copy the value from the publisher's file (rounded is fine)",
                        )
                    n += 1
    return n

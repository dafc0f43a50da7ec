"""Read a worksheet as a grid of Python values, with Excel row numbers kept.

Uses python-calamine (Rust) by default: on the NATO and SIPRI workbooks it reads the same values
as openpyxl several times faster (see `make bench`). openpyxl stays available as `engine=` for
the comparison. Any failure to open the file or find the sheet becomes an InputError naming the
file and sheet. calamine reads an error cell (`#REF!`, `#N/A`, a formula's `#VALUE!`) as empty;
the grid carries it as its text instead, as openpyxl does, so a parser can tell an error typed or
left in a value cell from a missing value (:func:`error_cells`). :func:`cell_ref` names a cell
the way Excel does (`TABLE3!D12`, `'Share of GDP'!BC12`).
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

from analysis.errors import InputError

Grid = list[list[Any]]


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", name).casefold()


def sheet_names(path: Path, engine: str = "calamine") -> list[str]:
    _check_file(path)
    try:
        if engine == "openpyxl":
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            names = list(wb.sheetnames)
            wb.close()
            return names
        from python_calamine import CalamineWorkbook

        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            path,
            "workbook",
            f"cannot open the workbook ({type(exc).__name__}: {exc})",
            "the file is corrupt or truncated: delete it from data/raw/ and run `make fetch` again",
        ) from None


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(path, "", "file not found", "run `make fetch` first")
    if path.stat().st_size == 0:
        raise InputError(
            path,
            "",
            "file is empty (0 bytes)",
            "delete it from data/raw/ and run `make fetch` again",
        )
    if path.suffix.lower() == ".xlsx" and not zipfile.is_zipfile(path):
        raise InputError(
            path,
            "",
            "not a valid xlsx file (not a zip archive; truncated or corrupt)",
            "delete it from data/raw/ and run `make fetch` again",
        )


def find_sheet(path: Path, wanted: str, engine: str = "calamine") -> str:
    """The sheet whose name equals `wanted` ignoring case and spaces ('TABLE3' == 'Table 3')."""
    names = sheet_names(path, engine)
    for n in names:
        if _norm(n) == _norm(wanted):
            return n
    raise InputError(
        path,
        f"sheet {wanted!r}",
        f"sheet not found; the workbook has {names}",
        "check that this is the right publication; if the publisher renamed the sheet, update the edition registry in config/",
    )


def read_grid(path: Path, sheet: str, engine: str = "calamine") -> Grid:
    """All cells of a sheet, row 0 = Excel row 1, column 0 = column A. Empty cells are None."""
    real = find_sheet(path, sheet, engine)
    try:
        if engine == "openpyxl":
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            rows = [list(r) for r in wb[real].iter_rows(values_only=True)]
            wb.close()
        else:
            from python_calamine import CalamineWorkbook

            rows = (
                CalamineWorkbook.from_path(str(path))
                .get_sheet_by_name(real)
                .to_python(skip_empty_area=False)
            )
            rows = [[None if c == "" else c for c in r] for r in rows]
            for (i, j), text in error_cells(path, real).items():
                while len(rows) <= i:
                    rows.append([])
                rows[i].extend([None] * (j + 1 - len(rows[i])))
                rows[i][j] = text
    except Exception as exc:
        raise InputError(
            path,
            f"sheet {real!r}",
            f"cannot read the sheet ({type(exc).__name__})",
            "the file is corrupt or truncated: delete it from data/raw/ and run `make fetch` again",
        ) from None
    return rows


def col_letter(idx: int) -> str:
    s = ""
    idx += 1
    while idx:
        idx, r = divmod(idx - 1, 26)
        s = chr(65 + r) + s
    return s


def cell_ref(sheet: str, row: int, col: int) -> str:
    """Excel's name of the cell at 0-based (row, col) of `sheet`: TABLE3!D12."""
    name = sheet if re.fullmatch(r"[A-Za-z0-9_]+", sheet) else "'" + sheet.replace("'", "''") + "'"
    return f"{name}!{col_letter(col)}{row + 1}"


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def sheet_part(z: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding a sheet's cells (xl/worksheets/sheetN.xml), from the workbook's
    sheet list and its relationships."""
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rid = next(
        (
            s.get(f"{{{_NS['r']}}}id")
            for s in wb.iterfind("m:sheets/m:sheet", _NS)
            if s.get("name") == sheet
        ),
        None,
    )
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next(
        (r.get("Target") for r in rels.iterfind("rel:Relationship", _NS) if r.get("Id") == rid),
        None,
    )
    if target is None:
        return None
    part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return posixpath.normpath(part)


def error_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """{(row, col) 0-based: '#REF!'} for the error cells (t="e") of one sheet of an xlsx file."""
    if path.suffix.lower() != ".xlsx":
        return {}
    with zipfile.ZipFile(path) as z:
        part = sheet_part(z, sheet)
        if part is None:
            return {}
        xml = z.read(part).decode("utf-8")
    if 't="e"' not in xml:
        return {}
    out = {}
    for m in _CELL.finditer(xml):
        attrs, body = m.group(1), m.group(2) or ""
        if 't="e"' not in attrs:
            continue
        ref = re.search(r'\br="([A-Z]+\d+)"', attrs)
        val = re.search(r"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>", body)
        if ref and (rc := _REF.match(ref.group(1))):
            out[(int(rc.group(2)) - 1, _col_index(rc.group(1)))] = val.group(1) if val else "#ERROR"
    return out

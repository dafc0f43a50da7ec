"""Read a worksheet as a grid of Python values, with Excel row numbers kept.

Uses python-calamine (Rust) by default: on the NATO and SIPRI workbooks it reads the same values
as openpyxl several times faster (see `make bench`). openpyxl stays available as `engine=` for
the comparison. Any failure to open the file or find the sheet becomes an InputError naming the
file and sheet.
"""

from __future__ import annotations

import re
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

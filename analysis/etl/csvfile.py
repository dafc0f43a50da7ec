"""Small helpers for the publishers' CSV files: find a header line by content, read safely."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from analysis.errors import InputError


def read_after_header(
    path: Path, startswith: str, encoding: str = "utf-8", **kw
) -> tuple[pd.DataFrame, int]:
    """Read a CSV whose header line starts with `startswith` (after any preamble).

    Returns the frame and the 1-based line number of the header, so data row k (0-based) sits at
    file line header_line + 1 + k (ignoring embedded line breaks).
    """
    if not path.exists():
        raise InputError(path, "", "file not found", "run `make fetch` first")
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError(
            path, "", "file is empty", "delete it from data/raw/ and run `make fetch` again"
        )
    text = raw.decode(encoding, errors="strict" if encoding == "utf-8" else "replace")
    lines = text.splitlines(keepends=True)
    hdr = next((i for i, ln in enumerate(lines) if ln.startswith(startswith)), None)
    if hdr is None:
        raise InputError(
            path,
            "header",
            f"no header line starting with {startswith!r}",
            "check that this is the publisher's export; a renamed column breaks the match",
        )
    try:
        df = pd.read_csv(io.StringIO("".join(lines[hdr:])), dtype=str, keep_default_na=False, **kw)
    except Exception as exc:
        raise InputError(
            path,
            f"line {hdr + 1}",
            f"cannot parse CSV ({type(exc).__name__}: {exc})",
            "the file is corrupt or truncated: fetch it again",
        ) from None
    return df, hdr + 1


def require_columns(df: pd.DataFrame, cols: list[str], path: Path, where: str = "header") -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(
            path,
            where,
            f"missing column(s) {missing}; found {list(df.columns)[:12]}...",
            "the publisher renamed a column: check the file against SOURCE.md and update the parser",
        )


def need_file(path: Path) -> Path:
    """A raw file that must exist and be non-empty (else: fetch it again)."""
    if not path.exists() or path.stat().st_size == 0:
        raise InputError(path, "", "file missing or empty", "run `make fetch` again")
    return path


def read_csv(path: Path, **kw) -> pd.DataFrame:
    """A plain CSV (header on line 1), with a clear error for a missing, empty or broken file."""
    need_file(path)
    try:
        return pd.read_csv(path, **kw)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            path, "CSV", f"cannot parse ({exc})", "the file is corrupt or truncated: fetch it again"
        ) from None

"""Atomic, deterministic writers.

Outputs are first written to a temporary file in the target folder and moved into place with
os.replace, so a failed run never leaves a partial file. Writers fix everything that could vary
between runs (row order, float format, Parquet metadata, .dta timestamp) so the same inputs give
byte-identical outputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_write(path: Path, writer: Callable[[Path], None]) -> None:
    """Call writer(tmp_path) and move the result to path only if it succeeded."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        writer(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_files_together(files: dict[Path, bytes]) -> None:
    """Several outputs as one unit (a report and its tables and figures): every file goes to a
    temporary name first and all are renamed only once every write succeeded, so a failure
    leaves the previous set untouched rather than a partial one."""
    tmps: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            tmps.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)
    except BaseException:
        for tmp, _ in tmps:
            if os.path.exists(tmp):
                os.remove(tmp)
        raise
    for tmp, path in tmps:
        os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, obj: Any) -> None:
    write_text(
        path, json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False, default=str) + "\n"
    )


def write_csv(path: Path, df: pd.DataFrame) -> None:
    atomic_write(
        path, lambda p: df.to_csv(p, index=False, float_format="%.10g", lineterminator="\n")
    )


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    def _w(p: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, preserve_index=False)
        table = table.replace_schema_metadata(None)
        pq.write_table(table, p, compression="snappy")

    atomic_write(path, _w)


def write_dta(path: Path, df: pd.DataFrame, labels: dict[str, str] | None = None) -> None:
    """Stata .dta with variable labels; a fixed time stamp keeps it byte-identical."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == "bool":
            out[col] = out[col].astype("int8")
        elif str(out[col].dtype) in ("string", "str", "object"):
            out[col] = out[col].astype(object).where(out[col].notna(), "").astype(str)
        elif str(out[col].dtype).startswith(("Int", "Float", "boolean")):
            out[col] = out[col].astype("float64")
    labs = {k: v[:80] for k, v in (labels or {}).items() if k in out.columns}
    stamp = dt.datetime(2000, 1, 1)
    atomic_write(
        path,
        lambda p: out.to_stata(
            p, write_index=False, variable_labels=labs, time_stamp=stamp, version=118
        ),
    )


def write_table(
    stem: Path, df: pd.DataFrame, formats: tuple[str, ...] = ("parquet", "csv")
) -> None:
    for fmt in formats:
        target = stem.with_suffix(f".{fmt}")
        if fmt == "csv":
            write_csv(target, df)
        elif fmt == "parquet":
            write_parquet(target, df)
        else:
            raise ValueError(fmt)

"""Atomic, deterministic writers.

Outputs are first written to a temporary file in the target folder and moved into place with
os.replace, so a failed run never leaves a partial file. Writers fix everything that could vary
between runs (row order, float format, Parquet metadata, .dta timestamp) so the same inputs give
byte-identical outputs.

A stage that writes several files writes them as one unit (:func:`write_files_together`): every
file goes to a temporary name first and all are renamed only once every write succeeded; the
``*_bytes`` serializers give the exact bytes the single-file writers write. A temporary file's
name carries the writing process's id (``.<name>.<pid>.<random>.tmp``), so one left behind by a
process that was killed (SIGKILL: no clean-up possible) is removed by the next write to that
folder. A folder that cannot be written (permission, read-only file system, disk full, a file
where a folder is expected) stops the stage with :class:`analysis.errors.OutputError` naming the
folder and what to do, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import InputError, OutputError


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------ folders and their errors
def _blocking_file(folder: Path) -> Path | None:
    """The first path component of `folder` that exists but is not a folder."""
    for p in [folder, *folder.parents]:
        if p.exists() or p.is_symlink():
            return None if p.is_dir() else p
    return None


def _rel(p: Path) -> str:
    from analysis import config

    try:
        return str(Path(p).resolve().relative_to(config.root()))
    except ValueError:
        return str(p)


def output_error(exc: OSError, target: Path, is_folder: bool = False) -> OutputError:
    """A clear message for an OSError raised while writing the file (or folder) `target`."""
    target = Path(target)
    folder = target if is_folder else target.parent
    blocker = _blocking_file(folder)
    if blocker is not None:
        return OutputError(
            blocker,
            "",
            f"is a file where the stage needs a folder (to write {_rel(target)})",
            f"move or delete the file {blocker}, then rerun the stage",
        )
    if not is_folder and (isinstance(exc, IsADirectoryError) or target.is_dir()):
        return OutputError(
            target,
            "",
            "is a folder where the stage writes a file",
            f"move or delete the folder {target}, then rerun the stage",
        )
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return OutputError(
            folder,
            "",
            f"permission denied: cannot write {_rel(target)} in this folder",
            f"make the folder writable (`chmod u+w {folder}`, or run as its owner), then rerun",
        )
    if exc.errno == errno.EROFS:
        return OutputError(
            folder,
            "",
            "the folder is on a read-only file system",
            "run the pipeline in a writable copy of the project (ANALYSIS_ROOT=/path/to/copy)",
        )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(
            folder,
            "",
            f"no space left on the device (or quota reached) while writing {_rel(target)}",
            "free disk space, then rerun the stage",
        )
    return OutputError(
        folder,
        "",
        f"cannot write {_rel(target)}: {exc.strerror or exc}",
        "check that the folder exists and is writable, then rerun the stage",
    )


def check_writable(*folders: Path) -> None:
    """Fail fast, before a stage computes anything, if an output folder cannot be written:
    create it if missing and create and remove a probe file in it (this also catches a
    read-only file system, which a permission check does not)."""
    for folder in folders:
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder, prefix=".write-probe."):
                pass
        except OSError as exc:
            raise output_error(exc, folder, is_folder=True) from None


# ------------------------------------------------------------------ temporary files
_TMP = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]{8}\.tmp$")
_swept: set[Path] = set()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove_stale_tmp(folder: Path) -> list[Path]:
    """Remove the temporary files that a killed process of this package left in `folder`
    (name `.<file>.<pid>.<random>.tmp` whose pid no longer runs). Returns what was removed."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = _TMP.match(name)
        if m and not _alive(int(m.group(1))):
            p = Path(folder) / name
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


def _tmp_for(path: Path) -> str:
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    if folder not in _swept:
        remove_stale_tmp(folder)
        _swept.add(folder)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    os.close(fd)
    return tmp


# ------------------------------------------------------------------ stops (SIGTERM, Ctrl-C)
_renaming = 0
_stop: list[BaseException] = []


def request_stop(exc: BaseException) -> bool:
    """Record a stop (called by the CLI's signal handler). From now on every write raises `exc`
    instead of writing. True while a set of files is being renamed into place: the caller then
    does not raise, and `exc` is raised after the last rename, so a set is never half replaced."""
    if not _stop:
        _stop.append(exc)
    return _renaming > 0


def raise_if_stopped() -> None:
    """Raise the recorded stop, if any (also when a C extension swallowed the first raise)."""
    if _stop:
        raise _stop[0]


def _rename_all(pairs: list[tuple[str, Path]]) -> None:
    global _renaming
    raise_if_stopped()
    _renaming += 1
    try:
        for tmp, path in pairs:
            os.replace(tmp, path)
    finally:
        _renaming -= 1
        if not _renaming:
            raise_if_stopped()


# ------------------------------------------------------------------ writers
def atomic_write(path: Path, writer: Callable[[Path], None]) -> None:
    """Call writer(tmp_path) and move the result to path only if it succeeded."""
    path = Path(path)
    tmp = None
    try:
        raise_if_stopped()
        tmp = _tmp_for(path)
        writer(Path(tmp))
        os.chmod(tmp, 0o644)
        raise_if_stopped()
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(exc, OSError):
            raise output_error(exc, path) from None
        raise


def write_files_together(files: dict[Path, bytes]) -> None:
    """Several outputs as one unit (a report and its tables and figures): every file goes to a
    temporary name first and all are renamed only once every write succeeded, so a failure
    leaves the previous set untouched rather than a partial one."""
    tmps: list[tuple[str, Path]] = []
    path = None
    try:
        raise_if_stopped()
        for path, data in files.items():
            path = Path(path)
            tmp = _tmp_for(path)
            tmps.append((tmp, path))
            with open(tmp, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)
        _check_targets([p for _, p in tmps])
    except BaseException as exc:
        for tmp, _ in tmps:
            if os.path.exists(tmp):
                os.remove(tmp)
        if isinstance(exc, OSError):
            raise output_error(exc, getattr(exc, "target", path)) from None
        raise
    try:
        _rename_all(tmps)
    except OSError as exc:
        for tmp, _ in tmps:
            if os.path.exists(tmp):
                os.remove(tmp)
        raise output_error(exc, Path(exc.filename2 or tmps[0][1])) from None


def _check_targets(paths: list[Path]) -> None:
    """A target that is a folder would fail midway through the renames: refuse it before."""
    for p in paths:
        if p.is_dir():
            exc = IsADirectoryError(errno.EISDIR, "Is a directory", str(p))
            exc.target = p  # type: ignore[attr-defined]
            raise exc


def write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda p: p.write_bytes(data))


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text_bytes(text))


def write_json(path: Path, obj: Any) -> None:
    write_bytes(path, json_bytes(obj))


def write_csv(path: Path, df: pd.DataFrame) -> None:
    write_bytes(path, csv_bytes(df))


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    write_bytes(path, parquet_bytes(df))


def write_dta(path: Path, df: pd.DataFrame, labels: dict[str, str] | None = None) -> None:
    """Stata .dta with variable labels; a fixed time stamp keeps it byte-identical."""
    write_bytes(path, dta_bytes(df, labels))


def write_table(
    stem: Path, df: pd.DataFrame, formats: tuple[str, ...] = ("parquet", "csv")
) -> None:
    for target, data in table_bytes(stem, df, formats).items():
        write_bytes(target, data)


# ------------------------------------------------------------------ records of a stage's outputs
def with_record(files: dict[Path, bytes], record: Path, root: Path) -> dict[Path, bytes]:
    """`files` plus `record`: a JSON map of each file's path (relative to root) to its sha256,
    written in the same set. A later stage checks what it reads against it (`verify_recorded`),
    so a file edited or cut short by hand after the stage ran is refused, not read."""
    rec = {
        str(Path(p).resolve().relative_to(root.resolve())): hashlib.sha256(b).hexdigest()
        for p, b in sorted(files.items(), key=lambda kv: str(kv[0]))
    }
    return {**files, record: json_bytes({"sha256": rec})}


def verify_recorded(path: Path, record: Path, root: Path, stage: str) -> None:
    """`path` is byte for byte what `make <stage>` wrote (its record lists it with that sha256)."""
    fix = f"run `make {stage}` again"
    if not record.exists():
        raise InputError(record, "", f"the record of the {stage} stage's outputs is missing", fix)
    try:
        rec = json.loads(record.read_text())["sha256"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise InputError(record, "", "not a record of outputs (damaged)", fix) from None
    rel = str(Path(path).resolve().relative_to(root.resolve()))
    if rel not in rec:
        raise InputError(record, rel, f"not among the {stage} stage's outputs", fix)
    if sha256(path) != rec[rel]:
        raise InputError(
            path,
            "",
            f"not the file the {stage} stage wrote (its sha256 differs from {record.name}): "
            "edited, cut short or left from another run",
            fix,
        )


# ------------------------------------------------------------------ readers
def read_parquet(path: Path, stage: str, columns: list[str] | None = None) -> pd.DataFrame:
    """An earlier stage's Parquet output; missing or damaged (truncated, overwritten, not
    Parquet) is an InputError that says which `make` target writes it again."""
    if not path.exists():
        raise InputError(path, "", "input not found", f"run `make {stage}` first")
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise InputError(
            path,
            "",
            f"cannot be read as Parquet ({type(e).__name__}): the file is damaged or truncated",
            f"delete it and run `make {stage}` again",
        ) from None


def read_csv(path: Path, stage: str, **kw) -> pd.DataFrame:
    """An earlier stage's CSV output; missing, empty or unparseable is an InputError."""
    if not path.exists():
        raise InputError(path, "", "input not found", f"run `make {stage}` first")
    try:
        return pd.read_csv(path, **kw)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as e:
        raise InputError(
            path,
            "",
            f"cannot be read as CSV ({type(e).__name__}): the file is damaged or truncated",
            f"delete it and run `make {stage}` again",
        ) from None


# ------------------------------------------------------------------ serializers
def text_bytes(text: str) -> bytes:
    return text.encode("utf-8")


def json_bytes(obj: Any) -> bytes:
    return text_bytes(
        json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False, default=str) + "\n"
    )


def csv_bytes(df: pd.DataFrame) -> bytes:
    return text_bytes(df.to_csv(index=False, float_format="%.10g", lineterminator="\n"))


def parquet_bytes(df: pd.DataFrame) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata(None)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()


def dta_bytes(df: pd.DataFrame, labels: dict[str, str] | None = None) -> bytes:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == "bool":
            out[col] = out[col].astype("int8")
        elif str(out[col].dtype) in ("string", "str", "object"):
            out[col] = out[col].astype(object).where(out[col].notna(), "").astype(str)
        elif str(out[col].dtype).startswith(("Int", "Float", "boolean")):
            out[col] = out[col].astype("float64")
    labs = {k: v[:80] for k, v in (labels or {}).items() if k in out.columns}
    buf = io.BytesIO()
    out.to_stata(
        buf,
        write_index=False,
        variable_labels=labs,
        time_stamp=dt.datetime(2000, 1, 1),
        version=118,
    )
    return buf.getvalue()


def table_bytes(
    stem: Path, df: pd.DataFrame, formats: tuple[str, ...] = ("parquet", "csv")
) -> dict[Path, bytes]:
    """{stem.<fmt>: bytes} for each format, for write_files_together."""
    out = {}
    for fmt in formats:
        target = Path(stem).with_suffix(f".{fmt}")
        if fmt == "csv":
            out[target] = csv_bytes(df)
        elif fmt == "parquet":
            out[target] = parquet_bytes(df)
        else:
            raise ValueError(fmt)
    return out

"""The `replication` command: replication/ and replication.zip from files already on disk.

Reads only committed files (code, configuration, codebook, documentation, the lock file) and the
files the pipeline wrote; runs no stage. Which files go in, with which MANIFEST role, and which raw
files may be republished is in config/replication.yaml. Everything is assembled in memory and
checked first; then the folder is written beside the old one and swapped in, and the zip is
written atomically. The same inputs give the same bytes: entries sorted, fixed time stamps and
modes, no clock read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from analysis import config
from analysis.errors import InputError
from analysis.fetch import load_manifest
from analysis.io import atomic_write
from analysis.replication import catalog, readme

PACKAGE = "replication"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
EXECUTABLE = {"run_all.sh"}
STAGES = ("install", "fetch", "panel", "code", "models", "simulate", "report", "replication")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FileRule(_Strict):
    glob: str = Field(min_length=1)
    src: Literal["root", "source"] = Field(alias="from")
    role: str = Field(pattern=r"^[a-z][a-z-]*$")
    dest: str | None = Field(default=None, alias="as")
    optional: bool = False


class Redistribution(_Strict):
    copy_: bool = Field(alias="copy")
    reason: str = Field(min_length=1)


class Runtime(_Strict):
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    machine: str = Field(min_length=1)
    python: str = Field(pattern=r"^3\.\d+\.\d+$")
    peak_memory_mb: float = Field(gt=0)
    venv_mb: float = Field(gt=0)
    seconds: dict[Literal[STAGES], float]  # type: ignore[valid-type]
    cpu_seconds: dict[Literal[STAGES], float]  # type: ignore[valid-type]


class Settings(_Strict):
    codebook_licence: str = Field(min_length=1)
    files: list[FileRule] = Field(min_length=1)
    redistribution: dict[str, Redistribution]
    runtime: Runtime


def settings() -> Settings:
    path = config.config_dir() / "replication.yaml"
    raw = config.load_yaml("replication")
    try:
        s = Settings.model_validate(raw)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(x) for x in e["loc"]) or "top level"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise InputError(
            path, where, f"{e['msg']}{more}", "fix config/replication.yaml (see its comments)"
        ) from None
    ids = [src.id for src in load_manifest()]
    for sid in ids:
        if sid not in s.redistribution:
            raise InputError(
                path,
                f"redistribution.{sid}",
                "no decision whether this source's raw files may be republished",
                f"read its licence in config/sources.yaml and add `{sid}: {{copy: true|false, "
                "reason: ...}` under redistribution",
            )
    for sid in s.redistribution:
        if sid not in ids:
            raise InputError(
                path,
                f"redistribution.{sid}",
                "not a source in config/sources.yaml",
                "remove the entry or fix the id",
            )
    missing = [k for k in STAGES if k not in s.runtime.seconds or k not in s.runtime.cpu_seconds]
    if missing:
        raise InputError(
            path,
            "runtime.seconds",
            f"no measured time for {', '.join(missing)}",
            "measure a cold run (see the comment above runtime) and write the seconds",
        )
    return s


def _select(s: Settings, root: Path, source: Path) -> dict[str, tuple[Path, str]]:
    """Package path -> (file on disk, role), first matching rule wins."""
    out: dict[str, tuple[Path, str]] = {}
    for i, rule in enumerate(s.files):
        base = root if rule.src == "root" else source
        hits = sorted(
            p
            for p in base.glob(rule.glob)
            if p.is_file()
            and not any(
                part.startswith(".") or part == "__pycache__" for part in p.relative_to(base).parts
            )
        )
        if not hits and not rule.optional:
            raise InputError(
                config.config_dir() / "replication.yaml",
                f"files[{i}] ({rule.glob})",
                f"no file matches under {base}",
                "run the stage that writes it (make report), or mark the entry optional",
            )
        if rule.dest and len(hits) > 1:
            raise InputError(
                config.config_dir() / "replication.yaml",
                f"files[{i}] ({rule.glob})",
                f"`as: {rule.dest}` but {len(hits)} files match",
                "give `as` only to a pattern that names one file",
            )
        for p in hits:
            rel = rule.dest if rule.dest else p.relative_to(base).as_posix()
            out.setdefault(rel, (p, rule.role))
    return out


def _raw_files(s: Settings) -> tuple[dict[str, tuple[Path, str]], list]:
    """The raw files of the sources that may be republished, verified against the manifest."""
    out: dict[str, tuple[Path, str]] = {}
    sources = load_manifest()
    for src in sources:
        if not s.redistribution[src.id].copy_:
            continue
        for f in src.files:
            p = config.raw_dir() / src.id / f.file
            if not p.exists():
                raise InputError(p, src.id, "raw file not fetched", "run `make fetch`")
            if _sha256(p.read_bytes()) != f.sha256:
                raise InputError(
                    p,
                    src.id,
                    "sha256 differs from config/sources.yaml",
                    "delete the file and run `make fetch`",
                )
            out[f"data/raw/{src.id}/{f.file}"] = (p, "raw-data")
    return out, sources


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_csv(files: dict[str, tuple[bytes, str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["path", "sha256", "bytes", "role"])
    for rel in sorted(files):
        data, role = files[rel]
        w.writerow([rel, _sha256(data), len(data), role])
    return buf.getvalue().encode()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A zip of files under replication/: sorted entries, fixed time stamps, modes and level."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for rel in sorted(files):
            info = zipfile.ZipInfo(f"{PACKAGE}/{rel}", date_time=ZIP_TIME)
            info.create_system = 3  # unix, so the modes below are read
            mode = 0o755 if rel in EXECUTABLE else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[rel], compresslevel=6)
    return buf.getvalue()


def assemble(root: Path, source: Path) -> dict[str, tuple[bytes, str]]:
    """Every file of the package (path -> bytes, role), MANIFEST.csv included; nothing written."""
    s = settings()
    chosen = _select(s, root, source)
    raw, sources = _raw_files(s)
    chosen.update(raw)
    files = {rel: (p.read_bytes(), role) for rel, (p, role) in chosen.items()}
    if "requirements.lock" not in files:
        raise InputError(
            config.config_dir() / "replication.yaml",
            "files",
            "requirements.lock is not in the package",
            "keep the requirements.lock entry (run `make lock` if the file is missing)",
        )
    items = catalog.catalog(root, source / "analysis" / "report")
    lock = readme.parse_lock(files["requirements.lock"][0].decode())
    files["run_all.sh"] = (readme.run_all().encode(), "code")
    text = readme.render(
        settings=s,
        sources=sources,
        items=items,
        lock=lock,
        files=files,
        cli=readme.commands(source / "analysis" / "__main__.py"),
        pyproject=(source / "pyproject.toml").read_text(encoding="utf-8"),
        citation=(root / "CITATION.cff").read_text(encoding="utf-8"),
    )
    files["README.md"] = (text.encode(), "documentation")
    files["MANIFEST.csv"] = (manifest_csv(files), "manifest")
    return files


def _write_tree(target: Path, files: dict[str, bytes]) -> None:
    """Write the folder beside the old one, then swap: never a half-written replication/."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    moved = old / target.name
    try:
        os.chmod(tmp, 0o755)
        for rel in sorted(files):
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(files[rel])
            os.chmod(p, 0o755 if rel in EXECUTABLE else 0o644)
        if target.exists():
            os.replace(target, moved)
        os.replace(tmp, target)
    except BaseException:
        if moved.exists() and not target.exists():
            os.replace(moved, target)  # put the previous package back
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def run() -> dict:
    root = config.root()
    files = assemble(root, config.PACKAGE_ROOT)
    data = {rel: b for rel, (b, _) in files.items()}
    blob = zip_bytes(data)
    _write_tree(root / PACKAGE, data)
    atomic_write(root / f"{PACKAGE}.zip", lambda p: p.write_bytes(blob))
    return {
        "replication": f"{PACKAGE}/ and {PACKAGE}.zip",
        "files": len(files),
        "bytes": len(blob),
        "sha256": _sha256(blob),
    }

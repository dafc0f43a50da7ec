"""The committed sources manifest (config/sources.yaml), validated by analysis/schemas.py.

Each source records publisher, title, edition, licence and citation; each of its files records
the publisher URL, the path in the offline mirror, sha256 and size. Parsers and the panel's
provenance file refer to sources by `id`.
"""

from __future__ import annotations

from pathlib import Path

from analysis import config, schemas
from analysis.errors import InputError

# The schema lives with the other configuration schemas (analysis/schemas.py).
Source = schemas.Source
SourceFile = schemas.SourceFile


def load() -> list[Source]:
    """config/sources.yaml, validated: a bad entry stops with file, key path and what to do."""
    return schemas.parse("sources", schemas.Sources).sources


def by_id(source_id: str) -> Source:
    for s in load():
        if s.id == source_id:
            return s
    raise InputError(
        config.config_dir() / "sources.yaml",
        source_id,
        "unknown source id",
        "add the source to config/sources.yaml",
    )


def raw_path(source_id: str, file: str | None = None) -> Path:
    """Path of a fetched file in data/raw/<id>/ (the first file of the source by default)."""
    src = by_id(source_id)
    name = file or src.files[0].file
    return config.raw_dir() / source_id / name


def verify_raw() -> int:
    """Every file of the manifest is in data/raw/ with the sha256 config/sources.yaml records.

    The fetch stage checks a download; this checks what is on disk when a later stage reads it,
    so a file replaced by hand after `make fetch` (a publisher's next edition dropped in under
    the same name, an edit in a spreadsheet program) is refused instead of parsed. Returns the
    number of files checked."""
    from analysis.io import sha256

    n = 0
    for src in load():
        for f in src.files:
            p = config.raw_dir() / src.id / f.file
            if not p.exists():
                raise InputError(p, f"{src.id}/{f.file}", "raw file not found", "run `make fetch`")
            got = sha256(p)
            if got != f.sha256:
                raise InputError(
                    p,
                    f"{src.id}/{f.file}",
                    f"the file on disk is not the edition config/sources.yaml records (sha256 "
                    f"{got[:12]}..., expected {f.sha256[:12]}...)",
                    "if it is a new edition, give it its own source id and checksum in "
                    "config/sources.yaml (and its parser a look); otherwise delete it and run "
                    "`make fetch`",
                )
            n += 1
    return n

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

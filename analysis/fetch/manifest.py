"""The committed sources manifest (config/sources.yaml), validated with pydantic.

Each source records publisher, title, edition, licence and citation; each of its files records
the publisher URL, the path in the offline mirror, sha256 and size. Parsers and the panel's
provenance file refer to sources by `id`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from analysis import config
from analysis.errors import InputError


class SourceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str
    url: str
    mirror_path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    publisher: str
    title: str
    edition: str
    licence: str
    citation: str
    provenance: str | None = None  # an honest note where the uploader is not the publisher
    files: list[SourceFile]


def load() -> list[Source]:
    path = config.config_dir() / "sources.yaml"
    data = config.load_yaml("sources")
    try:
        return [Source(**s) for s in data["sources"]]
    except (ValidationError, KeyError, TypeError) as exc:
        raise InputError(
            path, "sources", f"invalid manifest: {exc}", "fix config/sources.yaml"
        ) from None


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

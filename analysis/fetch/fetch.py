"""Get every manifest file with pooch: from the publisher URL, or from the offline mirror.

pooch does the checksum verification and the atomic move into data/raw/<id>/. For the mirror we
give pooch a small downloader that copies the mirror file with a tqdm progress bar, so both routes
share the same verification code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pooch
from tqdm import tqdm

from analysis import config
from analysis.errors import InputError
from analysis.fetch import manifest


def _mirror_downloader(src: Path):
    """A pooch downloader that copies a mirror file, with a progress bar."""

    def download(
        url: str, output_file: str, pooch_obj: object, check_only: bool = False
    ) -> bool | None:
        if check_only:
            return src.exists()
        with (
            open(src, "rb") as fin,
            open(output_file, "wb") as fout,
            tqdm(
                total=src.stat().st_size, unit="B", unit_scale=True, desc=src.name, leave=False
            ) as bar,
        ):
            for chunk in iter(lambda: fin.read(1 << 20), b""):
                fout.write(chunk)
                bar.update(len(chunk))
        return None

    return download


def choose_route(mode: str, mirror: Path, mirror_path: str) -> str:
    """auto: the mirror when it holds the file (offline machines), else the publisher URL."""
    if mode in ("url", "mirror"):
        return mode
    return "mirror" if (mirror / mirror_path).exists() else "url"


def fetch_all(
    mode: str = "auto", mirror: Path | None = None, only: list[str] | None = None
) -> list[Path]:
    mirror = Path(mirror) if mirror else config.mirror_dir()
    out: list[Path] = []
    sources = [s for s in manifest.load() if not only or s.id in only]
    for src in tqdm(sources, desc="sources", unit="src"):
        for f in src.files:
            target_dir = config.raw_dir() / src.id
            route = choose_route(mode, mirror, f.mirror_path)
            kwargs = {}
            if route == "mirror":
                mpath = mirror / f.mirror_path
                if not mpath.exists():
                    raise InputError(
                        mpath,
                        src.id,
                        "file not found in the mirror folder",
                        "set ANALYSIS_MIRROR or --mirror to the folder holding the publishers' files, or fetch online",
                    )
                kwargs["downloader"] = _mirror_downloader(mpath)
            try:
                p = pooch.retrieve(
                    url=f.url,
                    known_hash=f"sha256:{f.sha256}",
                    fname=f.file,
                    path=target_dir,
                    progressbar=route == "url",
                    **kwargs,
                )
            except ValueError as exc:
                if "hash" in str(exc).lower() or "SHA256" in str(exc):
                    raise InputError(
                        f.mirror_path if route == "mirror" else f.url,
                        f"{src.id}/{f.file}",
                        f"checksum mismatch: expected sha256 {f.sha256}",
                        "the file differs from the edition in config/sources.yaml; if it is a new edition, add it to the manifest with its own id and checksum",
                    ) from None
                raise
            except Exception as exc:  # network errors
                raise InputError(
                    f.url,
                    f"{src.id}/{f.file}",
                    f"download failed ({type(exc).__name__})",
                    "check the connection, or use the offline mirror (--mirror / ANALYSIS_MIRROR)",
                ) from None
            os.chmod(p, 0o444)  # raw files are read-only: parsers never modify them
            out.append(Path(p))
    return out

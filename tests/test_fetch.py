"""Fetch: manifest completeness, mirror route with checksum verification, raw files untouched."""

from __future__ import annotations

from analysis.fetch import manifest
from analysis.io import sha256
from tests.conftest import RAW, make_root, run_cli


def test_manifest_has_every_field():
    for s in manifest.load():
        assert s.publisher and s.title and s.edition and s.licence and s.citation
        for f in s.files:
            assert f.url.startswith("https://") and len(f.sha256) == 64 and f.size > 0


def test_fetch_from_mirror_verifies_and_copies(tmp_path, monkeypatch):
    # The mirror is the checkout's own fetched files laid out like ../shared/data-sources.
    mirror = tmp_path / "mirror"
    for s in manifest.load():
        for f in s.files:
            (mirror / f.mirror_path).parent.mkdir(parents=True, exist_ok=True)
            (mirror / f.mirror_path).symlink_to(RAW / s.id / f.file)
    root = make_root(tmp_path / "root", link_raw=False)
    res = run_cli(root, "fetch", "--route", "mirror", mirror=mirror)
    assert res.returncode == 0, res.stderr
    for s in manifest.load():
        for f in s.files:
            p = root / "data" / "raw" / s.id / f.file
            assert sha256(p) == f.sha256
            assert p.stat().st_size == f.size

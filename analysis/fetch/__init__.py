"""Fetch stage: sources manifest -> data/raw/<source-id>/<publisher file>.

Public API for later stages: the manifest (`load_manifest`, `source_by_id`, `raw_path`) and
`verify_raw` (every raw file on disk has the recorded checksum).
"""

from analysis.fetch.manifest import by_id as source_by_id
from analysis.fetch.manifest import load as load_manifest
from analysis.fetch.manifest import raw_path, verify_raw

__all__ = ["load_manifest", "raw_path", "source_by_id", "verify_raw"]

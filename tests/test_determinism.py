"""Two runs on the same inputs give byte-identical outputs."""

from __future__ import annotations

import pytest

from analysis.io import sha256
from tests.conftest import make_root, need_raw, run_cli


@pytest.mark.slow
def test_two_runs_are_byte_identical(coded, tmp_path):
    """A second root built from scratch matches the session's panel and coding outputs."""
    need_raw()
    built = coded
    other = make_root(tmp_path)
    for stage in ("panel", "code"):
        assert run_cli(other, stage).returncode == 0
    for rel in [
        "data/processed/panel.parquet",
        "data/processed/panel.csv",
        "data/processed/panel.dta",
        "data/processed/panel.sources.json",
        "data/processed/coded_periods.parquet",
        "data/processed/coded_periods.csv",
        "data/processed/coded_years.csv",
        "data/processed/guarantee_latent.csv",
        "data/processed/guarantee_latent_draws.parquet",
        "reports/four_cases.csv",
        "reports/reliability.csv",
        "reports/latent_events.csv",
    ]:
        assert sha256(built / rel) == sha256(other / rel), rel

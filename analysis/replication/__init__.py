"""Replication package: replication/ and replication.zip (README in the data editors' form,
code, codebook, estimation samples, results, report, run_all.sh, MANIFEST.csv), built from
committed files and the pipeline's outputs. Runs after the report; no stage imports it.

Public API: `run` (the `replication` command).
"""

from analysis.replication.build import run

__all__ = ["run"]

"""The coding stage: the expert codebook and the rules on measured data, side by side.

Public API for later stages (models, report): the paper's aggregation rules (`levels`), the
measured-data codes per dyad-year (`year_codes`) and the measured levels built from them
(`measured_levels`). A later stage imports these names from `analysis.coding`, never a module of
the stage (tests/test_stage_boundaries.py).
"""

from analysis.coding import levels
from analysis.coding.rules import year_codes
from analysis.coding.run import measured_levels

__all__ = ["levels", "measured_levels", "year_codes"]

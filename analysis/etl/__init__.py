"""ETL stage: the publishers' files -> the patron-client dyad-year panel.

Public API for later stages: the country layer (`try_iso3`, `ccode_to_iso3`, `clean_label`),
which the coding stage needs to check that a codebook's panel evidence names its own client.
"""

from analysis.etl.countries import ccode_to_iso3, clean_label, try_iso3

__all__ = ["ccode_to_iso3", "clean_label", "try_iso3"]

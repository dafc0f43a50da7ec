"""ETL stage: the publishers' files -> the patron-client dyad-year panel."""

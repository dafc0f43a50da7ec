"""The `panel` stage: build, validate, write panel.{parquet,csv,dta} and panel.sources.json.

Stata variable labels come from config/dictionary.yaml, which must document every column.
The four files are written as one unit (analysis.io.write_files_together): a failure or a kill
midway leaves the previous panel files as they were, never a mix of new and old.
"""

from __future__ import annotations

from analysis import config, dictionary, schemas
from analysis.etl import panel as panel_mod
from analysis.etl import schema
from analysis.io import csv_bytes, dta_bytes, json_bytes, parquet_bytes, write_files_together


def run() -> dict:
    # every configuration file this stage reads, checked before any source is parsed
    schemas.check_stage("panel")
    df, meta = panel_mod.build()
    df = schema.validate(df, meta["domains"])
    meta["coverage"] = schema.coverage(
        df, [c for c in df.columns if c not in ("patron", "client", "year")]
    )
    meta["rows"] = len(df)
    meta["clients"] = sorted(df.client.unique())
    # Every column documented (config/dictionary.yaml) before anything is written.
    dictionary.check("panel", df.columns, meta["columns"])
    out = config.processed_dir()
    files = {
        out / "panel.parquet": parquet_bytes(df),
        out / "panel.csv": csv_bytes(df),
        out / "panel.dta": dta_bytes(
            df.rename(columns=dictionary.stata_names("panel")), dictionary.labels("panel")
        ),
        out / "panel.sources.json": json_bytes(meta),
    }
    write_files_together(files)
    return {"rows": len(df), "clients": df.client.nunique(), "years": meta["years"]}

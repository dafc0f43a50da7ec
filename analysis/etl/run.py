"""The `panel` stage: build, validate, write panel.{parquet,csv,dta} and panel.sources.json.

Stata variable labels come from config/dictionary.yaml, which must document every column.
"""

from __future__ import annotations

from analysis import config, dictionary
from analysis.etl import panel as panel_mod
from analysis.etl import schema
from analysis.io import write_csv, write_dta, write_json, write_parquet


def run() -> dict:
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
    write_parquet(out / "panel.parquet", df)
    write_csv(out / "panel.csv", df)
    write_dta(
        out / "panel.dta",
        df.rename(columns=dictionary.stata_names("panel")),
        dictionary.labels("panel"),
    )
    write_json(out / "panel.sources.json", meta)
    return {"rows": len(df), "clients": df.client.nunique(), "years": meta["years"]}

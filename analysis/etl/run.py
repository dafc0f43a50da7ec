"""The `panel` stage: build, validate, write panel.{parquet,csv,dta} and panel.sources.json."""

from __future__ import annotations

from analysis import config
from analysis.etl import panel as panel_mod
from analysis.etl import schema
from analysis.io import write_csv, write_dta, write_json, write_parquet

LABELS = {
    "patron": "Patron (ISO3)",
    "client": "Client (ISO3)",
    "client_ccode": "Client COW code",
    "client_name": "Client name",
    "year": "Year",
    "defense_pact": "Defence pact with patron (ATOP; accession)",
    "milex_gdp": "Defence spending % GDP (NATO else SIPRI)",
    "milex_gdp_source": "Source and edition of milex_gdp",
    "milex_gdp_nato": "Defence spending % GDP, NATO table 3",
    "milex_gdp_sipri": "Military expenditure % GDP, SIPRI",
    "troops": "US active-duty troops assigned (DMDC, Sept. report)",
    "us_tiv": "US major arms delivered, SIPRI TIV m",
    "ideal_distance": "|UNGA ideal point client - patron| (Voeten 2025)",
    "un_agree_us": "Share of UNGA roll calls voting as patron",
}


def run() -> dict:
    df, meta = panel_mod.build()
    df = schema.validate(df, meta["domains"])
    meta["coverage"] = schema.coverage(
        df, [c for c in df.columns if c not in ("patron", "client", "year")]
    )
    meta["rows"] = len(df)
    meta["clients"] = sorted(df.client.unique())
    out = config.processed_dir()
    write_parquet(out / "panel.parquet", df)
    write_csv(out / "panel.csv", df)
    write_dta(out / "panel.dta", df, LABELS)
    write_json(out / "panel.sources.json", meta)
    return {"rows": len(df), "clients": df.client.nunique(), "years": meta["years"]}

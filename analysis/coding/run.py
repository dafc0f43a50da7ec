"""The `code` stage: codebook track + rules track -> coded_periods, coded_years, and the tables
that check them (four_cases.csv = the paper's Tables 10-11; agreement; codebook coverage).

coded_periods and coded_years are written as Parquet, CSV and Stata .dta (variable labels from
config/dictionary.yaml), followed by the data dictionary of all shipped tables
(data/processed/data_dictionary.{csv,md}).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import config
from analysis.coding import agreement, codebook, dictionary, levels, rules
from analysis.errors import InputError
from analysis.io import write_csv, write_dta, write_table, write_text

IND = list(config.indicators())
PAPER_CASES = ["POL", "DEU", "JPN", "PHL"]


def _levels(codes: dict[str, int | None], agg: dict) -> dict[str, object]:
    bs = [codes.get(k) for k in IND[:3]]
    ie = [codes.get(k) for k in IND[3:9]]
    sg = [codes.get(k) for k in IND[9:]]
    b = levels.burden_sharing(bs, agg["bs_high_min"])
    i = levels.interest_exchange(ie, agg["ie_high_min"])
    i4 = levels.interest_exchange(ie, agg["ie_high_min_alternative"])
    g = levels.guarantee(sg, agg["sg_high_min"], agg["sg_limited_min"])
    return {
        "bs_met": sum(c == 1 for c in bs),
        "ie_met": sum(c == 1 for c in ie),
        "sg_met": sum(c == 1 for c in sg),
        "n_unknown": sum(c is None for c in bs + ie + sg),
        "burden_sharing": b,
        "interest_exchange": i,
        "interest_exchange_alt": i4,
        "guarantee": g,
        "predicted": levels.prediction(b, i),
        "predicted_alt": levels.prediction(b, i4),
        "cell": levels.hypothesis(b, i),
    }


def measured_levels(df: pd.DataFrame, mg: dict) -> pd.DataFrame:
    """guarantee_measured, bs_measured, ie_measured from the measured components (unknown-aware)."""

    def row_level(r: pd.Series, comps: list[str], kind: str) -> str | None:
        codes = [None if pd.isna(r[c]) else int(r[c]) for c in comps]
        if kind == "guarantee":
            return levels.guarantee(codes, mg["high_min"], mg["limited_min"])
        return levels.binary_level(codes, mg[f"{kind}_high_min"])

    out = df.copy()
    out["guarantee_measured"] = [
        row_level(r, mg["components"], "guarantee") for _, r in df.iterrows()
    ]
    out["bs_measured"] = [row_level(r, mg["bs_components"], "bs") for _, r in df.iterrows()]
    out["ie_measured"] = [row_level(r, mg["ie_components"], "ie") for _, r in df.iterrows()]
    return out


def codebook_rows(dyads: list[codebook.Dyad], agg: dict) -> pd.DataFrame:
    rows = []
    for d in dyads:
        for p in d.periods:
            codes = p.codes()
            rows.append(
                {
                    "patron": d.patron,
                    "client": d.client,
                    "period": p.id,
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "track": "codebook",
                    **codes,
                    **_levels(codes, agg),
                    "coder": p.coder,
                }
            )
    return pd.DataFrame(rows)


def rules_rows(panel: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    params, agg = cfg["rules"], cfg["aggregation"]
    medians = {
        c: rules.allied_median(panel, c)
        for c in ("ideal_distance", "un_agree_us", "un_agree_us_important")
    }
    periods = cfg["periods"]
    rows = []
    for client in sorted(panel.client.unique()):
        patron = panel.patron.iloc[0]
        for per in periods:
            y0, y1 = per["years"]
            prev = (y0 - (y1 - y0 + 1), y0 - 1)
            c = rules.period_codes(panel, client, (y0, y1), prev, params, medians)
            codes = {k: c.get(k) for k in IND}
            span = panel[(panel.client == client) & panel.year.between(y0, y1)]
            t = span.troops.astype(float).dropna()
            sg1l = None if t.empty else int(t.mean() >= params["SG1L"]["min_troops"])
            rows.append(
                {
                    "patron": patron,
                    "client": client,
                    "period": per["id"],
                    "start": str(per["start"]),
                    "end": str(per["end"]),
                    "track": "rules",
                    **codes,
                    **_levels(codes, agg),
                    "coder": "rules (config/rules.yaml)",
                    "SG1L": sg1l,
                }
            )
    return pd.DataFrame(rows)


def four_cases(periods: pd.DataFrame) -> pd.DataFrame:
    cb = periods[(periods.track == "codebook") & (periods.period == "trump")].set_index("client")
    missing = [c for c in PAPER_CASES if c not in cb.index]
    if missing:
        raise InputError(
            config.codebook_dir(),
            f"USA-{missing[0]}.yaml: periods[trump]",
            "the paper's case is missing",
            "restore the trump period of the four paper cases",
        )
    order = (
        IND[:3]
        + ["burden_sharing"]
        + IND[3:9]
        + ["interest_exchange", "interest_exchange_alt"]
        + IND[9:]
        + ["guarantee", "predicted", "cell"]
    )
    rows = []
    for item in order:
        r = {"row": item}
        for c in PAPER_CASES:
            v = cb.loc[c, item]
            r[c] = (
                ("x" if v == 1 else "")
                if item in IND
                else ("" if v is None or (isinstance(v, float) and np.isnan(v)) else v)
            )
        rows.append(r)
    return pd.DataFrame(rows)


def coverage(dyads: list[codebook.Dyad]) -> pd.DataFrame:
    rows = []
    for d in dyads:
        for ind in IND:
            items = [getattr(p, ind) for p in d.periods]
            coded = [i for i in items if i.code is not None]
            verified = [i for i in coded if any(e.verified for e in i.evidence)]
            conf = pd.Series([i.confidence for i in items]).value_counts()
            rows.append(
                {
                    "dyad": f"{d.patron}-{d.client}",
                    "indicator": ind,
                    "periods": len(items),
                    "share_coded": round(len(coded) / len(items), 4),
                    "share_verified": round(len(verified) / len(coded), 4) if coded else None,
                    "high": int(conf.get("high", 0)),
                    "medium": int(conf.get("medium", 0)),
                    "low": int(conf.get("low", 0)),
                }
            )
    return pd.DataFrame(rows)


def coded_years(panel: pd.DataFrame, periods_cb: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    yc = rules.year_codes(panel, cfg["rules"])
    yc = measured_levels(yc, cfg["measured_guarantee"])
    per_of_year = {
        y: p["id"] for p in cfg["periods"] for y in range(p["years"][0], p["years"][1] + 1)
    }
    yc["period"] = yc.year.map(per_of_year)
    cb = periods_cb[
        IND + ["client", "period", "burden_sharing", "interest_exchange", "guarantee"]
    ].copy()
    cb = cb.rename(
        columns={c: f"cb_{c}" for c in IND + ["burden_sharing", "interest_exchange", "guarantee"]}
    )
    out = yc.merge(cb, on=["client", "period"], how="left")
    return out.sort_values(["patron", "client", "year"]).reset_index(drop=True)


def _ints(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    for c in cols:
        if c in df:
            df[c] = pd.array([None if pd.isna(v) else int(v) for v in df[c]], dtype="Int8")
    return df


def run() -> dict:
    cfg = config.load_yaml("rules")
    panel_path = config.processed_dir() / "panel.parquet"
    if not panel_path.exists():
        raise InputError(panel_path, "", "panel not found", "run `make panel` first")
    panel = pd.read_parquet(panel_path)
    dyads = codebook.load_all()
    cb = codebook_rows(dyads, cfg["aggregation"])
    ru = rules_rows(panel, cfg)
    periods = pd.concat([cb, ru], ignore_index=True)
    periods = _ints(periods, IND + ["SG1L"])
    periods = periods.sort_values(["patron", "client", "start", "track"]).reset_index(drop=True)
    years = coded_years(panel, _ints(cb.copy(), IND), cfg)
    years = _ints(years, [f"cb_{c}" for c in IND])
    agree = agreement.per_indicator(periods, list(rules.MEASURED))
    disagree = agreement.disagreements(periods, list(rules.MEASURED))
    # Every column documented (config/dictionary.yaml) before anything is written, the panel's
    # too, since the data dictionary written below describes it.
    out = config.processed_dir()
    dictionary.check("panel", panel.columns, dictionary.panel_sources(out))
    tables = {"coded_periods": periods, "coded_years": years}
    for name, df in tables.items():
        dictionary.check(name, df.columns)
    for name, df in tables.items():
        write_table(out / name, df)
        write_dta(
            out / f"{name}.dta",
            df.rename(columns=dictionary.stata_names(name)),
            dictionary.labels(name),
        )
    dd = dictionary.build(out)
    write_csv(out / "data_dictionary.csv", dd)
    write_text(out / "data_dictionary.md", dictionary.markdown(dd))
    rep = config.reports_dir()
    write_csv(rep / "four_cases.csv", four_cases(periods))
    write_csv(rep / "track_agreement.csv", agree)
    write_csv(rep / "track_disagreements.csv", disagree)
    write_csv(rep / "codebook_coverage.csv", coverage(dyads))
    return {
        "dyad_periods_codebook": len(cb),
        "dyad_periods_rules": len(ru),
        "dyad_years": len(years),
    }

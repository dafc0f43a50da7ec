"""The `code` stage: codebook track + rules track -> coded_periods, coded_years, and the tables
that check them (four_cases.csv = the paper's Tables 10-11; agreement; codebook coverage).

coded_periods and coded_years are written as Parquet, CSV and Stata .dta (variable labels from
config/dictionary.yaml), followed by the data dictionary of all shipped tables
(data/processed/data_dictionary.{csv,md}).

Every output is computed first and all are written as one unit (analysis.io.write_files_together):
a failure or a kill midway leaves the previous outputs as they were, never a mix of new and old.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config, dictionary, io
from analysis.coding import (
    agreement,
    codebook,
    hosts,
    latent,
    latent_validation,
    levels,
    panel_evidence,
    reliability,
    rules,
    sampling,
    validity,
)
from analysis.errors import InputError
from analysis.io import (
    csv_bytes,
    dta_bytes,
    parquet_bytes,
    table_bytes,
    text_bytes,
    with_record,
    write_csv,
    write_files_together,
)

IND = list(config.indicators())
RECORD = "code_outputs.json"  # in data/processed/: sha256 of every file this stage writes


def paper_cases() -> list[str]:
    """The paper's four cases, in the order of its Tables 10-11 (config/models.yaml)."""
    cases = config.load_yaml("models").get("robustness", {}).get("paper_cases")
    if not (isinstance(cases, list) and cases and all(isinstance(c, str) for c in cases)):
        raise InputError(
            config.config_dir() / "models.yaml",
            "robustness.paper_cases",
            f"expected a list of ISO3 codes, got {cases!r}",
            "restore [POL, DEU, JPN, PHL] (the paper's Tables 10-11)",
        )
    return cases


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
            grades = p.grades()
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
                    **{f"{k}_grade": g for k, g in grades.items()},
                    **_grade_sums(grades),
                }
            )
    return pd.DataFrame(rows)


def _grade_sums(grades: dict[str, int | None]) -> dict[str, int | None]:
    """Sums of the -1/0/+1 grades per variable: the finer ordinal measure (NA if any unknown)."""
    out = {}
    for name, ks in (("bs", IND[:3]), ("ie", IND[3:9]), ("sg", IND[9:])):
        vals = [grades[k] for k in ks]
        out[f"{name}_grade_sum"] = None if any(v is None for v in vals) else sum(vals)
    return out


def check_clients(dyads: list[codebook.Dyad], panel: pd.DataFrame) -> None:
    """Every codebook client must be a client of the panel (ISO3), or the stage stops."""
    import difflib

    known = sorted(panel.client.unique())
    for d in dyads:
        if d.client not in known:
            near = difflib.get_close_matches(d.client, known, n=3, cutoff=0.3)
            raise InputError(
                config.codebook_dir() / f"{d.patron}-{d.client}.yaml",
                "client",
                f"client {d.client!r} is not a client of the panel"
                + (f" (nearest ISO3 codes in the panel: {', '.join(near)})" if near else ""),
                "use the client's ISO3 code; to add a new client, list it in config/panel.yaml "
                "clients.extra and rerun `make panel` (docs/adding_a_dyad.md)",
            )


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
    cases = paper_cases()
    missing = [c for c in cases if c not in cb.index]
    if missing:
        raise InputError(
            config.codebook_dir(),
            f"USA-{missing[0]}.yaml: periods[trump]",
            "the paper's case is missing (config/models.yaml robustness.paper_cases)",
            "restore the trump period of the four paper cases: without it Tables 10-11 cannot be "
            "reproduced",
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
        for c in cases:
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
            coded = [i for i in items if i.grade is not None]
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
    from analysis.schemas import check_stage

    check_stage("code")  # rules, dictionary, reliability, measurement: before anything is read
    hosts.check()
    cfg = config.load_yaml("rules")
    panel_path = config.processed_dir() / "panel.parquet"
    panel = io.read_parquet(panel_path, "panel")
    dyads = codebook.load_all()
    check_clients(dyads, panel)
    files = {d.client: config.codebook_dir() / f"{d.patron}-{d.client}.yaml" for d in dyads}
    n_checked = panel_evidence.check(dyads, files, panel)
    cb = codebook_rows(dyads, cfg["aggregation"])
    ru = rules_rows(panel, cfg)
    periods = pd.concat([cb, ru], ignore_index=True)
    grade_cols = [f"{k}_grade" for k in IND] + ["bs_grade_sum", "ie_grade_sum", "sg_grade_sum"]
    periods = _ints(periods, IND + ["SG1L"] + grade_cols)
    periods = periods.sort_values(["patron", "client", "start", "track"]).reset_index(drop=True)
    fc = four_cases(periods)  # before any write: a missing paper case stops the stage cleanly
    years = coded_years(panel, _ints(cb.copy(), IND), cfg)
    years = _ints(years, [f"cb_{c}" for c in IND])
    agree = agreement.per_indicator(periods, list(rules.MEASURED))
    disagree = agreement.disagreements(periods, list(rules.MEASURED))
    # Every column documented (config/dictionary.yaml) before anything is written, the panel's
    # too, since the data dictionary written below describes it.
    out = config.processed_dir()
    dictionary.check("panel", panel.columns, dictionary.panel_sources(out))
    lat = latent.run(panel)
    tables = {"coded_periods": periods, "coded_years": years, "guarantee_latent": lat["scores"]}
    for name, df in tables.items():
        dictionary.check(name, df.columns)
    # everything that can fail on bad input is computed before the first write
    rep = config.reports_dir()
    cb_out = periods[periods.track == "codebook"]
    measures = validity.period_measures(panel, cfg["periods"])
    checks = {
        "validity_convergent": validity.convergent(cb_out, measures),
        "known_groups": validity.known_groups(cb_out, validity.load_events()),
        "grade_distribution": validity.distributions(cb_out),
        "cells": validity.cells(cb_out),
        "evidence_quality": evidence_quality(dyads),
    }
    rel = reliability.run(cfg["aggregation"], dyads) or {}
    audit_summary = sampling.audit_summary()
    if audit_summary is not None:
        checks["audit_summary"] = audit_summary
    checks |= latent_validation.tables(lat, cb_out, panel)
    files: dict[Path, bytes] = {}
    for name, df in tables.items():
        files |= table_bytes(out / name, df)
        files[out / f"{name}.dta"] = dta_bytes(
            df.rename(columns=dictionary.stata_names(name)), dictionary.labels(name)
        )
    files[out / "guarantee_latent_draws.parquet"] = parquet_bytes(lat["draws"])
    dd = _dictionary(out, files)
    files[out / "data_dictionary.csv"] = csv_bytes(dd)
    files[out / "data_dictionary.md"] = text_bytes(dictionary.markdown(dd))
    reports = {
        **checks,
        **rel,
        "four_cases": fc,
        "track_agreement": agree,
        "track_disagreements": disagree,
        "codebook_coverage": coverage(dyads),
    }
    for name, df in reports.items():
        files[rep / f"{name}.csv"] = csv_bytes(df)
    write_files_together(with_record(files, out / RECORD, config.root()))
    return {
        "dyad_periods_codebook": len(cb),
        "dyad_periods_rules": len(ru),
        "dyad_years": len(years),
        "panel_values_checked": n_checked,
        "reliability": "computed" if rel else "no double coding committed",
    }


def _dictionary(out: Path, files: dict[Path, bytes]) -> pd.DataFrame:
    """The data dictionary of the tables about to be written: dictionary.build reads Parquet
    schemas from a folder, so give it one holding the new tables and the panel's files."""
    with tempfile.TemporaryDirectory(prefix="analysis-dictionary-") as tmp:
        stage = Path(tmp)
        for name in ("panel.parquet", "panel.sources.json"):
            os.symlink(out / name, stage / name)
        for path, data in files.items():
            if path.suffix == ".parquet" and path.parent == out:
                (stage / path.name).write_bytes(data)
        return dictionary.build(stage)


def evidence_quality(dyads: list[codebook.Dyad]) -> pd.DataFrame:
    """Web evidence by source quality, and items marked retrospective, per dyad and overall."""
    rows = []
    for d in dyads:
        web = [e for p in d.periods for k in IND for e in getattr(p, k).evidence if e.kind == "web"]
        allev = [e for p in d.periods for k in IND for e in getattr(p, k).evidence]
        rows.append(
            {
                "dyad": f"{d.patron}-{d.client}",
                "web_items": len(web),
                "official": sum(e.source_quality == "official" for e in web),
                "reputable": sum(e.source_quality == "reputable" for e in web),
                "weak": sum(e.source_quality == "weak" for e in web),
                "retrospective": sum(e.retrospective for e in allev),
                "all_items": len(allev),
            }
        )
    df = pd.DataFrame(rows)
    total = df.drop(columns="dyad").sum().to_dict() | {"dyad": "all"}
    df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    df["share_weak"] = (df.weak / df.web_items.where(df.web_items > 0)).round(4)
    return df


def freeze_first() -> str:
    """Write data/double_coding/first_grades.csv from the current codebook (done once, before
    the first and second codes are compared; committed, never rewritten after adjudication)."""
    cfg = config.load_yaml("reliability")["double_coding"]
    out = config.root() / "data" / "double_coding" / "first_grades.csv"
    if out.exists():
        raise InputError(
            out,
            "",
            "already frozen: the first codes are compared as they were before adjudication",
            "delete the file only if the whole double coding is redone",
        )
    sample = pd.read_csv(config.root() / cfg["sample_file"])
    first = reliability.first_coder_grades(codebook.load_all(), sample)
    first["grade"] = first["grade"].astype("Int64")
    write_csv(out, first)
    return f"{len(first)} grades frozen -> {out}"

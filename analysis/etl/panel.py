"""The patron-client dyad-year panel, peacesciencer-style: a skeleton, then one add_<source>.

Each adder merges one source onto the skeleton, fills zeros only inside the source's years where
the source says 'none' (e.g. SIPRI TIV: a recipient missing from the table had no deliveries),
and leaves NA outside the source's coverage. Each adder also records its provenance in
`SOURCES` (column -> source id, file, sheet, key), written next to the panel as
panel.sources.json, and keeps the publisher row of every value in a *_row column.
"""

from __future__ import annotations

import datetime as dt
import difflib

import numpy as np
import pandas as pd

from analysis import config, schemas
from analysis.errors import InputError
from analysis.etl import (
    alliances,
    countries,
    milcon,
    nato,
    nmc,
    ohist,
    sipri_milex,
    sipri_tiv,
    troops,
    unga,
    unga_votes,
    validation_sources,
)
from analysis.fetch import raw_path, verify_raw
from analysis.fetch import source_by_id as by_id


def _src(source_id: str, file: str | None = None) -> dict:
    s = by_id(source_id)
    f = next((x for x in s.files if x.file == file), s.files[0])
    return {
        "source_id": s.id,
        "edition": s.edition,
        "file": f"data/raw/{s.id}/{f.file}",
        "sha256": f.sha256,
    }


SOURCES: dict[str, dict] = {}


def _trace(col: str, source_id: str, file: str | None = None, **kw) -> None:
    SOURCES[col] = {**_src(source_id, file), **kw}


# ----------------------------------------------------------------------------------- skeleton
def skeleton(cfg: dict, atop: pd.DataFrame, states: pd.DataFrame, end_year: int) -> pd.DataFrame:
    """One row per client and year in which the client is an independent state."""
    start = int(cfg["years"]["start"])
    patron = cfg["patron"]
    pact = atop[(atop.atop_defense == 1) & (atop.year >= start)]
    iso = {c: countries.ccode_to_iso3(c) for c in pact.ccode.unique()}
    clients = {i for i in iso.values() if i}
    clients |= {k for k, d in cfg["nato_accession"].items() if _year(d) <= end_year}
    extra = cfg["clients"].get("extra") or []
    exclude = cfg["clients"].get("exclude") or []
    for i, c in enumerate(extra):  # a hand-added client must be a state of the system
        if not any(countries.iso3_to_ccode(c, y) for y in range(start, end_year + 1)):
            raise InputError(
                config.config_dir() / "panel.yaml",
                f"clients.extra[{i}]",
                f"{c!r} has no COW country code in any year {start}-{end_year}",
                "use the client's ISO3 code (config/country_overrides.csv maps names to codes)",
            )
    for i, c in enumerate(exclude):  # an exclusion naming no state at all is a typo
        if c not in clients | set(extra) and not any(
            countries.iso3_to_ccode(c, y) for y in range(start, end_year + 1)
        ):
            near = difflib.get_close_matches(c, sorted(clients), n=3, cutoff=0.3)
            raise InputError(
                config.config_dir() / "panel.yaml",
                f"clients.exclude[{i}]",
                f"{c!r} is not a client of the panel, nor a state with a COW country code in "
                f"{start}-{end_year}, so excluding it changes nothing"
                + (f" (nearest clients: {', '.join(near)})" if near else ""),
                "use the ISO3 code of a client, or remove the entry",
            )
    clients |= set(extra)
    clients -= set(exclude) | {patron}
    # COW system membership spells per code; the list's last end year means "still a member"
    last_end = states.endyear.max()
    spells: dict[int, list[tuple[int, int]]] = {}
    for cc, st, en in zip(states.ccode, states.styear, states.endyear, strict=True):
        spells.setdefault(int(cc), []).append((int(st), int(en)))
    rows = []
    for c in sorted(clients):
        for y in range(start, end_year + 1):
            cc = countries.iso3_to_ccode(c, y)
            if cc is None:
                continue
            if not any(st <= y and (en >= y or en == last_end) for st, en in spells.get(cc, ())):
                continue
            rows.append(
                {
                    "patron": patron,
                    "client": c,
                    "client_ccode": cc,
                    "client_name": countries.iso3_to_name(c),
                    "year": y,
                }
            )
    SOURCES["client_ccode"] = {
        **_src("cow-states-2016"),
        "rule": "COW code of the client in that year (config/ccode_overrides.csv: Germany 255 from 1990)",
    }
    SOURCES["year"] = {
        **_src("cow-states-2016"),
        "rule": "years in which the client is a COW system member; the 2016 list's end year means 'still a member'",
    }
    return pd.DataFrame(rows)


def _year(d: object) -> int:
    return d.year if isinstance(d, (dt.date, dt.datetime)) else int(str(d)[:4])


# ----------------------------------------------------------------------------------- adders
def add_alliances(panel: pd.DataFrame, atop: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    a = atop.rename(columns={"ccode": "client_ccode"})
    out = panel.merge(a, on=["client_ccode", "year"], how="left")
    atop_last = int(atop.year.max())  # the source's own last year (2018 in ATOP 5.1)
    in_atop = out.year <= atop_last
    out["defense_pact"] = np.where(in_atop, out.atop_defense.fillna(0), np.nan)
    out["defense_pact_source"] = np.where(in_atop, "atop-5.1", None)
    last = out[out.year == atop_last].set_index("client").defense_pact
    acc = {k: _year(v) for k, v in cfg["nato_accession"].items()}
    after = ~in_atop
    nato_member = out.client.map(acc).le(out.year)
    out.loc[after & nato_member, ["defense_pact", "defense_pact_source"]] = [1, "nato-accession"]
    carried = after & ~nato_member & out.client.map(last).eq(1)
    out.loc[carried, ["defense_pact", "defense_pact_source"]] = [
        1,
        f"atop-5.1 pact in force in {atop_last}, carried forward",
    ]
    out["defense_pact"] = out.defense_pact.astype("Int8")
    out["nato_member"] = out.client.map(acc).le(out.year).astype("Int8")
    out = out.drop(columns="atop_defense")
    _trace(
        "defense_pact",
        "atop-5.1",
        key="ccode1 = patron, ccode2 = client_ccode, year; atop_defense",
        rule=f"ATOP to {atop_last}; later years only from NATO accession dates (config/panel.yaml) or a pact in force in {atop_last}; otherwise NA",
    )
    SOURCES["nato_member"] = {
        "source_id": "config/panel.yaml",
        "rule": "NATO accession year <= year (NATO 'Member countries' page)",
    }
    return out


def add_nato(panel: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    wide = df.pivot_table(
        index=["iso3", "year"], columns="variable", values="value", aggfunc="first"
    )
    g = df[df.variable == "milex_gdp_nato"].set_index(["iso3", "year"])
    wide["milex_gdp_nato_estimate"] = g.estimate.astype("Int8")
    wide["milex_gdp_nato_edition"] = "nato-" + g.edition
    wide["milex_gdp_nato_row"] = g["row"]
    wide = wide.reset_index().rename(columns={"iso3": "client"})
    out = panel.merge(wide, on=["client", "year"], how="left")
    for var in df.variable.unique():
        sheet = df[df.variable == var].sheet.iloc[0]
        block = df[df.variable == var].block.iloc[0]
        _trace(
            var,
            "nato-2024",
            sheet=sheet,
            block=block,
            key="Ally label (footnote markers stripped) x year header",
            row_column="milex_gdp_nato_row" if var == "milex_gdp_nato" else None,
            estimate_flag_column="milex_gdp_nato_estimate",  # one year header per edition: 'e' years
            price_base=None
            if df[df.variable == var].price_base.isna().all()
            else int(df[df.variable == var].price_base.max()),
        )
    return out


def add_sipri_milex(panel: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    g = df[df.variable == "milex_gdp_sipri"].set_index(["iso3", "year"])
    u = df[df.variable == "milex_usd_sipri"].set_index(["iso3", "year"])
    w = pd.DataFrame(
        {
            "milex_gdp_sipri": g.value,
            "milex_gdp_sipri_na_reason": g.na_reason,
            "milex_gdp_sipri_row": g["row"],
            "milex_usd_sipri": u.value,
        }
    ).reset_index()
    out = panel.merge(w.rename(columns={"iso3": "client"}), on=["client", "year"], how="left")
    lo, hi = int(g.reset_index().year.min()), int(g.reset_index().year.max())
    absent = (
        out.milex_gdp_sipri.isna() & out.milex_gdp_sipri_na_reason.isna() & out.year.between(lo, hi)
    )
    out.loc[absent, "milex_gdp_sipri_na_reason"] = "client not in the SIPRI workbook"
    _trace(
        "milex_gdp_sipri",
        "sipri-milex-2025",
        sheet=g.sheet.iloc[0],
        key="Country x year; value x 100 (SIPRI publishes a fraction)",
        row_column="milex_gdp_sipri_row",
    )
    _trace(
        "milex_usd_sipri",
        "sipri-milex-2025",
        sheet=u.sheet.iloc[0],
        key="Country x year (US$ m, constant prices)",
    )
    return out


def combine_milex(panel: pd.DataFrame, nato_id: str, sipri_id: str) -> pd.DataFrame:
    """NATO's figure where the client is in the NATO table, else SIPRI's; milex_gdp_source names
    the source id (config/sources.yaml) each value came from."""
    nato_ok = panel.milex_gdp_nato.notna()
    panel["milex_gdp"] = panel.milex_gdp_nato.where(nato_ok, panel.milex_gdp_sipri)
    panel["milex_gdp_source"] = np.where(
        nato_ok,
        panel.milex_gdp_nato_edition,
        np.where(panel.milex_gdp_sipri.notna(), sipri_id, None),
    )
    SOURCES["milex_gdp"] = {
        "source_id": f"{nato_id} | {sipri_id}",
        "rule": "NATO TABLE3 where the client is in it, else SIPRI share of GDP x 100; see milex_gdp_source",
    }
    return panel


def add_troops(panel: pd.DataFrame, df: pd.DataFrame, rule: str) -> pd.DataFrame:
    t = df.rename(columns={"iso3": "client", "line": "troops_line", "report": "troops_report"})
    t = t.drop_duplicates(
        ["client", "year"], keep="first"
    )  # Germany: one ccode (260) in the rebuild
    out = panel.merge(
        t[["client", "year", "troops", "troops_note", "troops_report", "troops_line"]],
        on=["client", "year"],
        how="left",
    )
    lo, hi = int(df.year.min()), int(df.year.max())
    absent = out.troops.isna() & out.troops_note.isna() & out.year.between(lo, hi)
    out.loc[absent, "troops_note"] = "client not listed in the troopdata rebuild: NA"
    _trace(
        "troops",
        "troopdata-2026",
        key=f"ccode x year, month = {rule} report; troops_ad",
        rule=troops.META,
        row_column="troops_line",
    )
    return out


def add_tiv(panel: pd.DataFrame, tiv: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    lo, hi = int(tiv.year.min()), int(tiv.year.max())
    t = tiv.rename(columns={"iso3": "client", "row": "us_tiv_line"})[
        ["client", "year", "us_tiv", "us_tiv_line"]
    ]
    out = panel.merge(t, on=["client", "year"], how="left")
    inside = out.year.between(lo, hi)
    out.loc[inside & out.us_tiv.isna(), "us_tiv"] = (
        0.0  # not in the table: no deliveries identified
    )
    dcols = ["us_deals_ordered", "us_deals_tiv", "us_deals_unvalued"]
    d = deals.rename(columns={"iso3": "client"})[["client", "year", *dcols]]
    out = out.merge(d, on=["client", "year"], how="left")
    for c in dcols:  # no register row inside the register's years: no US deal ordered
        out.loc[inside & out[c].isna(), c] = 0
    out["us_deals_ordered"] = out.us_deals_ordered.astype("Int64")
    out["us_deals_unvalued"] = out.us_deals_unvalued.astype("Int64")
    out["us_deals_tiv"] = out.us_deals_tiv.astype(float)
    _trace(
        "us_tiv",
        "sipri-tiv-2024",
        "us_import-export-values.csv",
        key="recipients x year (TIV m); empty = 0 inside 1950-2023",
        row_column="us_tiv_line",
    )
    _trace(
        "us_deals_ordered",
        "sipri-tiv-2024",
        "trade-register.csv",
        key="count of rows with Supplier = United States by Recipient x Year of order",
    )
    _trace(
        "us_deals_tiv",
        "sipri-tiv-2024",
        "trade-register.csv",
        key="sum of 'SIPRI TIV for total order' over US rows by Recipient x Year of order (TIV m)",
        rule="orders without a TIV are left out of the sum and counted in us_deals_unvalued",
    )
    _trace(
        "us_deals_unvalued",
        "sipri-tiv-2024",
        "trade-register.csv",
        key="count of US orders whose 'SIPRI TIV for total order' is empty",
    )
    return out


def _merge_counts(panel, df, cols, years, fill=0) -> pd.DataFrame:
    """Merge client-year values; fill inside the source's years, NA outside."""
    out = panel.merge(df.rename(columns={"iso3": "client"}), on=["client", "year"], how="left")
    inside = out.year.between(*years)
    for c in cols:
        if fill is not None:
            out.loc[inside & out[c].isna(), c] = fill
        out.loc[~inside, c] = pd.NA
    return out


def add_visits(panel: pd.DataFrame, tables: dict, years: tuple[int, int]) -> pd.DataFrame:
    """Presidential and Secretary of State visits to the client, client leader visits to the US."""
    out = panel
    spec = (
        ("president", "us_pres_visits", "ohist-travels-0.8.4", "president-travels/*.xml"),
        ("secretary", "us_secstate_visits", "ohist-travels-0.8.4", "secretary-travels/*.xml"),
        ("leader", "leader_visits_us", "ohist-visits-0.6.4", "visits/<decade>.xml"),
    )
    for key, col, sid, files in spec:
        cols = [col, f"{col}_bilateral"]
        out = _merge_counts(out, tables[key], cols, years)
        for c in cols:
            out[c] = out[c].astype("Int64")
            _trace(
                c,
                sid,
                key=f"{files}: records by country id x start year"
                + (
                    ", without records whose text says 'attended'/'participated in'"
                    if c.endswith("_bilateral")
                    else ""
                ),
                rule=ohist.__doc__.split("\n\n")[0].replace("\n", " "),
            )
    return out


def add_un_votes_ext(panel: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    out = panel.merge(df.rename(columns={"iso3": "client"}), on=["client", "year"], how="left")
    out["un_votes_ext_n"] = out.un_votes_ext_n.astype("Int64")
    rule = "1 same vote, 0.5 one side abstains, 0 opposite; absent/non-member dropped; TUR NA from 2023-11-01"
    _trace("un_agree_us_ext", "unga-votes-2024", key="(rcid, date) x ISO3 column", rule=rule)
    _trace("un_votes_ext_n", "unga-votes-2024", key="roll calls where both client and patron voted")
    return out


def add_milcon(panel: pd.DataFrame, df: pd.DataFrame, years: tuple[int, int]) -> pd.DataFrame:
    out = _merge_counts(panel, df, ["us_milcon_k"], years)
    out["us_milcon_k"] = out.us_milcon_k.astype(float)
    out = out.rename(columns={"us_milcon_lines": "us_milcon_lines"})
    _trace(
        "us_milcon_k",
        "troopdata-milcon-2021",
        key="sum of spend_construction by ccode x year (US$ thousand, current); lines in us_milcon_lines",
        rule=milcon.__doc__.split("\n\n")[1].replace("\n", " "),
    )
    return out


def add_validation(
    panel, statements, st_years, exercises, ex_years, signals=None, sig_years=None
) -> pd.DataFrame:
    out = _merge_counts(
        panel, statements, ["us_reassurance_statements", "us_reassurance_row"], st_years, fill=None
    )
    out = _merge_counts(out, exercises, ["us_exercises_mme"], ex_years)
    out["us_exercises_mme"] = out.us_exercises_mme.astype("Int64")
    out["us_reassurance_statements"] = out.us_reassurance_statements.astype(float)
    out["us_reassurance_row"] = out.us_reassurance_row.astype("Int64")
    _trace(
        "us_reassurance_statements",
        "blankenship-2020",
        key="ccode x year; statements_americas (NA = not a US ally / not coded)",
        row_column="us_reassurance_row",
        rule="validation only",
    )
    _trace(
        "us_exercises_mme",
        "mme-7",
        key="distinct MMEID per gwcode x year among exercises with the US (gwcode 2)",
        rule="validation only; 0 inside 1980-2010",
    )
    if signals is not None:
        cols = list(validation_sources.MN_COLUMNS.values())
        out = _merge_counts(out, signals, cols, sig_years, fill=None)
        for c, src in zip(cols, validation_sources.MN_COLUMNS, strict=True):
            out[c] = out[c].astype(float)
            _trace(
                c,
                "mcmanus-nieman-2019",
                key=f"ccode x year; {src}",
                rule="validation only; to 2010 (2011-2012 are zeros for every country)",
            )
    return out


def add_unga(
    panel: pd.DataFrame, ideal: pd.DataFrame, agree: pd.DataFrame, column: str
) -> pd.DataFrame:
    i = ideal.rename(columns={"ccode": "client_ccode", "row": "ideal_point_row"})
    out = panel.merge(i, on=["client_ccode", "year"], how="left")
    out = out.merge(agree.rename(columns={"iso3": "client"}), on=["client", "year"], how="left")
    _trace(
        "ideal_distance",
        "voeten-2025",
        key=f"ccode x year; |{column}(client) - {column}(patron)|",
        row_column="ideal_point_row",
    )
    _trace(
        "un_agree_us",
        "unvotes-2021",
        "un_votes.rda",
        key="rcid; share of roll calls in the year where client and patron cast the same vote (both voting)",
    )
    _trace(
        "un_agree_us_important",
        "unvotes-2021",
        "un_roll_calls.rda",
        key="as un_agree_us, roll calls with importantvote = 1",
    )
    return out


def add_nmc(panel: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    out = panel.merge(
        df.rename(columns={"ccode": "client_ccode"}), on=["client_ccode", "year"], how="left"
    )
    _trace("cinc", "cow-nmc-7", key="ccode x year")
    return out


def add_controls(panel: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    tt = {c: k for k, v in cfg["treaty_type"].items() for c in v}
    region = {c: countries.iso3_to_region(c) for c in panel.client.unique()}
    panel["region"] = panel.client.map(region)
    nato_clients = set(cfg["nato_accession"])
    panel["treaty_type"] = [
        "nato"
        if c in nato_clients
        else tt.get(c, "rio" if region.get(c) == "Americas" else "other")
        for c in panel.client
    ]
    border = {c for v in cfg["land_border_rival"].values() for c in v}
    panel["border_rival"] = panel.client.isin(border).astype("Int8")
    SOURCES["region"] = {"source_id": "countrycode library", "rule": "continent of the client"}
    SOURCES["treaty_type"] = {
        "source_id": "config/panel.yaml",
        "rule": "nato / bilateral / anzus / manila / rio (Americas) / other",
    }
    SOURCES["border_rival"] = {
        "source_id": "config/panel.yaml",
        "rule": "land border with Russia (incl. Kaliningrad) or China",
    }
    return panel


# ----------------------------------------------------------------------------------- build
COLUMNS = [
    "patron",
    "client",
    "client_ccode",
    "client_name",
    "year",
    "defense_pact",
    "milex_gdp",
    "milex_gdp_source",
    "milex_gdp_nato",
    "milex_gdp_sipri",
    "troops",
    "us_tiv",
    "ideal_distance",
    "un_agree_us",
]


def latest_year(sipri: pd.DataFrame, patron: str) -> int:
    g = sipri[(sipri.variable == "milex_gdp_sipri") & (sipri.iso3 == patron) & sipri.value.notna()]
    return int(g.year.max())


def build() -> tuple[pd.DataFrame, dict]:
    SOURCES.clear()
    cfg = schemas.validate("panel", schemas.Panel)
    verify_raw()  # the files parsed below are the editions the manifest records
    pc = int(cfg["patron_ccode"])
    atop = alliances.load_atop(raw_path("atop-5.1"), pc)
    states = alliances.load_states(raw_path("cow-states-2016"))
    nato_id, sipri_id = "nato-2024", "sipri-milex-2025"
    nato_df = nato.load(nato_id)
    sipri = sipri_milex.load(sipri_id)
    end = cfg["years"]["end"]
    last = latest_year(sipri, cfg["patron"])
    if end != "latest" and int(end) > last:
        raise InputError(
            config.config_dir() / "panel.yaml",
            "years.end",
            f"{end} is after the last year with the patron's military-expenditure data ({last}, "
            f"source {sipri_id})",
            f"set years.end to latest or to a year up to {last}",
        )
    end_year = last if end == "latest" else int(end)
    tiv, deals = sipri_tiv.load("sipri-tiv-2024")
    tr = troops.load(raw_path("troopdata-2026"), cfg["troops"]["rule"])
    col = cfg["unga"]["ideal_point"]
    ideal = unga.load_ideal_points(raw_path("voeten-2025"), pc, col)
    agree = unga.load_agreement(
        raw_path("unvotes-2021", "un_votes.rda"),
        raw_path("unvotes-2021", "un_roll_calls.rda"),
        cfg["patron"],
    )
    cinc = nmc.load(raw_path("cow-nmc-7"))
    vyears = (int(cfg["years"]["start"]), min(end_year, int(cfg["ohist"]["last_year"])))
    visit_tables = ohist.load(vyears)
    milcon_df, milcon_years = milcon.load(raw_path("troopdata-milcon-2021"))
    st, st_years = validation_sources.load_statements(raw_path("blankenship-2020"))
    ex, ex_years = validation_sources.load_exercises(raw_path("mme-7"))
    sig, sig_years = validation_sources.load_signals(raw_path("mcmanus-nieman-2019"))

    p = skeleton(cfg, atop, states, end_year)
    p = add_alliances(p, atop, cfg)
    p = add_nato(p, nato_df)
    p = add_sipri_milex(p, sipri)
    p = combine_milex(p, nato_id, sipri_id)
    p = add_troops(p, tr, cfg["troops"]["rule"])
    p = add_tiv(p, tiv, deals)
    p = add_unga(p, ideal, agree, col)
    p = add_nmc(p, cinc)
    votes_ext = unga_votes.load(
        raw_path("unga-votes-2024"), cfg["patron"], sorted(p.client.unique())
    )
    p = add_un_votes_ext(p, votes_ext)
    p = add_visits(p, visit_tables, vyears)
    p = add_milcon(p, milcon_df, milcon_years)
    p = add_validation(p, st, st_years, ex, ex_years, sig, sig_years)
    p = add_controls(p, cfg)
    rest = [c for c in p.columns if c not in COLUMNS]
    p = p[COLUMNS + sorted(rest)].sort_values(["patron", "client", "year"]).reset_index(drop=True)
    # source domains, read from the sources themselves; the schema checks NA against them
    domains = {
        "defense_pact_atop_last": int(atop.year.max()),
        "us_tiv": [int(tiv.year.min()), int(tiv.year.max())],
    }
    meta = {
        "domains": domains,
        "patron": cfg["patron"],
        "years": [int(cfg["years"]["start"]), end_year],
        "columns": dict(SOURCES),
    }
    return p, meta

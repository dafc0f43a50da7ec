"""SIPRI Arms Transfers: US TIV by recipient-year, and US deal counts from the trade register.

TIV tables: an empty cell is 'no deliveries identified' (0 within the table's years); '0' is
'below 0.5 m TIV' (kept as 0). Non-state recipients (names ending in '*' or '**') are skipped.
The register does not split TIV by delivery year, so from it we take only the number of US deals
ordered per recipient and year of order.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.etl import countries
from analysis.etl.csvfile import read_after_header, require_columns

SUPPLIER = "United States"


def _nonstate(name: str) -> bool:
    return name.strip().endswith("*")


def load_tiv(path: Path, source_id: str = "sipri-tiv-2024") -> pd.DataFrame:
    df, hdr = read_after_header(path, "supplier,recipients")
    require_columns(df, ["recipients"], path)
    years = [c for c in df.columns if re.fullmatch(r"\d{4}", c)]
    if len(years) < 10:
        raise InputError(
            path, f"line {hdr}", "year columns not found in the header", "check the file layout"
        )
    out, seen = [], {}
    for k, r in df.iterrows():
        name = r["recipients"]
        line = hdr + 1 + int(k)
        if not name.strip() or _nonstate(name):
            continue
        iso = countries.name_to_iso3(name, file=path, where=f"line {line} column 'recipients'")
        if iso == countries.SKIP:
            continue
        if iso in seen:
            raise InputError(
                path,
                f"line {line}",
                f"duplicated recipient {name!r} ({iso}), first at line {seen[iso]}",
                "each recipient must appear once; remove the duplicate",
            )
        seen[iso] = line
        for y in years:
            cell = r[y].strip()
            try:
                v = float(cell) if cell else 0.0
            except ValueError:
                raise InputError(
                    path, f"line {line} column {y}", f"not a number: {cell!r}", "check the file"
                ) from None
            out.append(
                {
                    "iso3": iso,
                    "year": int(y),
                    "us_tiv": v,
                    "label": name,
                    "row": line,
                    "source_id": source_id,
                }
            )
    res = pd.DataFrame(out)
    if (res.us_tiv < 0).any():
        raise InputError(path, "", "negative TIV", "check the file")
    return res


def load_register(path: Path, source_id: str = "sipri-tiv-2024") -> pd.DataFrame:
    """US deals ordered per recipient and year of order (count of register rows)."""
    df, hdr = read_after_header(path, "Recipient,Supplier", encoding="latin-1")
    require_columns(df, ["Recipient", "Supplier", "Year of order"], path)
    df = df[df["Supplier"].str.strip() == SUPPLIER]
    df = df[df["Recipient"].str.strip().ne("") & ~df["Recipient"].map(_nonstate)]
    df = df[df["Year of order"].str.fullmatch(r"\d{4}")]
    iso = {
        n: countries.name_to_iso3(n, file=path, where=f"column 'Recipient' value {n!r}")
        for n in df["Recipient"].unique()
    }
    df = df.assign(iso3=df["Recipient"].map(iso), year=df["Year of order"].astype(int))
    df = df[df.iso3 != countries.SKIP]
    tiv_col = "SIPRI TIV for total order"
    if tiv_col in df.columns:
        raw = df[tiv_col].astype(str).str.strip()
        num = pd.to_numeric(raw.where(raw != ""), errors="coerce")
        bad = num.isna() & (raw != "") & (raw.str.lower() != "nan")
        if bad.any():
            raise InputError(
                path,
                f"column {tiv_col!r}",
                f"{raw[bad].iloc[0]!r} is not a number",
                "the file is damaged or a new layout: fetch it again",
            )
        df = df.assign(tiv_order=num)
    else:
        raise InputError(path, "header", f"missing column {tiv_col!r}", "check the export")
    g = df.groupby(["iso3", "year"])
    out = pd.DataFrame(
        {
            "us_deals_ordered": g.size(),
            # an empty TIV means SIPRI has no value for that order: the sum covers valued orders
            "us_deals_tiv": g.tiv_order.sum(min_count=0),
            "us_deals_unvalued": g.tiv_order.apply(lambda s: int(s.isna().sum())),
        }
    ).reset_index()
    out["source_id"] = source_id
    return out


def load(source_id: str = "sipri-tiv-2024") -> tuple[pd.DataFrame, pd.DataFrame]:
    from analysis.fetch import raw_path

    return (
        load_tiv(raw_path(source_id, "us_import-export-values.csv"), source_id),
        load_register(raw_path(source_id, "trade-register.csv"), source_id),
    )

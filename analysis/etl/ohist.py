"""Office of the Historian (US State Department): trips abroad of the President and of the
Secretary of State, and visits of foreign leaders to the US.

One record per country visited (a tour is several records). The rules, each a small function:
- countries are matched on the record's country `id` slug, through config/ohist_country_ids.csv
  for the documented oddities (`korea`, `somoa`), else the slug's words through the country layer
  (which knows `czech-republic`/`czechia`, `macedonia`/`north-macedonia`, `turkey`/`turkiye`);
  an id that resolves to nothing stops the stage with the file and record id;
- presidential trips count only inside the President's term (presidents.xml office dates), so
  trips as president-elect are dropped;
- successive records of the same traveller in the same country that start within 3 days of the
  previous one's end are one visit (one tour's stops);
- a record whose remarks/description say the traveller "attended" or "participated in" a meeting
  is flagged `multilateral` (summits are coded to the host country); bilateral counts leave them
  out. The flag also catches commemorations attended on a bilateral trip: it is a lower bound on
  the bilateral signal, documented rather than tuned;
- a visit is assigned to the calendar year of its start date.
Counts are zero inside the source's years when a client has no record, NA outside them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis import config, schemas
from analysis.errors import InputError
from analysis.etl import countries

# The source marks a meeting the traveller went to, rather than a bilateral visit, by "Attended
# ..." (SOURCE.md: "Only remarks or description says 'Attended the ...'").
MULTILATERAL = re.compile(r"\b(attended|participated in)\b", re.IGNORECASE)
SAME_VISIT_DAYS = 3


def _text(el: ET.Element | None) -> str:
    return "" if el is None else " ".join("".join(el.itertext()).split())


def _parse(path: Path) -> ET.Element:
    if not path.exists() or path.stat().st_size == 0:
        raise InputError(path, "", "file missing or empty", "run `make fetch` again")
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InputError(
            path,
            f"line {exc.position[0]}",
            f"malformed XML ({exc})",
            "the file is corrupt or truncated: delete it and run `make fetch` again",
        ) from None


def _aliases() -> dict[str, str]:
    return _read_aliases(str(config.config_dir()))


@lru_cache(maxsize=4)
def _read_aliases(config_dir: str) -> dict[str, str]:
    """config/ohist_country_ids.csv, read once per configuration folder."""
    rows = schemas.check_csv("ohist_country_ids.csv", config_dir)  # id and ISO3 shape, no id twice
    return {r["id"]: r["iso3"] for r in rows}


def resolve_country(slug: str, name: str, path: Path, record: str) -> str:
    """ISO3 (or countries.SKIP) for a record's country id."""
    alias = _aliases()
    if slug in alias:
        return alias[slug]
    iso = countries.try_iso3(slug.replace("-", " ")) or countries.try_iso3(name)
    if iso is None:
        raise InputError(
            path,
            f"record id {record}, country id {slug!r} ({name!r})",
            "country id not recognised",
            "add the id to config/ohist_country_ids.csv with its ISO3 code (or '-' for a non-state)",
        )
    return iso


def _date(s: str, path: Path, record: str, field: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(s)
    except (ValueError, TypeError):
        raise InputError(
            path, f"record id {record}, {field}", f"bad date {s!r}", "report it to the publisher"
        ) from None


def load_terms(path: Path) -> pd.DataFrame:
    root = _parse(path)
    rows = []
    for p in root:
        pid = p.get("id") or _text(p.find("id"))
        took, left = _text(p.find("took-office-date")), _text(p.find("left-office-date"))
        if pid and took:
            rows.append(
                {
                    "who": pid,
                    "took": _date(took, path, pid, "took-office-date"),
                    "left": _date(left, path, pid, "left-office-date") if left else pd.NaT,
                }
            )
    if not rows:
        raise InputError(path, "presidents", "no presidency with office dates", "check the file")
    return pd.DataFrame(rows)


def _record(el: ET.Element, path: Path, place: str, text: str, role: str, who: str) -> dict:
    """One trip or visit: dates checked, country resolved, the multilateral flag set."""
    rid = _text(el.find("id"))
    c = el.find(place)
    if c is None:
        raise InputError(path, f"record id {rid}", f"record without <{place}>", "check the file")
    start = _date(_text(el.find("start-date")), path, rid, "start-date")
    end = _date(_text(el.find("end-date")) or str(start.date()), path, rid, "end-date")
    if end < start:
        raise InputError(path, f"record id {rid}", "end-date before start-date", "check it")
    remarks = _text(el.find(text))
    return {
        "role": role,
        "who": who,
        "start": start,
        "end": end,
        "iso3": resolve_country(c.get("id", ""), _text(c), path, rid),
        "remarks": remarks,
        "multilateral": bool(MULTILATERAL.search(remarks)),
        "file": path.name,
        "record": rid,
    }


def load_trips(paths: list[Path]) -> pd.DataFrame:
    """Every trip record: role, who, start, end, iso3, remarks, multilateral, file, record id."""
    return pd.DataFrame(
        [
            _record(
                t, path, "country", "remarks", t.get("role") or _text(t.find("role")), t.get("who")
            )
            for path in paths
            for t in _parse(path)
            if t.tag == "trip"
        ]
    )


def load_visits(paths: list[Path]) -> pd.DataFrame:
    """Every visit of a foreign leader, in the same layout as the trips (role 'leader')."""
    return pd.DataFrame(
        [
            _record(v, path, "from", "description", "leader", _text(v.find("visitor")))
            for path in paths
            for v in _parse(path)
            if v.tag == "visit"
        ]
    )


def drop_president_elect(trips: pd.DataFrame, terms: pd.DataFrame) -> pd.DataFrame:
    """Presidential trips outside the traveller's terms of office (president-elect trips) go."""
    pres = trips.role == "president"
    keep = pd.Series(True, index=trips.index)
    for i in trips.index[pres]:
        t = terms[terms.who == trips.at[i, "who"]]
        s = trips.at[i, "start"]
        keep[i] = bool(((t.took <= s) & (t.left.isna() | (s <= t.left))).any())
    return trips[keep]


def merge_stops(rec: pd.DataFrame) -> pd.DataFrame:
    """Successive records of one traveller in one country, each starting within SAME_VISIT_DAYS
    of the previous one's end, are one visit (kept: the first record)."""
    rec = rec.sort_values(["role", "who", "iso3", "start", "record"]).reset_index(drop=True)
    prev = rec.groupby(["role", "who", "iso3"]).end.shift()
    gap = (rec.start - prev).dt.days
    return rec[~(gap.notna() & (gap <= SAME_VISIT_DAYS))].reset_index(drop=True)


def country_year(rec: pd.DataFrame, prefix: str, years: tuple[int, int]) -> pd.DataFrame:
    """Counts per client-year: all visits and bilateral ones (multilateral left out)."""
    rec = rec[rec.iso3 != countries.SKIP].assign(year=rec.start.dt.year)
    rec = rec[rec.year.between(*years)]
    allv = rec.groupby(["iso3", "year"]).size().rename(prefix)
    bil = rec[~rec.multilateral].groupby(["iso3", "year"]).size().rename(f"{prefix}_bilateral")
    out = pd.concat([allv, bil], axis=1).fillna(0).astype(int).reset_index()
    return out


def load(years: tuple[int, int]) -> dict[str, pd.DataFrame]:
    """The three client-year tables; years = the sources' common coverage (config/panel.yaml)."""
    from analysis.fetch import raw_path
    from analysis.fetch import source_by_id as by_id

    tr = by_id("ohist-travels-0.8.4")
    files = {f.file: raw_path(tr.id, f.file) for f in tr.files}
    terms = load_terms(files.pop("presidents.xml"))
    trips = merge_stops(drop_president_elect(load_trips(list(files.values())), terms))
    vi = by_id("ohist-visits-0.6.4")
    visits = merge_stops(load_visits([raw_path(vi.id, f.file) for f in vi.files]))
    return {
        "president": country_year(trips[trips.role == "president"], "us_pres_visits", years),
        "secretary": country_year(trips[trips.role == "secretary"], "us_secstate_visits", years),
        "leader": country_year(visits, "leader_visits_us", years),
        "records": pd.concat([trips, visits], ignore_index=True),
    }

"""The data dictionary: what every shipped column means, in which unit, and where it comes from.

The panel and the coded tables leave the project as CSV, Parquet and Stata files, read by people
who never open this code. ``config/dictionary.yaml`` is the one committed description of their
columns (meaning, unit, Stata label). This module

* hands the writers their Stata variable labels (:func:`labels`), so the ``.dta`` files carry
  the same words as the dictionary;
* checks that the dictionary and the written tables agree column for column (:func:`check`),
  so a new column can never ship undocumented and a dropped column leaves no stale entry; the
  check runs before any output is written and stops the stage with an :class:`InputError`;
* renders ``data/processed/data_dictionary.{csv,md}`` (:func:`build`, :func:`markdown`), taking
  panel provenance from ``panel.sources.json`` (the record the panel stage writes itself) rather
  than restating it, and each column's type from the Parquet file actually written.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import config
from analysis.errors import InputError

NAME = "dictionary"
REL = "config/dictionary.yaml"
DATASETS: tuple[str, ...] = ("panel", "coded_periods", "coded_years", "guarantee_latent")
REQUIRED = ("label", "meaning", "unit")
OPTIONAL = ("source", "source_of", "stata_name")
MAX_LABEL = 80  # Stata's limit for a variable label
STATA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
COLUMNS = ["dataset", "column", "meaning", "unit", "source", "dtype"]

Entry = dict[str, str]


def _path() -> Path:
    return config.config_dir() / f"{NAME}.yaml"


def _err(where: str, problem: str, fix: str) -> InputError:
    return InputError(_path(), where, problem, f"{fix} ({REL})")


@lru_cache(maxsize=1)
def _stata_reserved() -> frozenset[str]:
    """The words pandas' Stata writer refuses as variable names (it would rename them silently,
    with a warning, and drop their labels). Read from pandas itself so the list cannot drift;
    the writer only sets it up in __init__, so build one on an empty buffer (nothing is written).
    """
    from pandas.io.stata import StataWriterUTF8

    w = StataWriterUTF8(io.BytesIO(), pd.DataFrame({"x": [0]}))
    return frozenset(w.RESERVED_WORDS)


def _text(v: object) -> str:
    """One line of text: YAML folded scalars may carry newlines; tables need a single line."""
    return " ".join(str(v).split())


def load() -> dict[str, dict[str, Entry]]:
    """{dataset: {column: entry}} from config/dictionary.yaml, validated.

    Read fresh on every call (no cache) so a test's edited copy in a temporary root is seen.
    Structural problems (unknown keys, empty fields, over-long labels) are reported here, with
    the key path, so they never surface later as a Stata write error.
    """
    raw = config.load_yaml(NAME)
    sets = raw.get("datasets")
    if not isinstance(sets, dict):
        raise _err("datasets", "missing or not a mapping", "restore the `datasets:` mapping")
    for ds in sets:
        if ds not in DATASETS:
            raise _err(f"datasets.{ds}", f"unknown dataset {ds!r}", f"use one of {list(DATASETS)}")
    out: dict[str, dict[str, Entry]] = {}
    for ds in DATASETS:
        block = sets.get(ds)
        cols = block.get("columns") if isinstance(block, dict) else None
        if not isinstance(cols, dict) or not cols:
            raise _err(
                f"datasets.{ds}.columns",
                "missing or empty",
                f"describe every column of data/processed/{ds}.parquet under datasets.{ds}.columns",
            )
        out[ds] = {}
        for col, entry in cols.items():
            where = f"datasets.{ds}.columns.{col}"
            if not isinstance(entry, dict):
                raise _err(where, "expected a mapping", "give label, meaning and unit")
            extra = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
            if extra:
                raise _err(
                    where,
                    f"unknown key(s) {extra}",
                    f"use only {list(REQUIRED + OPTIONAL)}",
                )
            clean: Entry = {}
            for key in REQUIRED + OPTIONAL:
                v = entry.get(key)
                if v is None:
                    if key in REQUIRED:
                        raise _err(
                            f"{where}.{key}",
                            f"column {col!r} has no {key}",
                            f"add {key} to the entry of {col!r}",
                        )
                    continue
                v = _text(v)
                if not v:
                    raise _err(f"{where}.{key}", f"empty {key}", f"write the {key} of {col!r}")
                clean[key] = v
            if len(clean["label"]) > MAX_LABEL:
                raise _err(
                    f"{where}.label",
                    f"label has {len(clean['label'])} characters; Stata allows {MAX_LABEL}",
                    f"shorten the label of {col!r}",
                )
            stata = clean.get("stata_name", str(col))
            if not STATA_NAME.match(stata) or stata in _stata_reserved():
                key = "stata_name" if "stata_name" in clean else "stata_name (missing)"
                raise _err(
                    f"{where}.{key}",
                    f"{stata!r} is not a valid Stata variable name (at most 32 letters, digits "
                    "or _, not starting with a digit, not a reserved word)",
                    f"give {col!r} a stata_name: the name it takes in the .dta file",
                )
            if ds != "panel":
                if "source_of" in clean:
                    raise _err(
                        f"{where}.source_of",
                        "source_of is for panel columns only",
                        "write the source of the coded column in `source`",
                    )
                if "source" not in clean:
                    raise _err(
                        f"{where}.source",
                        f"column {col!r} has no source",
                        "name the track: data/codebook/*.yaml, or the config/rules.yaml rule",
                    )
            out[ds][str(col)] = clean
        seen: dict[str, str] = {}
        for col, e in out[ds].items():
            stata = e.get("stata_name", col)
            if stata in seen:
                raise _err(
                    f"datasets.{ds}.columns.{col}",
                    f"{col!r} and {seen[stata]!r} would both be {stata!r} in the .dta file",
                    "choose a different stata_name",
                )
            seen[stata] = col
    return out


def check(
    dataset: str,
    columns: Iterable[str],
    sources: Mapping[str, Any] | None = None,
) -> dict[str, Entry]:
    """Raise InputError unless the dictionary documents exactly `columns` of `dataset`.

    Called by the stages before they write, so an undocumented column stops the run instead of
    shipping; also called on the files on disk by :func:`build`. With `sources` (the `columns`
    of panel.sources.json) every panel column must also resolve to a source.
    """
    entries = load()[dataset]
    cols = [str(c) for c in columns]
    missing = [c for c in cols if c not in entries]
    if missing:
        raise _err(
            f"datasets.{dataset}.columns",
            f"column {missing[0]!r} of data/processed/{dataset} has no dictionary entry"
            + (f" (also undocumented: {missing[1:]})" if len(missing) > 1 else ""),
            f"add datasets.{dataset}.columns.{missing[0]} with label, meaning and unit",
        )
    stale = [c for c in entries if c not in cols]
    if stale:
        raise _err(
            f"datasets.{dataset}.columns.{stale[0]}",
            f"the entry names column {stale[0]!r}, which data/processed/{dataset} does not have",
            f"remove or rename the entry of {stale[0]!r}",
        )
    if sources is not None:
        for c in cols:
            _source(dataset, c, entries[c], sources)
    return entries


def stata_names(dataset: str) -> dict[str, str]:
    """{column: .dta variable name} for the columns Stata cannot take under their own name.

    Rename the frame with this before writing the .dta; pandas would otherwise rename such a
    column on its own (e.g. `end` -> `_end`) and lose its label.
    """
    return {c: e["stata_name"] for c, e in load()[dataset].items() if "stata_name" in e}


def labels(dataset: str) -> dict[str, str]:
    """{.dta variable name: Stata variable label} for the .dta writer.

    Keyed by the name in the .dta file: the column name, or its `stata_name` where it has one
    (see :func:`stata_names`). Labels are checked to fit Stata's 80 characters.
    """
    return {e.get("stata_name", c): e["label"] for c, e in load()[dataset].items()}


def _describe(rec: Mapping[str, Any]) -> str:
    """One line from a panel.sources.json record: id and edition; file and sheet, or the rule
    when the column is derived from a config file rather than read from a publisher's file."""
    head = str(rec.get("source_id") or "")
    if rec.get("edition"):
        head += f", {rec['edition']}"
    parts = [head]
    if rec.get("file"):
        parts.append(str(rec["file"]) + (f", sheet {rec['sheet']}" if rec.get("sheet") else ""))
    elif rec.get("rule"):  # derived from a config file or a library: the rule is the source
        parts.append(str(rec["rule"]))
    return _text("; ".join(p for p in parts if p))


def _source(dataset: str, col: str, entry: Entry, sources: Mapping[str, Any]) -> str:
    """The source text of a column.

    Panel: panel.sources.json wins (the record the ETL writes beside the data); else the
    provenance of the column named by `source_of`; else the dictionary's own `source`.
    Coded tables: the dictionary's `source` (the codebook track or the config/rules.yaml rule).
    """
    if dataset != "panel":
        return entry["source"]
    if col in sources:
        return _describe(sources[col])
    ref = entry.get("source_of")
    if ref is not None:
        if ref not in sources:
            raise _err(
                f"datasets.panel.columns.{col}.source_of",
                f"{ref!r} has no record in panel.sources.json",
                "name a panel column that panel.sources.json traces, or write `source`",
            )
        return f"as {ref}: {_describe(sources[ref])}"
    if "source" in entry:
        return entry["source"]
    raise _err(
        f"datasets.panel.columns.{col}",
        f"column {col!r} has no source: not in panel.sources.json, and no source or source_of",
        f"add `source` or `source_of` to the entry of {col!r}",
    )


def _dtype(t: object) -> str:
    """Arrow type of the Parquet column, in the names pandas users know."""
    s = str(t)
    return {"large_string": "string", "double": "float64", "float": "float32"}.get(s, s)


def panel_sources(processed_dir: Path) -> dict[str, Any]:
    """The per-column provenance the panel stage wrote (panel.sources.json `columns`)."""
    path = Path(processed_dir) / "panel.sources.json"
    if not path.exists():
        raise InputError(path, "", "panel provenance not found", "run `make panel` first")
    return json.loads(path.read_text(encoding="utf-8")).get("columns", {})


def build(processed_dir: Path) -> pd.DataFrame:
    """The dictionary of the tables written in `processed_dir`, one row per column, file order.

    Reads only the Parquet schemas (not the data) and panel.sources.json, so it is cheap and
    describes what is actually on disk.
    """
    import pyarrow.parquet as pq

    processed_dir = Path(processed_dir)
    sources = panel_sources(processed_dir)
    rows = []
    for ds in DATASETS:
        path = processed_dir / f"{ds}.parquet"
        if not path.exists():
            stage = "panel" if ds == "panel" else "code"
            raise InputError(path, "", "table not found", f"run `make {stage}` first")
        schema = pq.read_schema(path)
        entries = check(ds, schema.names, sources if ds == "panel" else None)
        for name, typ in zip(schema.names, schema.types, strict=True):
            e = entries[name]
            rows.append(
                {
                    "dataset": ds,
                    "column": name,
                    "meaning": e["meaning"],
                    "unit": e["unit"],
                    "source": _source(ds, name, e, sources),
                    "dtype": _dtype(typ),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def markdown(dd: pd.DataFrame) -> str:
    """The dictionary as Markdown, one section and table per dataset (no dates: byte-stable)."""
    raw = config.load_yaml(NAME).get("datasets", {})
    out = [
        "# Data dictionary",
        "",
        f"Generated by `python -m analysis code` from `{REL}`, "
        "`data/processed/panel.sources.json` and the Parquet files; do not edit by hand. "
        "NA = missing; indicator codes are 1 = met, 0 = not met, NA = unknown.",
        "",
    ]
    for ds in DATASETS:
        part = dd[dd.dataset == ds].drop(columns="dataset")
        part = part.map(lambda v: str(v).replace("|", "\\|"))
        desc = (raw.get(ds) or {}).get("description")
        out += [f"## {ds}", ""]
        out += [f"`data/processed/{ds}.{{parquet,csv,dta}}`, {len(part)} columns.", ""]
        if desc:
            out += [_text(desc), ""]
        out += [part.to_markdown(index=False, disable_numparse=True), ""]
    return "\n".join(out)

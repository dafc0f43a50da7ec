"""Apply the adjudication log to the codebook (python -m analysis apply-adjudication).

For each adjudicated disagreement (data/double_coding/adjudication.csv) the first coder's file
gets the final grade. When the final grade is the second coder's, the indicator takes the second
coder's note, confidence and evidence (the evidence that supports it), and the note says so;
when it is the first coder's, nothing changes; when it is null, the grade becomes unknown with
the adjudicator's reason. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import pandas as pd
import yaml

from analysis import config
from analysis.coding import codebook
from analysis.errors import InputError


def _dump(path, raw: dict, head: str | None) -> None:
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=110)
    path.write_text((head + "\n" if head else "") + text, encoding="utf-8")


def apply(round_: int = 1) -> str:
    block = "double_coding" if round_ == 1 else f"double_coding_round{round_}"
    cfg = config.load_yaml("reliability")[block]
    log_path = config.root() / cfg["adjudication_log"]
    if not log_path.exists():
        raise InputError(log_path, "", "no adjudication log", "write it first")
    log = pd.read_csv(log_path, dtype={"first": "Int64", "second": "Int64", "final": "Int64"})
    second_dir = config.root() / cfg["second_coder_dir"]
    changed = 0
    for client, rows in log.groupby("client"):
        path = config.codebook_dir() / f"USA-{client}.yaml"
        text = path.read_text(encoding="utf-8")
        head = text.split("\n", 1)[0] if text.startswith("#") else None
        raw = codebook.read_raw(path)
        second = codebook.read_raw(second_dir / f"USA-{client}.yaml")
        for r in rows.itertuples():
            per = next(p for p in raw["periods"] if p["id"] == r.period)
            item = per[r.indicator]
            final = None if pd.isna(r.final) else int(r.final)
            first = None if pd.isna(r.first) else int(r.first)
            if final == item.get("grade"):
                continue
            if final is None:
                item.update(
                    grade=None,
                    confidence="low",
                    note=f"Unknown after adjudication: {r.reason} (first coder: {item['note']})",
                )
            elif final == (None if pd.isna(r.second) else int(r.second)):
                s = next(p for p in second["periods"] if p["id"] == r.period)[r.indicator]
                item.update(
                    grade=final,
                    confidence=s["confidence"],
                    note=f"Adjudicated to the second coder's grade: {r.reason} Second coder: {s['note']}",
                    evidence=s["evidence"],
                )
            elif final == first:
                continue
            else:
                raise InputError(
                    log_path,
                    f"{client} {r.period} {r.indicator}",
                    f"final {final} is neither coder's grade",
                    "adjudicate to one coder's grade (with its evidence) or to unknown",
                )
            changed += 1
        _dump(path, raw, head)
    return f"{changed} grades changed by adjudication"

"""Seeded draws for the reliability work: the double-coding sample and the evidence-audit sample.

Both read only the list of dyad-periods (and, for the audit, the web items' locations), never a
code or grade, so drawing a sample reveals nothing to a second coder.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis import config
from analysis.coding import codebook
from analysis.io import atomic_write


def _cfg() -> dict:
    from analysis.schemas import Reliability, validate

    return validate("reliability", Reliability)


def dyad_periods() -> pd.DataFrame:
    """Every coded dyad-period: client, period, region."""
    asia = set(_cfg()["double_coding"]["asia_pacific"])
    rows = []
    for path in sorted(config.codebook_dir().glob("*.yaml")):
        raw = codebook.read_raw(path)  # ids only: no grade is read
        rows += [
            {
                "client": raw["client"],
                "period": p["id"],
                "region": "asia_pacific" if raw["client"] in asia else "nato",
            }
            for p in raw["periods"]
        ]
    return pd.DataFrame(rows).sort_values(["period", "region", "client"], ignore_index=True)


def draw_double_coding_sample() -> pd.DataFrame:
    """A stratified random share (rounded up) of dyad-periods in each period x region stratum."""
    cfg = _cfg()["double_coding"]
    rng = np.random.default_rng(cfg["seed"])
    units = dyad_periods()
    picks = []
    for _, g in units.groupby(cfg["strata"], sort=True):
        k = math.ceil(cfg["share"] * len(g))
        picks.append(g.iloc[np.sort(rng.choice(len(g), size=k, replace=False))])
    return pd.concat(picks, ignore_index=True)


def write_double_coding_sample() -> str:
    cfg = _cfg()["double_coding"]
    sample = draw_double_coding_sample()
    out = config.root() / cfg["sample_file"]
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda tmp: sample.to_csv(tmp, index=False, lineterminator="\n"))
    n = len(dyad_periods())
    return f"{len(sample)} of {n} dyad-periods ({len(sample) / n:.0%}) -> {out}"


def draw_round2_sample() -> pd.DataFrame:
    """Round 2: a seeded fresh sample per period x region, excluding round 1's dyad-periods."""
    cfg = _cfg()["double_coding_round2"]
    rng = np.random.default_rng(cfg["seed"])
    units = dyad_periods()
    done = pd.read_csv(config.root() / cfg["exclude_sample_file"])
    key = set(zip(done.client, done.period, strict=True))
    units = units[[(c, p) not in key for c, p in zip(units.client, units.period, strict=True)]]
    picks = []
    for (_, region), g in units.groupby(["period", "region"], sort=True):
        k = cfg["per_stratum_asia"] if region == "asia_pacific" else cfg["per_stratum"]
        picks.append(g.iloc[np.sort(rng.choice(len(g), size=min(k, len(g)), replace=False))])
    return pd.concat(picks, ignore_index=True)


def write_round2_sample() -> str:
    cfg = _cfg()["double_coding_round2"]
    sample = draw_round2_sample()
    out = config.root() / cfg["sample_file"]
    atomic_write(out, lambda tmp: sample.to_csv(tmp, index=False, lineterminator="\n"))
    return f"round 2: {len(sample)} dyad-periods -> {out}"


def web_items() -> pd.DataFrame:
    """Every web evidence item of the codebook with its location (file, key path) and code."""
    rows = []
    for d in codebook.load_all():
        for i, p in enumerate(d.periods):
            for k in config.indicators():
                ind = getattr(p, k)
                for j, e in enumerate(ind.evidence):
                    if e.kind != "web":
                        continue
                    rows.append(
                        {
                            "file": f"data/codebook/{d.patron}-{d.client}.yaml",
                            "pointer": f"/periods/{i}/{k}/evidence/{j}",
                            "client": d.client,
                            "period": p.id,
                            "indicator": k,
                            "grade": ind.grade,
                            "url": str(e.url),
                            "title": e.title,
                            "what": e.what,
                            "source_quality": e.source_quality,
                        }
                    )
    out = pd.DataFrame(rows)
    out["grade"] = out["grade"].astype("Int64")
    return out


def draw_audit_sample() -> pd.DataFrame:
    """A seeded simple random sample of web evidence items for the independent audit."""
    cfg = _cfg()["audit"]
    items = web_items()
    rng = np.random.default_rng(cfg["seed"])
    idx = np.sort(rng.choice(len(items), size=min(cfg["n_items"], len(items)), replace=False))
    return items.iloc[idx].reset_index(drop=True)


def write_audit_sample() -> str:
    cfg = _cfg()["audit"]
    sample = draw_audit_sample()
    out = config.root() / cfg["sample_file"]
    atomic_write(out, lambda tmp: sample.to_csv(tmp, index=False, lineterminator="\n"))
    return f"{len(sample)} web items -> {out}"


AUDIT_FOUND = ("found", "partly", "not supported", "not found")
AUDIT_SUPPORT = ("yes", "partly", "no")


def audit_summary() -> pd.DataFrame | None:
    """Shares from the committed audit results (None before an audit is committed)."""
    from analysis.errors import InputError

    path = config.root() / _cfg()["audit"]["results_file"]
    if not path.exists():
        return None
    res = pd.read_csv(path)
    need = {"pointer", "file", "found", "host_quality", "supports_code", "auditor"}
    if not need <= set(res.columns):
        raise InputError(path, "header", f"columns must include {sorted(need)}", "fix the header")
    for col, allowed in (
        ("found", AUDIT_FOUND),
        ("supports_code", AUDIT_SUPPORT),
        ("host_quality", ("official", "reputable", "weak")),
    ):
        bad = res[~res[col].isin(allowed)]
        if len(bad):
            raise InputError(
                path,
                f"line {bad.index[0] + 2}, {col}",
                f"{bad[col].iloc[0]!r} is not allowed",
                f"use one of {', '.join(allowed)}",
            )
    rows = [{"measure": "items audited", "value": len(res)}]
    for col, allowed in (("found", AUDIT_FOUND), ("supports_code", AUDIT_SUPPORT)):
        for v in allowed:
            rows.append({"measure": f"{col}: {v}", "value": int((res[col] == v).sum())})
    for v in ("official", "reputable", "weak"):
        rows.append({"measure": f"host_quality: {v}", "value": int((res.host_quality == v).sum())})
    n = len(res)
    rows.append(
        {
            "measure": "share supporting the code",
            "value": round((res.supports_code == "yes").sum() / n, 4),
        }
    )
    rows.append(
        {
            "measure": "share on weak hosts",
            "value": round((res.host_quality == "weak").sum() / n, 4),
        }
    )
    return pd.DataFrame(rows)

"""Everything the report reads, loaded and checked before a single output byte is written.

The report is all-or-nothing: a missing or damaged input stops the stage with an InputError that
names the file and the key, and no file of the report is touched (see build.run).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from analysis import config
from analysis.errors import InputError
from analysis.fetch import load_manifest
from analysis.io import read_csv, read_parquet, sha256, verify_recorded


class _Entry(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    status: str
    estimator: str
    n: int
    params: dict | None = None


class _Hypothesis(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str
    status: str
    verdicts: dict


class _Robustness(BaseModel):
    """The robustness entries the report reads (model names and the leave-one-out summary)."""

    model_config = ConfigDict(extra="allow")
    ie_threshold_4: str
    sg1_rules: list[str]
    probit: str
    paper_cases_dropped_codebook: str
    paper_cases_dropped_years: str
    leave_one_ally_out: dict


class _Models(BaseModel):
    """The part of the models.json contract the report relies on."""

    model_config = ConfigDict(extra="allow")
    config: dict
    models: list[_Entry]
    hypotheses: list[_Hypothesis]
    diagnostics: dict
    robustness: _Robustness


MEASUREMENT_TABLES = (
    "reliability",
    "reliability_round2",
    "audit_summary",
    "evidence_quality",
    "validity_convergent",
    "known_groups",
    "grade_distribution",
    "cells",
    "latent_loadings",
    "latent_recovery",
    "latent_external",
    "latent_convergent",
    "latent_events",
)
OPTIONAL_TABLES = (
    "reliability",
    "reliability_round2",
    "audit_summary",
)  # exist once double coding / audit are committed
REQUIRED_MODELS = ("ologit_years", "ologit_years_interaction", "ologit_codebook")


@dataclass
class Inputs:
    """The loaded inputs; `models` is the raw models.json dict (links point into it)."""

    models: dict
    meta: dict
    panel: pd.DataFrame
    coded_periods: pd.DataFrame
    coded_years: pd.DataFrame
    four_cases: pd.DataFrame
    agreement: pd.DataFrame
    disagreements: pd.DataFrame
    coverage: pd.DataFrame
    paper_tables: pd.DataFrame
    codebook: dict[str, dict]
    manifest: list
    citation: dict
    root: Path
    files: dict[str, Path] = field(default_factory=dict)
    rules: dict = field(default_factory=dict)
    reliability_cfg: dict = field(default_factory=dict)
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)  # measurement tables
    simulations: dict | None = None  # reports/simulations.json (`make simulate`)

    def model_index(self, name: str) -> int:
        for i, e in enumerate(self.models["models"]):
            if e["name"] == name:
                return i
        raise InputError(
            self.files["models"], f"models[name={name}]", "model missing", "rerun `make models`"
        )

    def model(self, name: str) -> dict:
        return self.models["models"][self.model_index(name)]

    def hyp_index(self, name: str) -> int:
        for i, h in enumerate(self.models["hypotheses"]):
            if h["model"] == name:
                return i
        raise InputError(
            self.files["models"],
            f"hypotheses[model={name}]",
            "hypothesis entry missing",
            "rerun `make models`",
        )


def _need(p: Path, stage: str) -> Path:
    if not p.exists():
        raise InputError(p, "", "input not found", f"run `make {stage}` first")
    if p.stat().st_size == 0:
        raise InputError(p, "", "input is empty", f"delete it and run `make {stage}` again")
    return p


def load_models_json(p: Path) -> dict:
    """models.json parsed and checked against the contract, with the failing key named."""
    _need(p, "models")
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(
            p,
            f"line {e.lineno} column {e.colno}",
            f"not valid JSON ({e.msg})",
            "the file is damaged or truncated: run `make models` again",
        ) from None
    except UnicodeDecodeError:
        raise InputError(p, "", "not UTF-8 text", "run `make models` again") from None
    if not isinstance(raw, dict):
        raise InputError(p, "top level", "expected a JSON object", "run `make models` again")
    try:
        _Models.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise InputError(
            p,
            where,
            f"does not match the models.json contract: {err['msg']}",
            "run `make models` again",
        ) from None
    names = {e["name"] for e in raw["models"]}
    for n in REQUIRED_MODELS:
        if n not in names:
            raise InputError(p, f"models[name={n}]", "model missing", "run `make models` again")
    return raw


CODE_RECORD = "code_outputs.json"  # analysis/coding/run.py RECORD, in data/processed/


def _csv(p: Path, stage: str, **kw) -> pd.DataFrame:
    _need(p, stage)
    if stage == "code":  # the coding stage records the sha256 of every file it writes
        verify_recorded(p, config.processed_dir() / CODE_RECORD, config.root(), "code")
    return read_csv(p, stage, **kw)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: same objects, faster


def _yaml(p: Path, fix: str = "fix the file: `make validate-codebook`") -> dict:
    try:
        return yaml.load(p.read_text(encoding="utf-8"), Loader=_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise InputError(p, "YAML", f"cannot parse ({e})", fix) from None


PAPER_NUMERIC = ("table", "year", "estimate", "value", "seed_line")


def paper_table(p: Path) -> pd.DataFrame:
    """data/paper/nato_share_gdp.csv: the figures the paper prints (committed, typed by hand),
    every numeric cell a number and every client an ISO3 code."""
    df = _csv(p, "report")
    missing = [c for c in ("client", *PAPER_NUMERIC) if c not in df.columns]
    if missing:
        raise InputError(p, "header", f"missing column(s) {missing}", "restore the file from git")
    for c in PAPER_NUMERIC:
        bad = pd.to_numeric(df[c], errors="coerce").isna() & df[c].notna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                p,
                f"line {i + 2}, column {c}",
                f"{df[c].iloc[i]!r} is not a number",
                "write the figure as the paper prints it (e.g. 2.22)",
            )
        df[c] = pd.to_numeric(df[c])
    bad = ~df.client.astype(str).str.fullmatch(r"[A-Z]{3}")
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            p,
            f"line {i + 2}, column client",
            f"{df.client.iloc[i]!r} is not an ISO3 code",
            "e.g. POL",
        )
    return df


def load_simulations(path: Path, models_path: Path) -> dict:
    """reports/simulations.json (`make simulate`), made from the models.json beside it: a
    missing file, or one made from another run of the models stage, stops the report rather
    than mixing the two runs' numbers."""
    if not path.exists():
        raise InputError(path, "", "not found", "run `make simulate` first (make report runs it)")
    try:
        sims = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise InputError(
            path, f"line {e.lineno}", "not valid JSON", "run `make simulate`"
        ) from None
    made_from = sims.get("models_json_sha256") if isinstance(sims, dict) else None
    if made_from != sha256(models_path):
        raise InputError(
            path,
            "/models_json_sha256",
            "made from another models.json than the one in reports/ (the models stage ran again "
            "after it)",
            "run `make simulate` again",
        )
    for rel, want in (sims.get("tables_sha256") or {}).items():
        t = path.parent / rel
        if not t.exists() or sha256(t) != want:
            raise InputError(
                t,
                "",
                "not the table `make simulate` wrote with simulations.json (missing, edited or "
                "from another run)",
                "run `make simulate` again",
            )
    return sims


def load() -> Inputs:
    root = config.root()
    rep = config.reports_dir()
    proc = config.processed_dir()
    files = {
        "models": rep / "models.json",
        "meta": proc / "panel.sources.json",
        "panel": proc / "panel.parquet",
        "coded_periods": proc / "coded_periods.csv",
        "coded_years": proc / "coded_years.csv",
        "four_cases": rep / "four_cases.csv",
        "agreement": rep / "track_agreement.csv",
        "disagreements": rep / "track_disagreements.csv",
        "coverage": rep / "codebook_coverage.csv",
        "paper_tables": root / "data" / "paper" / "nato_share_gdp.csv",
        "citation": root / "CITATION.cff",
    }
    models = load_models_json(files["models"])
    try:
        meta = json.loads(_need(files["meta"], "panel").read_text())
    except json.JSONDecodeError as e:
        raise InputError(
            files["meta"], f"line {e.lineno}", "not valid JSON", "run `make panel` again"
        ) from None
    panel = read_parquet(files["panel"], "panel")
    codebook = {p.stem: _yaml(p) for p in sorted((root / "data" / "codebook").glob("*.yaml"))}
    extra = {
        name: _csv(rep / f"{name}.csv", "code")
        for name in MEASUREMENT_TABLES
        if name not in OPTIONAL_TABLES or (rep / f"{name}.csv").exists()
    }
    sims = load_simulations(rep / "simulations.json", files["models"])
    extra["power_expert"] = _csv(rep / "power_expert.csv", "simulate")
    extra["size_simulation"] = _csv(rep / "size_simulation.csv", "simulate")
    return Inputs(
        models=models,
        meta=meta,
        panel=panel,
        coded_periods=_csv(files["coded_periods"], "code", keep_default_na=True),
        coded_years=_csv(files["coded_years"], "code"),
        four_cases=_csv(files["four_cases"], "code", keep_default_na=False, dtype=str),
        agreement=_csv(files["agreement"], "code"),
        disagreements=_csv(files["disagreements"], "code"),
        coverage=_csv(files["coverage"], "code"),
        paper_tables=paper_table(files["paper_tables"]),
        codebook=codebook,
        manifest=load_manifest(),
        citation=_yaml(_need(files["citation"], "report"), "fix the YAML of CITATION.cff"),
        root=root,
        files=files,
        rules=config.load_yaml("rules"),
        reliability_cfg=config.load_yaml("reliability")["double_coding"],
        extra=extra,
        simulations=sims,
    )

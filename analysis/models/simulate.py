"""`python -m analysis simulate`: the simulation studies, kept out of the models stage because they
refit thousands of models (make skips them while their inputs are unchanged).

- Power of the verdict rule (config/models.yaml `power`): data simulated from the fitted expert
  primary (models.json retest.expert.primary.theta_mean) at its design (imputation 1 of its
  estimation sample, reports/model_data/<model>.csv).
- Size of the few-cluster tests at G = 30 under a true null (few_cluster.size_simulation).

Writes reports/power_expert.csv, reports/size_simulation.csv and reports/simulations.json together.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from analysis import config, schemas
from analysis.errors import InputError
from analysis.io import csv_bytes, read_csv, sha256, write_files_together
from analysis.models import fewcluster, retest
from analysis.models.run import _clean


def _load_primary(rep) -> tuple[dict, pd.DataFrame]:
    p = rep / "models.json"
    if not p.exists():
        raise InputError(p, "", "not found", "run `make models` first")
    try:
        m = json.loads(p.read_text())
        prim = m["retest"]["expert"]["primary"]
        data = config.root() / prim["data"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise InputError(
            p, "/retest/expert/primary", "no fitted expert primary", "run `make models` again"
        ) from None
    if not data.exists():
        raise InputError(data, "", "estimation sample not found", "run `make models` again")
    return m, read_csv(data, "models")


def run() -> dict:
    schemas.check_stage("models")
    cfg = config.load_yaml("models")
    rep = config.reports_dir()
    m, data = _load_primary(rep)
    xs = m["retest"]["expert"]["regressors"]
    design = data[data.imputation == 1].reset_index(drop=True)
    theta = np.asarray(m["retest"]["expert"]["primary"]["theta_mean"], float)
    pos = retest._pos(xs, "bs_high", "ie_high", "bs_x_ie")
    pw = retest.power(design, xs, theta, cfg, pos)
    table = pw.pop("table")
    sc = cfg["few_cluster"]["size_simulation"]
    size = fewcluster.size_simulation(sc, seed=cfg["seed"], n_jobs=cfg["bootstrap"]["n_jobs"])
    size.attrs = {}
    out = {
        "generated_by": "python -m analysis simulate",
        # the models.json this was computed from: the report refuses a pair from different runs
        "models_json_sha256": sha256(rep / "models.json"),
        "power": {
            **pw,
            "model": m["retest"]["expert"]["model"],
            "table_file": "reports/power_expert.csv",
        },
        "size_simulation": {"config": sc, "table_file": "reports/size_simulation.csv"},
    }
    tables = {"power_expert.csv": csv_bytes(table), "size_simulation.csv": csv_bytes(size)}
    out["tables_sha256"] = {k: hashlib.sha256(v).hexdigest() for k, v in tables.items()}
    text = json.dumps(_clean(out), indent=2, ensure_ascii=False) + "\n"
    write_files_together(
        {**{rep / k: v for k, v in tables.items()}, rep / "simulations.json": text.encode("utf-8")}
    )
    return {
        "power_mde_size_adjusted": {
            k: v.get("difference") for k, v in pw["mde_size_adjusted"].items()
        },
        "size": dict(zip(size.test, size.rejection_rate.round(4), strict=True)),
    }

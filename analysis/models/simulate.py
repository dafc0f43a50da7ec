"""`python -m analysis simulate`: the size of the few-cluster tests at G = 30 under a true null
(config/models.yaml few_cluster.size_simulation) -> reports/size_simulation.csv.

Kept out of the models stage because it refits thousands of models; `make report` runs it once
and make skips it while its inputs are unchanged."""

from __future__ import annotations

from analysis import config
from analysis.io import write_csv
from analysis.models import fewcluster


def run() -> dict:
    cfg = config.load_yaml("models")
    sc = cfg["few_cluster"]["size_simulation"]
    tab = fewcluster.size_simulation(sc, seed=cfg["seed"], n_jobs=cfg["bootstrap"]["n_jobs"])
    tab.attrs = {}
    out = config.reports_dir() / "size_simulation.csv"
    write_csv(out, tab)
    return {
        "tests": len(tab),
        "reps": int(sc["reps"]),
        "rejection": dict(zip(tab.test, tab.rejection_rate.round(4), strict=True)),
    }

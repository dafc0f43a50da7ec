"""`make bench`: timings as a table. Ratios are measured in one run (the machines are noisy);
nothing here is asserted in tests.

- cold `fetch` + `panel` from the offline mirror in a fresh project root (no dependency install);
- a no-op `make fetch panel` in the checkout (everything up to date);
- per-source parse time;
- openpyxl vs python-calamine on the xlsx sources (same values checked);
- ordered logit: analytic vs numerical derivatives (n = 4,000, k = 52), a bootstrap, the models stage;
- the report stage;
- the latent guarantee model (real panel, and a simulated n = 10,000).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.etl import alliances, nato, nmc, sipri_milex, sipri_tiv, troops, unga  # noqa: E402
from analysis.fetch.manifest import raw_path  # noqa: E402

rows: list[dict] = []


def timed(label: str, fn, repeat: int = 1, note: str = "") -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    rows.append({"benchmark": label, "seconds": round(best, 3), "note": note})
    return best


def cli(root: Path, *args: str) -> None:
    from analysis import config

    env = {**os.environ, "ANALYSIS_ROOT": str(root), "ANALYSIS_MIRROR": str(config.mirror_dir())}
    subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
    )


def pipeline() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "config", root / "config")
        shutil.copytree(ROOT / "data" / "codebook", root / "data" / "codebook")
        timed(
            "cold fetch + panel (mirror, no install)",
            lambda: (cli(root, "fetch"), cli(root, "panel")),
            note="target: well under 60 s",
        )
    subprocess.run(["make", "-s", "fetch", "panel"], cwd=ROOT, check=True, capture_output=True)
    timed(
        "no-op make fetch panel",
        lambda: subprocess.run(
            ["make", "-s", "fetch", "panel"], cwd=ROOT, check=True, capture_output=True
        ),
        repeat=3,
        note="target: under 1 s",
    )


def parsers() -> None:
    pc = 2
    timed("parse nato-2024 (5 tables)", lambda: nato.load(), repeat=3)
    timed("parse sipri-milex-2025 (2 sheets)", lambda: sipri_milex.load(), repeat=3)
    timed("parse sipri-tiv-2024 (TIV + register)", lambda: sipri_tiv.load(), repeat=3)
    timed("parse troopdata-2026", lambda: troops.load(raw_path("troopdata-2026")), repeat=3)
    timed(
        "parse voeten-2025 ideal points",
        lambda: unga.load_ideal_points(raw_path("voeten-2025"), pc),
        repeat=3,
    )
    timed(
        "parse unvotes-2021 agreement",
        lambda: unga.load_agreement(
            raw_path("unvotes-2021", "un_votes.rda"),
            raw_path("unvotes-2021", "un_roll_calls.rda"),
            "USA",
        ),
        repeat=3,
    )
    timed("parse atop-5.1", lambda: alliances.load_atop(raw_path("atop-5.1"), pc), repeat=3)
    timed("parse cow-nmc-7", lambda: nmc.load(raw_path("cow-nmc-7")), repeat=3)


def readers() -> None:
    for label, fn in (("nato-2024", nato.load), ("sipri-milex-2025", sipri_milex.load)):
        a = fn(engine="openpyxl")
        b = fn(engine="calamine")
        same = a.value.fillna(-999).round(12).equals(b.value.fillna(-999).round(12))
        t_o = timed(f"{label} with openpyxl", lambda fn=fn: fn(engine="openpyxl"), repeat=2)
        t_c = timed(
            f"{label} with python-calamine",
            lambda fn=fn: fn(engine="calamine"),
            repeat=2,
            note=f"same values: {same}",
        )
        rows.append(
            {
                "benchmark": f"{label}: openpyxl / calamine",
                "seconds": None,
                "note": f"ratio {t_o / t_c:.1f}x",
            }
        )


def models() -> None:
    import warnings

    from statsmodels.miscmodels.ordinal_model import OrderedModel

    from analysis.models.bootstrap import cluster_bootstrap
    from analysis.models.ologit import AnalyticOrderedModel

    rng = np.random.default_rng(1)
    n, k = 4000, 52
    X = pd.DataFrame(rng.normal(size=(n, k)), columns=[f"x{i}" for i in range(k)])
    lat = X.to_numpy() @ rng.normal(scale=0.2, size=k) + rng.logistic(size=n)
    y = pd.Series(pd.Categorical(np.digitize(lat, [-1.0, 1.0]), ordered=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_a = timed(
            "ologit fit, analytic derivatives (n=4000, k=52)",
            lambda: AnalyticOrderedModel(y, X, distr="logit").fit(method="newton", disp=False),
            repeat=2,
        )
        t_n = timed(
            "ologit fit, statsmodels numerical (n=4000, k=52)",
            lambda: OrderedModel(y, X, distr="logit").fit(method="bfgs", disp=False, maxiter=1000),
        )
        a = AnalyticOrderedModel(y, X, distr="logit").fit(method="newton", disp=False)
        b = OrderedModel(y, X, distr="logit").fit(method="bfgs", disp=False, maxiter=1000)
    same = bool(np.allclose(a.params, b.params, atol=1e-4))
    note = f"ratio {t_n / t_a:.1f}x (target >= 10x); same estimates: {same}"
    rows.append({"benchmark": "numerical / analytic", "seconds": None, "note": note})
    df = X.iloc[:, :5].assign(
        client=np.repeat(np.arange(80), 50),
        guarantee=pd.Categorical.from_codes(y.cat.codes, ["low", "limited", "high"]),
    )
    df["bs"] = (df.x0 > 0).astype(float)
    df["ie"] = (df.x1 > 0).astype(float)
    xs = ["bs", "ie", "x2", "x3"]
    start = (
        AnalyticOrderedModel(pd.Series(df.guarantee), df[xs], distr="logit")
        .fit(method="newton", disp=False)
        .params.to_numpy()
    )
    draws = {}

    def boot(jobs: int) -> None:
        draws[jobs] = cluster_bootstrap(
            df, xs, start, B=999, seed=1, n_jobs=jobs, link="logit", bs="bs", ie="ie", inter=None
        )[0]

    for jobs in (1, 2):
        timed(f"cluster bootstrap B=999, n=4000, n_jobs={jobs}", lambda jobs=jobs: boot(jobs))
    same = bool(np.array_equal(draws[1], draws[2]))
    rows.append(
        {
            "benchmark": "bootstrap: 1 vs 2 workers",
            "seconds": None,
            "note": f"identical draws: {same}",
        }
    )
    if (ROOT / "data" / "processed" / "coded_years.parquet").exists():
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            shutil.copytree(ROOT / "config", root / "config")
            shutil.copytree(ROOT / "data" / "processed", root / "data" / "processed")
            timed(
                "whole models stage (B=999, 2 cores)",
                lambda: cli(root, "models"),
                note="target: well under 60 s",
            )
            shutil.copytree(ROOT / "data" / "codebook", root / "data" / "codebook")
            shutil.copytree(ROOT / "data" / "paper", root / "data" / "paper")
            shutil.copyfile(ROOT / "CITATION.cff", root / "CITATION.cff")
            for f in (ROOT / "reports").glob("*.csv"):
                shutil.copyfile(f, root / "reports" / f.name)
            timed(
                "report stage (html, md, tex, figures)",
                lambda: cli(root, "report"),
                repeat=2,
                note="great-tables + matplotlib; target: under 30 s",
            )


def measurement() -> None:
    """The latent guarantee model on the real panel (target <= 30 s on 2 cores), and the Gibbs
    sampler's cost per iteration against the size of the data (one run, ratios)."""
    from analysis.coding import latent

    panel_path = ROOT / "data" / "processed" / "panel.parquet"
    if not panel_path.exists():
        return
    panel = pd.read_parquet(panel_path)
    t_full = timed(
        "latent guarantee model (2,453 dyad-years, 1,500 Gibbs iterations)",
        lambda: latent.run(panel),
        note="target: <= 30 s",
    )
    c = latent.cfg()
    c["names"] = list(c["indicators"])
    kinds = [c["indicators"][k]["type"] for k in c["names"]]
    c["identify"] = {"reference": c["names"][0]}
    Y, *_ = latent.simulate(10_000, kinds, np.random.default_rng(1))
    t_big = timed(
        "latent model, simulated n = 10,000",
        lambda: latent.fit(Y, kinds, c, 2),
        note=f"{t_big_note(t_full, len(panel))}",
    )
    rows.append(
        {
            "benchmark": "latent: time ratio n=10,000 / n=2,453",
            "seconds": None,
            "note": f"{t_big / t_full:.2f} (data ratio {10_000 / len(panel):.2f}; linear scaling)",
        }
    )


def t_big_note(t_full: float, n: int) -> str:
    return f"same configuration; the real panel took {t_full:.2f} s for n = {n}"


if __name__ == "__main__":
    pipeline()
    measurement()
    parsers()
    readers()
    models()
    print(tabulate(rows, headers="keys", tablefmt="github", floatfmt=".3f"))

"""`make bench`: timings as a table. Ratios are measured in one run (the machines are noisy);
nothing here is asserted in tests.

- cold `fetch` + `panel` from the offline mirror in a fresh project root (no dependency install);
- a no-op `make fetch panel` in the checkout (everything up to date);
- per-source parse time;
- openpyxl vs python-calamine on the xlsx sources (same values checked);
- ordered logit: analytic vs numerical derivatives (n = 4,000, k = 52), a bootstrap, the models stage;
- one ordered-logit fit (n = 4,000, k = 52, and the real sample sizes) against R's MASS::polr on the
  same data, and against statsmodels' plain construction (`python benchmarks/run.py ologit`);
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


POLR_R = r"""
suppressMessages(library(MASS))
args <- commandArgs(trailingOnly = TRUE)
cat("blas", basename(sessionInfo()$BLAS), "\n")
for (path in args) {
  d <- read.csv(path)
  J <- max(d$y) + 1
  d$y <- factor(d$y, levels = 0:(J - 1), ordered = TRUE)
  # the same start as statsmodels' OrderedModel: zero slopes, cut points from the margins
  st <- c(rep(0, ncol(d) - 1), qlogis(cumsum(table(d$y))[-J] / nrow(d)))
  fit <- function() polr(y ~ ., data = d, Hess = TRUE, start = st)
  one <- system.time(f <- fit())[["elapsed"]]
  reps <- max(3L, as.integer(ceiling(0.3 / max(one, 1e-3))))
  best <- Inf
  for (b in 1:3) best <- min(best, system.time(for (i in 1:reps) f <- fit())[["elapsed"]] / reps)
  cat("case", basename(path), "\n")
  cat("seconds", format(best, digits = 6), "\n")
  cat("llf", format(as.numeric(logLik(f)), digits = 15), "\n")
  cat("coef", format(c(coef(f), f$zeta), digits = 15), "\n")
}
"""


def _polr(paths: list[Path]) -> dict[str, dict] | str:
    """Time MASS::polr in R on each CSV (min over 3 blocks of the mean of a few calls, only
    the polr call inside system.time). A string says why there is no R timing."""
    if shutil.which("Rscript") is None:
        return "R not installed"
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as f:
        f.write(POLR_R)
    try:
        out = subprocess.run(
            ["Rscript", f.name, *map(str, paths)], capture_output=True, text=True, timeout=600
        )
    finally:
        os.unlink(f.name)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no message"])[-1]
        return f"R MASS::polr failed: {last}"
    res: dict[str, dict] = {}
    for line in out.stdout.splitlines():
        key, *vals = line.split()
        if key == "blas":
            res["blas"] = {"lib": " ".join(vals)}
        elif key == "case":
            cur = res.setdefault(vals[0], {})
        elif key == "coef":
            cur[key] = np.array([float(v) for v in vals])
        else:
            cur[key] = float(vals[0])
    return res


def _best_means(fns: list, seconds: float = 0.25, blocks: int = 3) -> list[float]:
    """As the R side: for each fn, the mean time of a block of calls lasting about `seconds`,
    best of `blocks`; the fns' blocks alternate so that load changes hit them alike."""
    reps = []
    for fn in fns:
        t = time.perf_counter()
        fn()
        reps.append(max(3, int(np.ceil(seconds / max(time.perf_counter() - t, 1e-4)))))
    best = [float("inf")] * len(fns)
    for _ in range(blocks):
        for i, (fn, r) in enumerate(zip(fns, reps, strict=True)):
            t = time.perf_counter()
            for _ in range(r):
                fn()
            best[i] = min(best[i], (time.perf_counter() - t) / r)
    return best


def _ologit_cases() -> list[tuple[str, pd.Series, pd.DataFrame]]:
    """(label, ordered y, X): the simulated n = 4,000, k = 52 case of `models()`, and the main
    codebook-period and dyad-year models' own data (reports/model_data/) when the models stage
    has run, else simulated data of their size (n = 100, k = 6; n = 1,200, k = 5)."""
    rng = np.random.default_rng(1)

    def sim(n: int, k: int) -> tuple[pd.Series, pd.DataFrame]:
        X = pd.DataFrame(rng.normal(size=(n, k)), columns=[f"x{i}" for i in range(k)])
        lat = X.to_numpy() @ rng.normal(scale=0.2, size=k) + rng.logistic(size=n)
        return pd.Series(pd.Categorical(np.digitize(lat, [-1.0, 1.0]), ordered=True)), X

    out = [("simulated", *sim(4000, 52))]
    levels = ["low", "limited", "high"]
    for name, (n, k) in (("ologit_codebook", (100, 6)), ("ologit_years", (1200, 5))):
        path = ROOT / "reports" / "model_data" / f"{name}.csv"
        if path.exists():
            d = pd.read_csv(path)
            xs = [c for c in d.columns if c not in ("client", "period", "year", "guarantee")]
            y = pd.Series(pd.Categorical(d["guarantee"], categories=levels, ordered=True))
            out.append((f"{name} data", y, d[xs].astype(float)))
        else:
            out.append((f"simulated, size of {name}", *sim(n, k)))
    return out


def ologit() -> None:
    """One ordered-logit fit (construction + Newton + covariance) with the analytic model's
    fast construction, against R's MASS::polr on the same data and against statsmodels' plain
    construction (its SVD constant checks), all timed in this run; ratios only."""
    import warnings

    from analysis.models.ologit import AnalyticOrderedModel

    cases = _ologit_cases()

    def fit(y, X, construction: str):
        return AnalyticOrderedModel(y, X, distr="logit", construction=construction).fit(
            method="newton", disp=False
        )

    def python_times() -> list[list[float]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [
                _best_means([lambda c=c, y=y, X=X: fit(y, X, c) for c in ("fast", "statsmodels")])
                for _, y, X in cases
            ]

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, (_, y, X) in enumerate(cases):
            paths.append(Path(tmp) / f"case{i}.csv")
            X.assign(y=y.cat.codes.to_numpy()).to_csv(paths[-1], index=False)
        before = python_times()  # Python before and after R, the best of both
        polr = _polr(paths)
        after = python_times()
    for (label, y, X), path, tb, ta in zip(cases, paths, before, after, strict=True):
        n, k = X.shape
        t_fast, t_sm = min(tb[0], ta[0]), min(tb[1], ta[1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fit(y, X, "fast")
        head = f"ologit one fit, n={n}, k={k} ({label})"
        if isinstance(polr, str):
            vs_r, r_row = polr, None
        else:
            r = polr[path.name]
            diff = float(np.max(np.abs(r["coef"] - _natural(res.params.to_numpy(), k))))
            vs_r = f"{t_fast / r['seconds']:.2f}x MASS::polr (target <= 0.25x)"
            r_row = {
                "benchmark": "- R MASS::polr, same data and start",
                "seconds": round(r["seconds"], 4),
                "note": f"max |coef diff| {diff:.1e} (polr's BFGS tolerance), "
                f"llf diff {abs(r['llf'] - res.llf):.1e}",
            }
        its = res.mle_retvals["iterations"]
        note = f"{vs_r}; {t_fast / t_sm:.2f}x statsmodels construction; {its} Newton steps"
        rows.append({"benchmark": head, "seconds": round(t_fast, 4), "note": note})
        if r_row:
            rows.append(r_row)
        rows.append(
            {
                "benchmark": "- same fit, statsmodels construction",
                "seconds": round(t_sm, 4),
                "note": "hasconst=None: SVD rank checks of the design",
            }
        )
    # multi-threaded BLAS on a loaded machine slows the Python side (and statsmodels' SVDs) most
    r_blas = "no R timing" if isinstance(polr, str) else polr["blas"]["lib"]
    py_blas = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    note = f"Python: OPENBLAS_NUM_THREADS={py_blas}; R: {r_blas}"
    rows.append({"benchmark": "ologit rows: BLAS", "seconds": None, "note": note})


def _natural(params: np.ndarray, k: int) -> np.ndarray:
    """Slopes, then the cut points on the natural scale (as polr prints zeta)."""
    th = params[k:]
    return np.concatenate((params[:k], [th[0]], th[0] + np.cumsum(np.exp(th[1:]))))


PARTS = {
    "pipeline": pipeline,
    "measurement": measurement,
    "parsers": parsers,
    "readers": readers,
    "models": models,
    "ologit": ologit,
}

if __name__ == "__main__":
    # `python benchmarks/run.py` runs every part; `python benchmarks/run.py ologit models` some
    wanted = sys.argv[1:] or list(PARTS)
    unknown = [w for w in wanted if w not in PARTS]
    if unknown:
        sys.exit(f"unknown part(s) {unknown}; choose from {list(PARTS)}")
    for w in wanted:
        PARTS[w]()
    print(tabulate(rows, headers="keys", tablefmt="github", floatfmt=".4f"))

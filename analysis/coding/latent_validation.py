"""Proof that the latent guarantee score measures (issue: measured guarantee):

- recovery on data simulated from the model with known scores (correlation, 90 % coverage);
- external validity before 2011 against published measures kept out of the model (Blankenship's
  US statements of reassurance; MME exercises with the US);
- convergent validity after 2013 against the codebook's SG grades and guarantee levels;
- documented events (data/validation/known_events.yaml, the guarantee indicators): the score
  must move the way the event says, judged on the posterior draws.
Every table is recomputed from the outputs by tests/test_latent.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.coding import latent, validity

LEVEL = {"low": 0, "limited": 1, "high": 2}


def recovery(n: int = 1500, seed: int = 20261201) -> pd.DataFrame:
    c = latent.cfg()
    c["names"] = list(c["indicators"])
    kinds = [c["indicators"][k]["type"] for k in c["names"]]
    Y, theta, _, _ = latent.simulate(n, kinds, np.random.default_rng(seed))
    f = latent.fit(Y, kinds, c | {"identify": {"reference": c["names"][0]}}, seed + 1)
    m = f.theta.mean(axis=0)
    lo, hi = np.percentile(f.theta, [5, 95], axis=0)
    return pd.DataFrame(
        [
            {
                "n": n,
                "indicators": len(kinds),
                "missing_share": 0.2,
                "corr_true_estimated": float(np.corrcoef(m, theta)[0, 1]),
                "coverage_90": float(((theta >= lo) & (theta <= hi)).mean()),
                "seed": seed,
            }
        ]
    )


def _spearman(x: pd.Series, y: pd.Series) -> tuple[int, float, float]:
    d = pd.concat([x, y], axis=1).astype(float).dropna()
    if len(d) < 5 or d.iloc[:, 0].nunique() < 2 or d.iloc[:, 1].nunique() < 2:
        return len(d), np.nan, np.nan
    r, p = stats.spearmanr(d.iloc[:, 0], d.iloc[:, 1])
    return len(d), float(r), float(p)


def external(
    scores: pd.DataFrame, panel: pd.DataFrame, cols: list[str], years: list[int]
) -> pd.DataFrame:
    d = scores.merge(panel[["client", "year", *cols]], on=["client", "year"])
    d = d[d.year.between(*years)]
    rows = []
    for c in cols:
        for scope, g in (
            ("all dyad-years", d),
            (
                "defence-pact dyad-years",
                d.merge(panel[["client", "year", "defense_pact"]], on=["client", "year"]).query(
                    "defense_pact == 1"
                ),
            ),
        ):
            n, r, p = _spearman(g.guarantee_latent, g[c])
            rows.append(
                {
                    "measure": c,
                    "scope": scope,
                    "years": f"{years[0]}-{years[1]}",
                    "n": n,
                    "spearman_rho": r,
                    "p": p,
                }
            )
    return pd.DataFrame(rows)


def convergent(scores: pd.DataFrame, cb: pd.DataFrame, periods: list[dict]) -> pd.DataFrame:
    rows = []
    for per in periods:
        y0, y1 = per["years"]
        s = scores[scores.year.between(y0, y1)].groupby("client").guarantee_latent.mean()
        g = cb[cb.period == per["id"]].set_index("client")
        for measure, x in (
            ("sg_grade_sum", g.sg_grade_sum),
            ("guarantee level", g.guarantee.map(LEVEL)),
            ("SG1_grade", g.SG1_grade),
            ("SG5_grade", g.SG5_grade),
        ):
            n, r, p = _spearman(x, s.reindex(x.index))
            rows.append(
                {"period": per["id"], "codebook": measure, "n": n, "spearman_rho": r, "p": p}
            )
    return pd.DataFrame(rows)


def events(draws: pd.DataFrame, evs: list[dict], periods: list[dict]) -> pd.DataFrame:
    """Score change around each guarantee event: mean of the event year and the next minus the
    mean of the two years before (for a period comparison: period mean minus the other period's
    mean), with the posterior probability that it has the expected sign."""
    years = {p["id"]: p["years"] for p in periods}
    dcols = [c for c in draws.columns if c.startswith("draw_")]
    rows = []
    for e in evs:
        if not e["indicator"].startswith("SG"):
            continue
        ((kind, ref),) = e["check"].items()
        d = draws[draws.client == e["client"]].set_index("year")[dcols]
        if kind in ("above_period", "below_period"):
            a = d.loc[d.index.to_series().between(*years[e["period"]])].mean()
            b = d.loc[d.index.to_series().between(*years[ref])].mean()
            sign = 1 if kind == "above_period" else -1
            window = f"{e['period']} vs {ref}"
        else:
            y = int(str(e["when"])[:4])
            a = d.loc[d.index.isin([y, y + 1])].mean()
            b = d.loc[d.index.isin([y - 2, y - 1])].mean()
            sign = 1 if (kind in ("grade", "grade_at_least") and ref >= 1) else -1
            window = f"{y}-{y + 1} vs {y - 2}-{y - 1}"
        delta = (a - b).to_numpy()
        ok = np.isfinite(delta).all() and len(delta) > 0
        rows.append(
            {
                "event": e["id"],
                "client": e["client"],
                "when": str(e["when"]),
                "expected": "up" if sign > 0 else "down",
                "window": window,
                "delta": float(delta.mean()) if ok else np.nan,
                "delta_sd": float(delta.std(ddof=1)) if ok else np.nan,
                "p_expected_direction": float((np.sign(delta) == sign).mean()) if ok else np.nan,
                "moved_as_expected": bool(ok and np.sign(delta.mean()) == sign),
                "source": e["source"]["url"],
            }
        )
    return pd.DataFrame(rows)


def tables(lat: dict, cb: pd.DataFrame, panel: pd.DataFrame) -> dict[str, pd.DataFrame]:
    from analysis import config

    c = latent.cfg()
    periods = config.load_yaml("rules")["periods"]
    v = c["validation"]
    return {
        "latent_loadings": lat["loadings"],
        "latent_recovery": recovery(),
        "latent_external": external(lat["scores"], panel, v["external"], v["external_years"]),
        "latent_convergent": convergent(lat["scores"], cb, periods),
        "latent_events": events(lat["draws"], validity.load_events(), periods),
    }

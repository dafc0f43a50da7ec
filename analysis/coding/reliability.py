"""Inter-coder reliability of the expert codebook (independent double coding).

The first coder's grades of the sampled dyad-periods are frozen in
`data/double_coding/first_grades.csv` at the moment of comparison (before adjudication), and the
blind second coder's files sit in `data/double_coding/second/`. Agreement is computed from those
two committed files only, so anyone can recompute it: percent agreement and Krippendorff's alpha
(the `krippendorff` package; ordinal for grades and the guarantee level, nominal for the binary
codes and the two-level willingness variables), with percentile bootstrap CIs over dyad-periods.
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd

from analysis import config
from analysis.coding import codebook, levels
from analysis.errors import InputError

IND = list(config.indicators())
LEVEL_ORDER = {"low": 0, "limited": 1, "high": 2}
BIN_ORDER = {"low": 0, "high": 1}


def _cfg() -> dict:
    from analysis.schemas import Reliability, validate

    return validate("reliability", Reliability)["double_coding"]


def second_coder_grades(folder=None) -> pd.DataFrame:
    """Long table client, period, indicator, grade from data/double_coding/second/*.yaml."""
    folder = config.root() / _cfg()["second_coder_dir"] if folder is None else folder
    rows = []
    for path in sorted(folder.glob("*.yaml")):
        d = codebook.load_file(path)
        for p in d.periods:
            rows += [
                {"client": d.client, "period": p.id, "indicator": k, "grade": g}
                for k, g in p.grades().items()
            ]
    return pd.DataFrame(rows, columns=["client", "period", "indicator", "grade"])


def first_coder_grades(dyads: list[codebook.Dyad], sample: pd.DataFrame) -> pd.DataFrame:
    """The first coder's current grades of the sampled dyad-periods (for the frozen snapshot)."""
    want = set(zip(sample.client, sample.period, strict=True))
    rows = [
        {"client": d.client, "period": p.id, "indicator": k, "grade": g}
        for d in dyads
        for p in d.periods
        if (d.client, p.id) in want
        for k, g in p.grades().items()
    ]
    return pd.DataFrame(rows, columns=["client", "period", "indicator", "grade"])


def _read_first(path=None) -> pd.DataFrame:
    path = config.root() / "data" / "double_coding" / "first_grades.csv" if path is None else path
    if not path.exists():
        raise InputError(
            path,
            "",
            "the first coder's frozen grades are missing",
            "run `python -m analysis freeze-first-grades` once the first coding is done",
        )
    return pd.read_csv(path, dtype={"grade": "Int64"})


def paired(first: pd.DataFrame, second: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """One row per sampled dyad-period and indicator with both coders' grades."""
    key = ["client", "period", "indicator"]
    units = sample[["client", "period"]].merge(pd.DataFrame({"indicator": IND}), how="cross")
    out = units.merge(first.rename(columns={"grade": "first"}), on=key, how="left")
    out = out.merge(second.rename(columns={"grade": "second"}), on=key, how="left")
    missing = out[
        out["second"].isna() & ~out.set_index(key).index.isin(second.set_index(key).index)
    ]
    if len(missing):
        m = missing.iloc[0]
        raise InputError(
            config.root() / _cfg()["second_coder_dir"],
            f"USA-{m.client}.yaml: periods[{m.period}]",
            "a sampled dyad-period has no second coding",
            "the second coder must code every dyad-period in data/double_coding/sample.csv",
        )
    cuts = codebook.grade_cuts()
    for who in ("first", "second"):
        out[f"{who}_code"] = [
            codebook.code_from_grade(None if pd.isna(g) else int(g), cuts[k])
            for g, k in zip(out[who], out.indicator, strict=True)
        ]
    return out


def unit_levels(pairs: pd.DataFrame, agg: dict) -> pd.DataFrame:
    """Per sampled dyad-period and coder: the paper's levels from the derived codes."""
    rows = []
    for (client, period), g in pairs.groupby(["client", "period"], sort=True):
        r = {"client": client, "period": period}
        for who in ("first", "second"):
            codes = dict(zip(g.indicator, g[f"{who}_code"], strict=True))
            codes = {k: None if pd.isna(v) else int(v) for k, v in codes.items()}
            r[f"{who}_burden_sharing"] = levels.burden_sharing(
                [codes[k] for k in IND[:3]], agg["bs_high_min"]
            )
            r[f"{who}_interest_exchange"] = levels.interest_exchange(
                [codes[k] for k in IND[3:9]], agg["ie_high_min"]
            )
            r[f"{who}_guarantee"] = levels.guarantee(
                [codes[k] for k in IND[9:]], agg["sg_high_min"], agg["sg_limited_min"]
            )
        rows.append(r)
    return pd.DataFrame(rows)


def _alpha(a: np.ndarray, b: np.ndarray, level: str) -> float:
    data = np.vstack([a, b]).astype(float)
    vals = data[~np.isnan(data)]
    pairable = (~np.isnan(data)).all(axis=0).sum()
    if pairable < 2 or len(np.unique(vals)) < 2:
        return float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample without variation: NaN
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def alpha_resamples(a: np.ndarray, b: np.ndarray, level: str, idx: np.ndarray) -> np.ndarray:
    """Krippendorff's alpha of two coders on each resample of units, all at once.

    `idx` is (B, n): row r resamples the units `idx[r]`. Equal to `_alpha(a[i], b[i], level)` for
    each row `i` (tested against the `krippendorff` package): with two coders a unit's coincidences
    are the same in every resample, so a resample's coincidence matrix is the units' matrices
    weighted by how often each unit was drawn, and alpha follows from it as the package computes
    it (1 - sum(o d) / sum(e d), the ordinal distance built on the resample's own margins). NaN
    where `_alpha` gives NaN: fewer than two pairable units or a single value in the resample.
    """
    if level not in ("nominal", "ordinal"):
        raise ValueError(f"level must be nominal or ordinal, not {level!r}")
    B, n = idx.shape
    both = ~np.isnan(a) & ~np.isnan(b)
    vals = np.unique(np.concatenate([a[~np.isnan(a)], b[~np.isnan(b)]]))
    K = len(vals)
    if K < 2:
        return np.full(B, np.nan)
    w = np.bincount((idx + n * np.arange(B)[:, None]).ravel(), minlength=B * n)
    w = w.reshape(B, n).astype(float)  # times each unit is drawn
    ia = np.searchsorted(vals, np.where(np.isnan(a), vals[0], a))
    ib = np.searchsorted(vals, np.where(np.isnan(b), vals[0], b))
    present = np.zeros((n, K))  # values each unit carries (either coder)
    np.add.at(present, (np.flatnonzero(~np.isnan(a)), ia[~np.isnan(a)]), 1)
    np.add.at(present, (np.flatnonzero(~np.isnan(b)), ib[~np.isnan(b)]), 1)
    n_distinct = ((w @ present) > 0).sum(axis=1)
    pairs = np.flatnonzero(both)
    C = np.zeros((len(pairs), K, K))  # a pairable unit's coincidences: vc vc' - diag(vc)
    C[np.arange(len(pairs)), ia[pairs], ib[pairs]] += 1
    C[np.arange(len(pairs)), ib[pairs], ia[pairs]] += 1
    o = (w[:, pairs] @ C.reshape(len(pairs), K * K)).reshape(B, K, K)
    n_v = o.sum(axis=1)
    tot = n_v.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = (n_v[:, :, None] * n_v[:, None, :] - n_v[:, :, None] * np.eye(K)) / (tot - 1)[
            :, None, None
        ]
        if level == "nominal":
            d = np.broadcast_to(1.0 - np.eye(K), (B, K, K))
        else:
            cs = np.concatenate([np.zeros((B, 1)), np.cumsum(n_v, axis=1)], axis=1)
            lo = np.minimum.outer(np.arange(K), np.arange(K))
            hi = np.maximum.outer(np.arange(K), np.arange(K))
            between = cs[:, hi + 1] - cs[:, lo]
            d = (between - (n_v[:, :, None] + n_v[:, None, :]) / 2) ** 2
        out = 1 - (o * d).sum(axis=(1, 2)) / (e * d).sum(axis=(1, 2))
    out[(w[:, pairs].sum(axis=1) < 2) | (n_distinct < 2)] = np.nan
    return out


def agreement_row(a: np.ndarray, b: np.ndarray, level: str, rng, B: int) -> dict:
    """Percent agreement and alpha with a percentile bootstrap CI over units."""
    both = ~np.isnan(a) & ~np.isnan(b)
    n = int(both.sum())
    alpha = _alpha(a, b, level)
    boot = alpha_resamples(a, b, level, rng.integers(0, len(a), (B, len(a))))
    draws = boot[~np.isnan(boot)]
    lo, hi = np.percentile(draws, [2.5, 97.5]) if len(draws) else (np.nan, np.nan)
    return {
        "units": len(a),
        "pairable": n,
        "pct_agree": round(float((a[both] == b[both]).mean()), 4) if n else None,
        "alpha": None if np.isnan(alpha) else round(alpha, 4),
        "alpha_ci_low": None if np.isnan(lo) else round(float(lo), 4),
        "alpha_ci_high": None if np.isnan(hi) else round(float(hi), 4),
        "boot_valid": len(draws),
        "level": level,
    }


def _num(s: pd.Series, mapping: dict | None = None) -> np.ndarray:
    if mapping:
        s = s.map(mapping)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)


def table(pairs: pd.DataFrame, unit_lv: pd.DataFrame, seed: int | None = None) -> pd.DataFrame:
    """Agreement per indicator (grade ordinal, code nominal), pooled, and per level."""
    cfg = _cfg()
    rng = np.random.default_rng(cfg["seed"] if seed is None else seed)
    B = int(cfg["bootstrap_B"])
    rows = []
    for k in IND:
        g = pairs[pairs.indicator == k].sort_values(["client", "period"])
        rows.append(
            {"measure": k, "what": "grade"}
            | agreement_row(_num(g["first"]), _num(g["second"]), "ordinal", rng, B)
        )
        rows.append(
            {"measure": k, "what": "code"}
            | agreement_row(_num(g["first_code"]), _num(g["second_code"]), "nominal", rng, B)
        )
    allg = pairs.sort_values(["client", "period", "indicator"])
    rows.append(
        {"measure": "all indicators", "what": "grade"}
        | agreement_row(_num(allg["first"]), _num(allg["second"]), "ordinal", rng, B)
    )
    u = unit_lv.sort_values(["client", "period"])
    rows.append(
        {"measure": "guarantee", "what": "level"}
        | agreement_row(
            _num(u.first_guarantee, LEVEL_ORDER),
            _num(u.second_guarantee, LEVEL_ORDER),
            "ordinal",
            rng,
            B,
        )
    )
    for v in ("burden_sharing", "interest_exchange"):
        rows.append(
            {"measure": v, "what": "level"}
            | agreement_row(
                _num(u[f"first_{v}"], BIN_ORDER),
                _num(u[f"second_{v}"], BIN_ORDER),
                "nominal",
                rng,
                B,
            )
        )
    out = pd.DataFrame(rows)
    out["meets_goal"] = out.alpha.ge(cfg["alpha_goal"]) & out.alpha.notna()
    return out


def check_adjudication(pairs: pd.DataFrame, dyads: list[codebook.Dyad], path=None) -> pd.DataFrame:
    """Every disagreement has a row in the adjudication log, and its final grade is the one the
    codebook now holds; returns the log."""
    path = config.root() / _cfg()["adjudication_log"] if path is None else path
    if not path.exists():
        raise InputError(
            path,
            "",
            "the adjudication log is missing",
            "adjudicate every disagreement (client, period, indicator, first, second, final, reason)",
        )
    log = pd.read_csv(path, dtype={"first": "Int64", "second": "Int64", "final": "Int64"})
    need = {"client", "period", "indicator", "first", "second", "final", "reason"}
    if not need <= set(log.columns):
        raise InputError(path, "header", f"columns must include {sorted(need)}", "fix the header")
    grades = {(d.client, p.id): p.grades() for d in dyads for p in d.periods}
    key = ["client", "period", "indicator"]
    logged = log.set_index(key)
    for r in pairs.itertuples():
        f, s = (None if pd.isna(v) else int(v) for v in (r.first, r.second))
        if f == s:
            continue
        k = (r.client, r.period, r.indicator)
        if k not in logged.index:
            raise InputError(
                path,
                f"{r.client} {r.period} {r.indicator}",
                f"disagreement (first {f}, second {s}) not adjudicated",
                "add a row with the final grade and the reason",
            )
        row = logged.loc[k]
        final = None if pd.isna(row["final"]) else int(row["final"])
        if not str(row["reason"]).strip() or str(row["reason"]) == "nan":
            raise InputError(path, f"{r.client} {r.period} {r.indicator}", "no reason", "give it")
        if (r.client, r.period) not in grades:
            raise InputError(
                config.codebook_dir() / f"USA-{r.client}.yaml",
                f"periods[{r.period}]",
                "a double-coded dyad-period is missing from the codebook",
                "restore the period (the adjudicated grades must stay in the codebook)",
            )
        now = grades[(r.client, r.period)][r.indicator]
        if final != now:
            raise InputError(
                path,
                f"{r.client} {r.period} {r.indicator}",
                f"final grade {final} but data/codebook/USA-{r.client}.yaml holds {now}",
                "apply the adjudicated grade to the codebook, or correct the log",
            )
    return log


def run(agg: dict, dyads: list[codebook.Dyad] | None = None) -> dict[str, pd.DataFrame] | None:
    """The reliability tables, or None when no double coding has been committed yet."""
    cfg = _cfg()
    sample_path = config.root() / cfg["sample_file"]
    second_dir = config.root() / cfg["second_coder_dir"]
    if not sample_path.exists() or not any(second_dir.glob("*.yaml")):
        return None
    sample = pd.read_csv(sample_path)
    pairs = paired(_read_first(), second_coder_grades(), sample)
    unit_lv = unit_levels(pairs, agg)
    if dyads is not None:
        check_adjudication(pairs, dyads)
    out = {
        "reliability": table(pairs, unit_lv),
        "reliability_pairs": pairs,
        "reliability_levels": unit_lv,
    }
    r2 = config.load_yaml("reliability").get("double_coding_round2")
    if r2 and any((config.root() / r2["second_coder_dir"]).glob("*.yaml")):
        root = config.root()
        s2 = pd.read_csv(root / r2["sample_file"])
        p2 = paired(
            _read_first(root / r2["first_grades_file"]),
            second_coder_grades(root / r2["second_coder_dir"]),
            s2,
        )
        u2 = unit_levels(p2, agg)
        if dyads is not None:
            check_adjudication(p2, dyads, root / r2["adjudication_log"])
        out |= {
            "reliability_round2": table(p2, u2, seed=r2["seed"]),
            "reliability_round2_pairs": p2,
        }
    return out

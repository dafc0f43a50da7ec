"""Figures for the report (matplotlib, Agg backend, no timestamps: byte-identical reruns)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from analysis.io import atomic_write  # noqa: E402

META = {"Software": None}


def _save(fig, path: Path) -> None:
    atomic_write(
        path, lambda p: fig.savefig(p, format="png", dpi=120, metadata=META, bbox_inches="tight")
    )
    plt.close(fig)


def odds_ratio_plot(models: list[dict], names: list[str], terms: list[str], path: Path) -> None:
    """Odds ratios with 95 % CIs of the willingness terms across ordered-logit models."""
    rows = []
    for n in names:
        e = next((m for m in models if m["name"] == n), None)
        if not e or e["status"] != "ok" or "probit" in e["estimator"]:
            continue
        for t in terms:
            if t in e["params"]:
                p = e["params"][t]
                rows.append((f"{n}: {t}", p["odds_ratio"], p["or_ci_low"], p["or_ci_high"]))
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(rows), 2) + 1))
    for i, (_, orr, lo, hi) in enumerate(rows):
        ax.plot([lo, hi], [i, i], color="0.3")
        ax.plot([orr], [i], "o", color="C0")
    ax.axvline(1.0, color="0.6", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_xticks([0.25, 0.5, 1, 2, 4, 8])
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("odds ratio (log scale), 95 % CI; cluster-robust by ally")
    ax.set_title("Willingness and the guarantee level: ordered logit", fontsize=10)
    _save(fig, path)


def cells_plot(h: dict, path: Path) -> None:
    """P(high guarantee) by BS x IE cell with bootstrap CIs."""
    order = ["LL", "HL", "LH", "HH"]
    labels = {
        "LL": "BS low, IE low\n(H2)",
        "HL": "BS high, IE low\n(H3)",
        "LH": "BS low, IE high\n(H3)",
        "HH": "BS high, IE high\n(H1)",
    }
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for i, c in enumerate(order):
        v = h["cells"][c]
        ax.plot([i, i], [v["ci_low"], v["ci_high"]], color="0.3")
        ax.plot([i], [v["p_high"]], "o", color="C1")
    ax.set_xticks(range(4), [labels[c] for c in order], fontsize=8)
    ax.set_ylabel("P(high guarantee)")
    ax.set_title(f"Predicted P(high) by cell, {h['model']} (95 % cluster-bootstrap CI)", fontsize=9)
    _save(fig, path)

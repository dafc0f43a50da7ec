"""Figures for the report, returned as PNG bytes (embedded in the HTML, written for the Markdown).

matplotlib with the Agg backend and no Software/date metadata: same inputs, same bytes.
"""

from __future__ import annotations

import io

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402

META = {"Software": None}
LEVELS = ["low", "limited", "high"]


SHORT_LABEL = {"LL": "LL\n(H2)", "HL": "HL\n(H3)", "LH": "LH\n(H3)", "HH": "HH\n(H1)"}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata=META, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def odds_ratios(rows: list[tuple[str, float, float, float]]) -> bytes:
    """Coefficient plot: odds ratios with 95 % CIs (log scale), one row per model x term."""
    fig, ax = plt.subplots(figsize=(7, 0.42 * max(len(rows), 2) + 1))
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
    return _png(fig)


def cell_levels(h: dict) -> bytes:
    """P(each guarantee level) in the four BS x IE cells, with cluster-bootstrap 95 % CIs."""
    order = ["LL", "HL", "LH", "HH"]
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.8), sharey=False, layout="constrained")
    for ax, lev, col in zip(axes, LEVELS, ["C3", "C1", "C2"], strict=True):
        for i, c in enumerate(order):
            v = h["cells"][c]["levels"][lev]
            ax.plot([i, i], [v["ci_low"], v["ci_high"]], color="0.3")
            ax.plot([i], [v["p"]], "o", color=col)
        ax.set_xticks(range(4), [SHORT_LABEL[c] for c in order], fontsize=8)
        ax.set_xlim(-0.5, 3.5)
        ax.set_xlabel("cell: burden sharing, interest exchange\n(H = high, L = low)", fontsize=8)
        ax.set_title(f"P({lev})", fontsize=10)
        ax.set_ylim(0, 1 if lev != "high" else max(0.2, ax.get_ylim()[1]))
    axes[0].set_ylabel("predicted probability")
    fig.suptitle(
        f"Predicted guarantee level by cell, {h['model']} (95 % cluster-bootstrap CIs)", fontsize=10
    )
    return _png(fig)


def _level_codes(s: pd.Series) -> np.ndarray:
    return s.map({"low": 0, "limited": 1, "high": 2}).astype(float).to_numpy()


def guarantee_grid(periods: pd.DataFrame, years: pd.DataFrame, period_ids: list[str]) -> bytes:
    """Guarantee level by ally: the codebook's level per period, and the measured level per year."""
    cb = periods[periods.track == "codebook"]
    allies = sorted(cb.client.unique())
    a = (
        cb.pivot_table(index="client", columns="period", values="guarantee", aggfunc="first")
        .reindex(index=allies, columns=period_ids)
        .apply(_level_codes)
    )
    y = years[years.client.isin(allies)]
    b = (
        y.pivot_table(index="client", columns="year", values="guarantee_measured", aggfunc="first")
        .reindex(index=allies)
        .apply(_level_codes)
    )
    cmap = ListedColormap(["#d7301f", "#fdae61", "#1a9850"])
    cmap.set_bad("#eeeeee")
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3)
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(11, 0.2 * len(allies) + 1.5), gridspec_kw={"width_ratios": [1, 4]}
    )
    ax1.imshow(np.ma.masked_invalid(a.to_numpy()), cmap=cmap, norm=norm, aspect="auto")
    ax1.set_xticks(range(len(period_ids)), period_ids, fontsize=8)
    ax1.set_yticks(range(len(allies)), allies, fontsize=7)
    ax1.set_title("codebook (paper's level)", fontsize=9)
    im = ax2.imshow(np.ma.masked_invalid(b.to_numpy()), cmap=cmap, norm=norm, aspect="auto")
    cols = list(b.columns)
    step = max(1, len(cols) // 12)
    ax2.set_xticks(range(0, len(cols), step), [str(c) for c in cols[::step]], fontsize=7)
    ax2.set_yticks(range(len(allies)), allies, fontsize=7)
    ax2.set_title("rules on measured data (guarantee_measured), by year", fontsize=9)
    cbar = fig.colorbar(im, ax=[ax1, ax2], ticks=[0, 1, 2], fraction=0.03)
    cbar.ax.set_yticklabels(LEVELS)
    return _png(fig)


def coverage(panel: pd.DataFrame, columns: list[str]) -> bytes:
    """Dyads x years: how many of the measured inputs are present in each dyad-year."""
    d = panel.assign(n=panel[columns].notna().sum(axis=1))
    m = d.pivot_table(index="client", columns="year", values="n", aggfunc="first")
    fig, ax = plt.subplots(figsize=(10, 0.14 * len(m) + 1.5))
    cmap = plt.get_cmap("viridis", len(columns) + 1).copy()
    cmap.set_bad("white")
    im = ax.imshow(
        np.ma.masked_invalid(m.to_numpy(dtype=float)),
        cmap=cmap,
        vmin=-0.5,
        vmax=len(columns) + 0.5,
        aspect="auto",
    )
    cols = list(m.columns)
    ax.set_xticks(range(0, len(cols), 2), [str(c) for c in cols[::2]], fontsize=7, rotation=90)
    ax.set_yticks(range(len(m)), list(m.index), fontsize=5.5)
    ax.set_title(
        f"Panel coverage: measured inputs present per dyad-year (of {len(columns)}); "
        "white = client not an independent state / not in the panel",
        fontsize=9,
    )
    fig.colorbar(im, ax=ax, ticks=range(len(columns) + 1), fraction=0.03)
    return _png(fig)

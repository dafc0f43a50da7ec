"""The paper's aggregation rules: Tables 10-11 reproduced, and properties (hypothesis)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from analysis.coding import levels

# Jiang, "Sharing Responsibilities and Benefits", Contemporary Asia-Pacific: Table 10 (burden
# sharing and interest exchange, seed text lines 551-567) and Table 11 (security guarantee, lines
# 572-584). 'x' = the client meets the indicator (the paper's ○). Typed from the paper.
PAPER_TABLE_10_11 = {
    #        POL  DEU  JPN  PHL
    "BS1": ["x", "x", "", ""],
    "BS2": ["x", "x", "x", ""],
    "BS3": ["x", "", "x", ""],
    "burden_sharing": ["high", "high", "high", "low"],
    "IE1": ["x", "", "x", ""],
    "IE2": ["x", "", "x", ""],
    "IE3": ["", "", "x", ""],
    "IE4": ["x", "", "", ""],
    "IE5": ["x", "", "x", ""],
    "IE6": ["x", "", "x", ""],
    "interest_exchange": ["high", "low", "high", "low"],
    "SG1": ["x", "", "", ""],
    "SG2": ["x", "", "x", ""],
    "SG3": ["x", "x", "x", ""],
    "SG4": ["x", "x", "x", ""],
    "SG5": ["x", "x", "x", "x"],
    "guarantee": ["high", "limited", "high", "low"],
}
CASES = ["POL", "DEU", "JPN", "PHL"]


def test_four_cases_csv_reproduces_tables_10_and_11(coded):
    got = pd.read_csv(coded / "reports" / "four_cases.csv", keep_default_na=False).set_index("row")
    for row, want in PAPER_TABLE_10_11.items():
        assert list(got.loc[row, CASES]) == want, row
    # the 2x2 prediction (Table 3) holds for all four cases
    assert list(got.loc["predicted", CASES]) == PAPER_TABLE_10_11["guarantee"]
    assert list(got.loc["cell", CASES]) == ["H1", "H3", "H1", "H2"]


def test_threshold_alternative_changes_only_what_it_should(coded):
    cp = pd.read_parquet(coded / "data" / "processed" / "coded_periods.parquet")
    changed = cp[cp.interest_exchange != cp.interest_exchange_alt]
    # only rows with exactly 3 IE indicators met (high at >= 3, not at >= 4) may change
    assert (
        (changed.ie_met == 3)
        | (changed.interest_exchange.isna() | changed.interest_exchange_alt.isna())
    ).all()
    # the four paper cases have 5, 0, 5, 0 IE met: unchanged
    four = cp[(cp.track == "codebook") & (cp.period == "trump") & cp.client.isin(CASES)]
    assert (four.interest_exchange == four.interest_exchange_alt).all()


def test_exact_thresholds():
    assert levels.burden_sharing([1, 1, 0]) == "high"
    assert levels.burden_sharing([1, 0, 0]) == "low"
    assert levels.interest_exchange([1, 1, 1, 0, 0, 0]) == "high"
    assert levels.interest_exchange([1, 1, 1, 0, 0, 0], high_min=4) == "low"
    assert levels.guarantee([1, 1, 1, 1, 0]) == "high"
    assert levels.guarantee([1, 1, 1, 0, 0]) == "limited"
    assert levels.guarantee([1, 1, 0, 0, 0]) == "limited"
    assert levels.guarantee([1, 0, 0, 0, 0]) == "low"
    assert levels.guarantee([0, 0, 0, 0, 0]) == "low"


def test_unknowns():
    # one unknown could make BS high: unknown, not low
    assert levels.burden_sharing([1, None, 0]) is None
    # two unknowns cannot lift 0 met to 2 of 3? they can: unknown
    assert levels.burden_sharing([0, None, None]) is None
    # an unknown that cannot change the level does not blank it
    assert levels.burden_sharing([1, 1, None]) == "high"
    assert levels.burden_sharing([0, 0, None]) == "low"
    assert levels.guarantee([1, 1, 1, 1, None]) == "high"
    assert levels.guarantee([1, 1, 0, None, 0]) == "limited"
    assert levels.guarantee([1, None, 0, 0, 0]) is None  # low or limited
    assert levels.prediction(None, "high") is None


codes5 = st.lists(st.sampled_from([0, 1, None]), min_size=5, max_size=5)
codes6 = st.lists(st.sampled_from([0, 1, None]), min_size=6, max_size=6)
ORDER = levels.LEVEL_ORDER


@given(codes5, st.integers(0, 4))
def test_meeting_one_more_never_lowers_guarantee(codes, i):
    base = [0 if c is None else c for c in codes]
    if base[i] == 1:
        return
    more = list(base)
    more[i] = 1
    assert ORDER[levels.guarantee(more)] >= ORDER[levels.guarantee(base)]


@given(codes6, st.integers(0, 5), st.integers(1, 6))
def test_meeting_one_more_never_lowers_binary(codes, i, t):
    base = [0 if c is None else c for c in codes]
    more = list(base)
    more[i] = 1
    assert ORDER[levels.binary_level(more, t)] >= ORDER[levels.binary_level(base, t)]


@given(codes5)
def test_row_order_does_not_matter(codes):
    assert levels.guarantee(codes) == levels.guarantee(list(reversed(codes)))
    assert levels.guarantee(codes) == levels.guarantee(
        sorted(codes, key=lambda c: (c is None, c or 0))
    )


@given(codes5)
def test_unknown_level_iff_completions_disagree(codes):
    import itertools

    unk = [i for i, c in enumerate(codes) if c is None]
    outcomes = set()
    for fill in itertools.product([0, 1], repeat=len(unk)):
        full = list(codes)
        for i, v in zip(unk, fill, strict=True):
            full[i] = v
        outcomes.add(levels.guarantee(full))
    got = levels.guarantee(codes)
    assert (got is None) == (len(outcomes) > 1)
    if got is not None:
        assert outcomes == {got}


@given(codes6, st.integers(1, 6))
def test_unknowns_never_count_as_met(codes, t):
    known_met = sum(c == 1 for c in codes)
    lvl = levels.binary_level(codes, t)
    if lvl == "high":
        assert known_met >= t

"""The paper's aggregation rules as code (Tables 1-3).

Unknown indicators (None) never count as met. When the unknowns could change a level, the level
is unknown (None), never low: a level is only returned if it holds for every possible value of
the unknown indicators.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Code = int | None


def _counts(codes: Iterable[Code]) -> tuple[int, int]:
    codes = list(codes)
    for c in codes:
        if c not in (0, 1, None):
            raise ValueError(f"indicator codes must be 1, 0 or None, got {c!r}")
    return sum(1 for c in codes if c == 1), sum(1 for c in codes if c is None)


def binary_level(codes: Sequence[Code], high_min: int) -> str | None:
    """'high' if at least `high_min` met, 'low' if that is impossible even with unknowns."""
    met, unk = _counts(codes)
    if met >= high_min:
        return "high"
    if met + unk < high_min:
        return "low"
    return None


def burden_sharing(codes: Sequence[Code], high_min: int = 2) -> str | None:
    return binary_level(codes, high_min)


def interest_exchange(codes: Sequence[Code], high_min: int = 3) -> str | None:
    return binary_level(codes, high_min)


def _graded(n: int, high_min: int, limited_min: int) -> str:
    return "high" if n >= high_min else "limited" if n >= limited_min else "low"


def guarantee(codes: Sequence[Code], high_min: int = 4, limited_min: int = 2) -> str | None:
    """high >= high_min met, limited >= limited_min, else low; None if unknowns could change it."""
    met, unk = _counts(codes)
    lo, hi = _graded(met, high_min, limited_min), _graded(met + unk, high_min, limited_min)
    return lo if lo == hi else None


def prediction(bs: str | None, ie: str | None) -> str | None:
    """Table 3: H1 high/high -> high; H2 low/low -> low; H3 mixed -> limited."""
    if bs is None or ie is None:
        return None
    if bs == ie == "high":
        return "high"
    if bs == ie == "low":
        return "low"
    return "limited"


def hypothesis(bs: str | None, ie: str | None) -> str | None:
    if bs is None or ie is None:
        return None
    return {("high", "high"): "H1", ("low", "low"): "H2"}.get((bs, ie), "H3")


LEVEL_ORDER = {"low": 0, "limited": 1, "high": 2}

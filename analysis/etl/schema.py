"""Validation of the panel with pandera: keys, types, ranges, and NA only outside a source's
domain (or with the reason the source gives). A failed check stops the run before any output
is written, with a message naming the column, the check and the first failing rows.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from analysis.errors import InputError


def _implies(cond: pd.Series, then: pd.Series) -> pd.Series:
    return ~cond | then


def make_schema(domains: dict) -> pa.DataFrameSchema:
    """The schema, with NA domains taken from the sources (ATOP's and SIPRI TIV's last years)."""
    atop_last = domains["defense_pact_atop_last"]
    tiv_last = domains["us_tiv"][1]
    return pa.DataFrameSchema(
        {
            "patron": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
            "client": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
            "client_ccode": pa.Column(int, pa.Check.in_range(2, 999)),
            "client_name": pa.Column(str),
            "year": pa.Column(int, pa.Check.in_range(1946, 2100)),
            "defense_pact": pa.Column("Int8", pa.Check.isin([0, 1]), nullable=True),
            "milex_gdp": pa.Column(float, pa.Check.in_range(0, 200), nullable=True),
            "milex_gdp_source": pa.Column(str, nullable=True),
            "milex_gdp_nato": pa.Column(float, pa.Check.in_range(0, 15), nullable=True),
            "milex_gdp_sipri": pa.Column(float, pa.Check.in_range(0, 200), nullable=True),
            "troops": pa.Column("Float64", pa.Check.ge(0), nullable=True),
            "us_tiv": pa.Column(float, pa.Check.ge(0), nullable=True),
            "ideal_distance": pa.Column(float, pa.Check.in_range(0, 10), nullable=True),
            "un_agree_us": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        },
        checks=[
            pa.Check(
                lambda d: _implies(d.year <= atop_last, d.defense_pact.notna()),
                error="defense_pact is NA inside ATOP's years",
            ),
            pa.Check(
                lambda d: _implies(d.year <= tiv_last, d.us_tiv.notna()),
                error="us_tiv is NA inside SIPRI TIV's years",
            ),
            pa.Check(
                lambda d: _implies(d.year > tiv_last, d.us_tiv.isna()),
                error="us_tiv filled past SIPRI TIV's last year",
            ),
            pa.Check(
                lambda d: _implies(d.troops.isna(), d.troops_note.notna()),
                error="troops NA without a reason",
            ),
            pa.Check(
                lambda d: _implies(d.milex_gdp.isna(), d.milex_gdp_sipri_na_reason.notna()),
                error="milex_gdp NA without a reason",
            ),
            pa.Check(
                lambda d: d.milex_gdp.notna() == d.milex_gdp_source.notna(),
                error="milex_gdp_source does not match milex_gdp",
            ),
        ],
        unique=["patron", "client", "year"],
        strict=False,
        coerce=False,
    )


def validate(
    panel: pd.DataFrame, domains: dict, target: str = "data/processed/panel"
) -> pd.DataFrame:
    try:
        return make_schema(domains).validate(panel, lazy=True)
    except SchemaErrors as exc:
        fc = exc.failure_cases
        first = fc.head(5).to_dict("records")
        raise InputError(
            target,
            "schema",
            f"{len(fc)} failed check(s); first: {first}",
            "fix the source or the parser that produced these values; nothing was written",
        ) from None


def coverage(panel: pd.DataFrame, columns: list[str]) -> dict[str, list[int] | None]:
    """First and last year with a non-NA value, per column."""
    out = {}
    for c in columns:
        y = panel.loc[panel[c].notna(), "year"]
        out[c] = [int(y.min()), int(y.max())] if len(y) else None
    return out

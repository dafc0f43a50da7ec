"""Fast unit tests of the report's building blocks: provenance pointers, number printing, and the
models.json contract check (no pipeline needed)."""

from __future__ import annotations

import json
import math
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.errors import InputError
from analysis.report.inputs import load_models_json
from analysis.report.prov import number, pointer, resolve
from analysis.report.tables import stars


def _decode(ptr: str) -> list[str]:
    """RFC 6901 read independently: split, percent-decode, then ~1 -> / and ~0 -> ~."""
    return [unquote(p).replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:]]


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4))
def test_pointer_round_trips_any_key(keys):
    ptr = pointer(*keys)
    assert _decode(ptr) == keys
    assert "|" not in ptr and " " not in ptr and ")" not in ptr  # safe inside a Markdown link


def test_pointer_resolves_into_lists_and_dicts():
    doc = {"models": [{"cutpoints": {"low|limited": {"value": -4.7}}}]}
    parts = ("models", 0, "cutpoints", "low|limited", "value")
    assert resolve(doc, parts) == -4.7
    assert pointer(*parts) == "/models/0/cutpoints/low%7Climited/value"


@pytest.mark.parametrize(
    "v, d, text",
    [
        (2.8961, 2, "2.90"),
        (-0.0014, 3, "-0.001"),
        (1238, 0, "1238"),
        (1237.6, 0, "1238"),
        (0.0042, -1, "0.004"),
        (0.00019, -1, "1.9e-04"),
        (None, 2, "n/a"),
        (math.nan, 2, "n/a"),
    ],
)
def test_number_printing(v, d, text):
    assert number(v, d) == text


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(1, 4))
def test_printed_number_is_within_half_a_unit_of_the_last_digit(v, d):
    assert abs(float(number(v, d)) - v) <= 0.5 * 10**-d + 1e-9 * max(1.0, abs(v))


def test_stars_thresholds():
    assert [stars(p) for p in (0.009, 0.01, 0.049, 0.05, 0.099, 0.1, None)] == [
        "***",
        "**",
        "**",
        "*",
        "*",
        "",
        "",
    ]


def _contract() -> dict:
    return {
        "config": {},
        "models": [
            {"name": n, "status": "ok", "estimator": "ordered logit", "n": 10}
            for n in ("ologit_years", "ologit_years_interaction", "ologit_codebook")
        ],
        "hypotheses": [],
        "diagnostics": {},
        "robustness": {
            "ie_threshold_4": "ologit_codebook_ie4",
            "sg1_rules": ["ologit_years_sg1_00"],
            "probit": "oprobit_years",
            "paper_cases_dropped_codebook": "ologit_codebook_no_paper_cases",
            "paper_cases_dropped_years": "ologit_years_no_paper_cases",
            "leave_one_ally_out": {},
        },
    }


def test_models_json_contract_accepts_a_minimal_file(tmp_path):
    p = tmp_path / "models.json"
    p.write_text(json.dumps(_contract()))
    assert load_models_json(p)["models"][0]["name"] == "ologit_years"


@pytest.mark.parametrize(
    "mutate, where",
    [
        (lambda d: d.pop("robustness"), "robustness"),
        (lambda d: d["robustness"].pop("leave_one_ally_out"), "robustness.leave_one_ally_out"),
        (lambda d: d["models"][1].pop("n"), "models.1.n"),
        (lambda d: d["models"].pop(2), "models[name=ologit_codebook]"),
        (lambda d: d["models"][0].update(n="many"), "models.0.n"),
    ],
)
def test_models_json_contract_names_the_failing_key(tmp_path, mutate, where):
    d = _contract()
    mutate(d)
    p = tmp_path / "models.json"
    p.write_text(json.dumps(d))
    with pytest.raises(InputError) as e:
        load_models_json(p)
    assert where in str(e.value)


def test_truncated_models_json_names_line_and_column(tmp_path):
    p = tmp_path / "models.json"
    p.write_text(json.dumps(_contract(), indent=1)[:120])
    with pytest.raises(InputError) as e:
        load_models_json(p)
    assert "not valid JSON" in str(e.value) and "line" in str(e.value)

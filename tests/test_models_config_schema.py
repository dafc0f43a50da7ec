"""config/models.yaml has a schema: the issue's cases give exit 2 with file, key path, value and
what is allowed, and nothing is written."""

from __future__ import annotations

import copy

import pytest
import yaml

from analysis import schemas
from analysis.errors import InputError
from tests.conftest import ROOT, edit_yaml, run_cli

BASE = yaml.safe_load((ROOT / "config" / "models.yaml").read_text())


def _check(edit) -> str:
    c = copy.deepcopy(BASE)
    edit(c)
    with pytest.raises(InputError) as e:
        schemas.check("models.yaml", schemas.Models, c)
    return str(e.value)


def test_committed_models_yaml_validates():
    schemas.check("models.yaml", schemas.Models, copy.deepcopy(BASE))


@pytest.mark.parametrize(
    ("edit", "parts"),
    [
        (
            lambda c: c["ordered"].update(cov_type="HC1"),
            ["ordered.cov_type", "unknown key", "link"],
        ),
        (lambda c: c["ordered"].update(link="logistic"), ["ordered.link", "'logistic'", "'logit'"]),
        (lambda c: c["bootstrap"].update(B=0), ["bootstrap.B", "got 0", ">= 1"]),
        (lambda c: c["bootstrap"].update(B="1e3"), ["bootstrap.B", "'1e3'", "1000"]),
        (lambda c: c["bootstrap"].update(level=95), ["bootstrap.level", "95"]),
        (lambda c: c["imputation"].update(m=1), ["imputation.m", ">= 2"]),
        (lambda c: c["power"].update(deltas=[1.0, 2.0]), ["power.deltas", "start at 0"]),
        (lambda c: c["few_cluster"].update(wild_weights="normal"), ["wild_weights", "'webb'"]),
        (
            lambda c: c["primary"]["out_of_sample"]["paper_levels"].pop("PHL"),
            ["paper_levels", "PHL"],
        ),
        (
            lambda c: c["primary"]["expert"].update(regressors=["bs_high", "ie_high"]),
            ["primary.expert.regressors", "bs_x_ie"],
        ),
        (lambda c: c["primary"]["expert"].update(estimator="mle"), ["estimator", "'firth'"]),
        (lambda c: c["robustness"].update(paper_cases=["pol"]), ["paper_cases", "ISO3"]),
        (
            lambda c: c["panel"].update(regressors_main=["milex_gdp", "milex_gdp"]),
            ["panel.regressors_main[1]", "'milex_gdp' is listed twice", "each entry once"],
        ),
        (
            lambda c: c["ordered"]["controls"].append("nato"),
            ["ordered.controls[3]", "listed twice (also at [2])"],
        ),
        (
            lambda c: c["robustness"].update(paper_cases=["POL", "DEU", "POL"]),
            ["robustness.paper_cases[2]", "'POL' is listed twice"],
        ),
    ],
)
def test_bad_edit_is_named(edit, parts):
    msg = _check(edit)
    assert msg.startswith("error: models.yaml:")
    for p in parts:
        assert p in msg, (p, msg)


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda c: c["ordered"].update(cov_type="HC1"), "ordered.cov_type"),
        (lambda c: c["bootstrap"].update(B=0), "bootstrap.B"),
    ],
)
def test_models_stage_refuses_before_writing(project, edit, where):
    out = project / "reports" / "models.json"
    out.write_text("previous\n")
    edit_yaml(project, "models", edit)
    res = run_cli(project, "models")
    assert res.returncode == 2, res.stderr
    assert f"models.yaml: {where}" in res.stderr and "what to do" in res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    assert out.read_text() == "previous\n"

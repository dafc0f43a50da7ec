"""Codebook v2: grades and cuts, the guide's anchors, evidence rules, panel-evidence tracing,
the double-coding sample and the agreement figures, and the known-group events."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import config
from analysis.coding import codebook, reliability, sampling, validity
from tests.conftest import ROOT, make_root, run_cli

CB = ROOT / "data" / "codebook"
IND = list(config.indicators())
GUIDE = (ROOT / "docs" / "coding_guide.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------ the guide and the cuts
@pytest.mark.parametrize("ind", IND)
def test_guide_has_anchors_for_every_grade(ind):
    """Each indicator's section of docs/coding_guide.md writes an anchor for -1, 0 and +1."""
    m = re.search(rf"\*\*{ind} [^*]+\*\*(.*?)(?=\n\*\*[A-Z]{{2}}\d |\n## |\n### )", GUIDE, re.S)
    assert m, f"no section for {ind} in docs/coding_guide.md"
    body = m.group(1)
    for g in ("`+1`", "`0`", "`-1`"):
        assert f"- {g}:" in body, f"{ind}: no anchor for grade {g}"


def test_cuts_are_documented_in_the_guide():
    cuts = codebook.grade_cuts()
    for ind, cut in cuts.items():
        row = re.search(rf"^\| {ind} \| (.+?) \|", GUIDE, re.M)
        assert row, ind
        want = "`+1`" if cut == 1 else "`0` or `+1`"
        assert row.group(1).strip() == want, (ind, row.group(1))


@pytest.mark.parametrize(
    ("grade", "cut", "code"),
    [
        (-1, 0, 0),
        (0, 0, 1),
        (1, 0, 1),
        (-1, 1, 0),
        (0, 1, 0),
        (1, 1, 1),
        (None, 0, None),
        (None, 1, None),
    ],
)
def test_code_from_grade(grade, cut, code):
    assert codebook.code_from_grade(grade, cut) == code


# ------------------------------------------------------------------ the committed codebook
def _dyads():
    return codebook.load_all(CB)


def test_every_indicator_is_graded_or_null_and_web_items_have_quality():
    for d in _dyads():
        for p in d.periods:
            for ind in IND:
                item = getattr(p, ind)
                assert item.grade in (-1, 0, 1, None)
                for e in item.evidence:
                    if e.kind == "web":
                        assert e.source_quality in ("official", "reputable", "weak")
                        assert not codebook.PLACEHOLDER_TITLE.search(e.title), e.title


def test_when_inside_period_or_marked_retrospective():
    for d in _dyads():
        for p in d.periods:
            assert codebook.when_problems(p) == [], (d.client, p.id)
            for ind in IND:
                for e in getattr(p, ind).evidence:
                    if e.retrospective:
                        assert e.retrospective_reason and e.retrospective_reason.strip()


def test_weak_only_grades_have_low_confidence():
    for d in _dyads():
        for p in d.periods:
            for ind in IND:
                item = getattr(p, ind)
                web = [e for e in item.evidence if e.kind == "web"]
                if item.grade is not None and web and len(web) == len(item.evidence):
                    if all(e.source_quality == "weak" for e in web):
                        assert item.confidence == "low", (d.client, p.id, ind)


def test_paper_cases_reproduce_tables_10_and_11_from_the_grades():
    """The trump-period grades of the four cases, through the cuts, give the paper's codes."""
    from tests.test_coding_levels import PAPER_TABLE_10_11

    cases = ["POL", "DEU", "JPN", "PHL"]
    trump = {
        d.client: next(p for p in d.periods if p.id == "trump")
        for d in _dyads()
        if d.client in cases
    }
    for ind in IND:
        want = PAPER_TABLE_10_11[ind]
        got = ["x" if trump[c].codes()[ind] == 1 else "" for c in cases]
        assert got == want, (ind, got, want)


# ------------------------------------------------------------------ schema failures
def _edit(tmp_path: Path, client: str, change) -> Path:
    root = make_root(tmp_path, link_raw=False)
    p = root / "data" / "codebook" / f"USA-{client}.yaml"
    raw = yaml.load(p.read_text(), Loader=codebook._NoDates)
    change(raw)
    p.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    return root


def _first_web(raw):
    for p in raw["periods"]:
        for ind in IND:
            for j, e in enumerate(p[ind]["evidence"]):
                if e["kind"] == "web":
                    return p, ind, j, e
    raise AssertionError("no web item")


def test_wrong_source_quality_is_refused(tmp_path):
    def change(raw):
        _, _, _, e = _first_web(raw)
        e["source_quality"] = "official" if e["source_quality"] != "official" else "weak"

    res = run_cli(_edit(tmp_path, "EST", change), "validate-codebook")
    assert res.returncode == 2 and "config/source_hosts.yaml classes" in res.stderr, res.stderr


def test_placeholder_title_is_refused(tmp_path):
    def change(raw):
        _, _, _, e = _first_web(raw)
        e["title"] = "[title not shown in the stored page text]"

    res = run_cli(_edit(tmp_path, "EST", change), "validate-codebook")
    assert res.returncode == 2 and "placeholder title" in res.stderr, res.stderr


def test_when_far_outside_period_is_refused(tmp_path):
    """Issue: a `when` typed 2081 for 2018 was accepted."""

    def change(raw):
        p, ind, j, e = _first_web(raw)
        e["when"] = "2081"
        e.pop("retrospective", None)
        e.pop("retrospective_reason", None)

    res = run_cli(_edit(tmp_path, "EST", change), "validate-codebook")
    assert res.returncode == 2, res.stderr
    assert "outside the period" in res.stderr and "retrospective" in res.stderr, res.stderr


def test_retrospective_needs_a_reason(tmp_path):
    def change(raw):
        _, _, _, e = _first_web(raw)
        e["retrospective"] = True
        e.pop("retrospective_reason", None)

    res = run_cli(_edit(tmp_path, "EST", change), "validate-codebook")
    assert res.returncode == 2 and "retrospective_reason" in res.stderr, res.stderr


def _coded_root(built: Path, tmp_path: Path) -> Path:
    root = make_root(tmp_path, link_raw=True)
    for f in (built / "data" / "processed").glob("panel.*"):
        shutil.copy(f, root / "data" / "processed" / f.name)
    return root


def _first_panel(raw, source_id):
    for p in raw["periods"]:
        for ind in IND:
            for j, e in enumerate(p[ind]["evidence"]):
                if (
                    e["kind"] == "panel"
                    and e["source_id"] == source_id
                    and e.get("value") is not None
                ):
                    return p, ind, j, e
    raise AssertionError("no panel item")


def test_panel_value_contradicting_the_panel_stops_the_stage(built, tmp_path):
    """Issue: 2.875 cited for a NATO cell that holds 1.875 was accepted."""
    root = _coded_root(built, tmp_path)
    p = root / "data" / "codebook" / "USA-POL.yaml"
    raw = yaml.load(p.read_text(), Loader=codebook._NoDates)
    per, ind, j, e = _first_panel(raw, "nato-2024")
    e["value"] = round(e["value"] + 1.0, 3)
    p.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    res = run_cli(root, "code")
    assert res.returncode == 2, res.stderr
    assert f"periods[{per['id']}].{ind}.evidence[{j}].value" in res.stderr, res.stderr
    assert "contradicts the panel" in res.stderr and str(e["value"]) in res.stderr
    assert not (root / "data" / "processed" / "coded_periods.parquet").exists()


def test_panel_row_of_another_client_stops_the_stage(built, tmp_path):
    root = _coded_root(built, tmp_path)
    p = root / "data" / "codebook" / "USA-POL.yaml"
    raw = yaml.load(p.read_text(), Loader=codebook._NoDates)
    per, ind, j, e = _first_panel(raw, "nato-2024")
    e["row"] = re.sub(r"\| [^|]+ \|", "| Germany |", e["row"], count=1)
    p.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    res = run_cli(root, "code")
    assert res.returncode == 2 and "names DEU, not this file's client POL" in res.stderr, res.stderr


def test_codebook_client_not_in_the_panel_names_nearest_codes(built, tmp_path):
    """Issue: a file for client GRE (an IOC code) was accepted."""
    root = _coded_root(built, tmp_path)
    src = root / "data" / "codebook" / "USA-GRC.yaml"
    raw = yaml.load(src.read_text(), Loader=codebook._NoDates)
    raw["client"] = "GRE"
    (root / "data" / "codebook" / "USA-GRE.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    src.unlink()
    res = run_cli(root, "code")
    assert res.returncode == 2, res.stderr
    assert "'GRE' is not a client of the panel" in res.stderr and "GRC" in res.stderr, res.stderr
    assert "config/panel.yaml" in res.stderr


# ------------------------------------------------------------------ double coding
def test_double_coding_sample_is_reproducible_from_its_seed():
    committed = pd.read_csv(ROOT / "data" / "double_coding" / "sample.csv")
    drawn = sampling.draw_double_coding_sample()
    pd.testing.assert_frame_equal(committed, drawn.reset_index(drop=True))
    units = sampling.dyad_periods()
    assert len(committed) >= 0.30 * len(units)
    for (per, reg), g in units.groupby(["period", "region"]):
        n = ((committed.period == per) & (committed.region == reg)).sum()
        assert n >= 0.30 * len(g), (per, reg)


def test_round2_sample_is_reproducible_and_fresh():
    r2 = config.load_yaml("reliability")["double_coding_round2"]
    committed = pd.read_csv(ROOT / r2["sample_file"])
    pd.testing.assert_frame_equal(committed, sampling.draw_round2_sample().reset_index(drop=True))
    r1 = pd.read_csv(ROOT / "data" / "double_coding" / "sample.csv")
    fresh = set(zip(committed.client, committed.period, strict=True))
    assert not fresh & set(zip(r1.client, r1.period, strict=True))


def test_krippendorff_textbook_example():
    """Krippendorff (2011), 'Computing Krippendorff's alpha-reliability', the 4-coder x 12-unit
    example: nominal 0.743, ordinal 0.815, interval 0.849 (values printed in the paper)."""
    nan = np.nan
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
    assert krippendorff.alpha(
        reliability_data=data, level_of_measurement="nominal"
    ) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff.alpha(
        reliability_data=data, level_of_measurement="ordinal"
    ) == pytest.approx(0.815, abs=5e-4)
    assert krippendorff.alpha(
        reliability_data=data, level_of_measurement="interval"
    ) == pytest.approx(0.849, abs=5e-4)


def test_agreement_row_perfect_and_reproducible():
    a = np.array([1, 0, -1, 0, 1, 1, 0, -1], dtype=float)
    r1 = reliability.agreement_row(a, a.copy(), "ordinal", np.random.default_rng(1), 50)
    assert r1["pct_agree"] == 1.0 and r1["alpha"] == 1.0
    b = np.array([1, 0, 0, 0, 1, -1, 0, -1], dtype=float)
    x = reliability.agreement_row(a, b, "ordinal", np.random.default_rng(7), 200)
    y = reliability.agreement_row(a, b, "ordinal", np.random.default_rng(7), 200)
    assert x == y and x["pct_agree"] == 0.75


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(2, 30),
    k=st.integers(1, 5),
    p_agree=st.floats(0, 1),
    p_missing=st.floats(0, 0.4),
    level=st.sampled_from(["ordinal", "nominal"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_vectorised_bootstrap_alpha_equals_the_package_on_each_resample(
    n, k, p_agree, p_missing, level, seed
):
    """alpha_resamples gives, for every resample, what krippendorff.alpha gives on it."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-1, k, n).astype(float)
    b = np.where(rng.random(n) < p_agree, a, rng.integers(-1, k, n)).astype(float)
    a[rng.random(n) < p_missing] = np.nan
    b[rng.random(n) < p_missing] = np.nan
    idx = rng.integers(0, n, (25, n))
    got = reliability.alpha_resamples(a, b, level, idx)
    ref = np.array([reliability._alpha(a[i], b[i], level) for i in idx])
    assert (np.isnan(got) == np.isnan(ref)).all()
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(got[ok], ref[ok], rtol=0, atol=1e-12)


def _has_double_coding() -> bool:
    return (ROOT / "data" / "double_coding" / "first_grades.csv").exists()


@pytest.mark.skipif(not _has_double_coding(), reason="double coding not committed")
def test_agreement_recomputed_from_committed_files_matches_the_report(coded):
    got = pd.read_csv(coded / "reports" / "reliability.csv")
    cfg = config.load_yaml("reliability")["double_coding"]
    sample = pd.read_csv(ROOT / cfg["sample_file"])
    first = pd.read_csv(
        ROOT / "data" / "double_coding" / "first_grades.csv", dtype={"grade": "Int64"}
    )
    second = []
    for path in sorted((ROOT / cfg["second_coder_dir"]).glob("*.yaml")):
        raw = yaml.safe_load(path.read_text())
        for p in raw["periods"]:
            second += [
                {"client": raw["client"], "period": p["id"], "indicator": k, "grade": p[k]["grade"]}
                for k in IND
            ]
    second = pd.DataFrame(second)
    # independent recomputation of the grade alphas with the krippendorff package directly
    for ind in IND:
        f = (
            first[first.indicator == ind]
            .merge(sample[["client", "period"]])
            .set_index(["client", "period"])
            .grade
        )
        s = second[second.indicator == ind].set_index(["client", "period"]).grade
        s = s.reindex(f.index)
        data = np.vstack(
            [
                pd.to_numeric(f, errors="coerce").astype(float),
                pd.to_numeric(s, errors="coerce").astype(float),
            ]
        )
        row = got[(got.measure == ind) & (got.what == "grade")].iloc[0]
        both = ~np.isnan(data).any(axis=0)
        assert row.pct_agree == pytest.approx((data[0, both] == data[1, both]).mean(), abs=1e-4)
        vals = data[~np.isnan(data)]
        if len(np.unique(vals)) > 1:
            a = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal")
            assert row.alpha == pytest.approx(a, abs=1e-4), ind


# ------------------------------------------------------------------ known groups
EVENTS = (
    validity.load_events() if (ROOT / "data" / "validation" / "known_events.yaml").exists() else []
)


def test_at_least_twelve_events_with_sources():
    assert len(EVENTS) >= 12
    from analysis.coding.hosts import quality

    for e in EVENTS:
        assert e["source"]["url"].startswith("http") and e["source"]["title"]
        assert e["source"]["source_quality"] == quality(e["source"]["url"]), e["id"]


@pytest.mark.parametrize("event", EVENTS, ids=[e["id"] for e in EVENTS])
def test_known_group_event_moves_the_grade(event):
    grades = {(d.client, p.id): p.grades() for d in codebook.load_all(CB) for p in d.periods}
    got = grades[(event["client"], event["period"])][event["indicator"]]
    ((kind, ref),) = event["check"].items()
    assert got is not None, f"{event['id']}: {event['indicator']} is unknown"
    if kind == "grade":
        assert got == ref, f"{event['id']}: grade {got}, the event says {ref}"
    elif kind == "grade_at_least":
        assert got >= ref, event["id"]
    elif kind == "grade_at_most":
        assert got <= ref, event["id"]
    else:
        other = grades[(event["client"], ref)][event["indicator"]]
        assert other is not None, event["id"]
        assert (got > other) if kind == "above_period" else (got < other), (
            f"{event['id']}: {event['period']} {got} vs {ref} {other}"
        )


def test_renamed_paper_period_stops_the_stage_without_output(built, tmp_path):
    """Issue: renaming the `trump` period in one file made the paper's Poland case vanish."""
    root = _coded_root(built, tmp_path)
    p = root / "data" / "codebook" / "USA-POL.yaml"
    p.write_text(p.read_text().replace("id: trump", "id: trump_term", 1))
    res = run_cli(root, "code")
    assert res.returncode == 2, res.stderr
    assert "paper's case is missing" in res.stderr and "USA-POL.yaml" in res.stderr
    assert not (root / "data" / "processed" / "coded_periods.parquet").exists()
    assert not (root / "reports" / "four_cases.csv").exists()


def test_grade_contradicting_the_adjudication_stops_the_stage(built, tmp_path):
    """An adjudicated grade changed in the codebook without the log: exit 2, nothing written."""
    log = pd.read_csv(ROOT / "data" / "double_coding" / "adjudication.csv")
    r = log[log.final.notna()].iloc[0]
    root = _coded_root(built, tmp_path)
    p = root / "data" / "codebook" / f"USA-{r.client}.yaml"
    raw = yaml.load(p.read_text(), Loader=codebook._NoDates)
    item = next(x for x in raw["periods"] if x["id"] == r.period)[r.indicator]
    item["grade"] = 1 if int(r.final) != 1 else 0
    p.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    res = run_cli(root, "code")
    assert res.returncode == 2, res.stderr
    assert "adjudication.csv" in res.stderr and f"{r.client} {r.period} {r.indicator}" in res.stderr
    assert not (root / "data" / "processed" / "coded_periods.parquet").exists()


@pytest.mark.parametrize(
    ("name", "edit", "needle"),
    [
        ("reliability", lambda c: c["double_coding"].update(share=1.5), "double_coding.share"),
        ("reliability", lambda c: c["audit"].update(seeds=1), "audit.seeds"),
        ("measurement", lambda c: c["sampler"].update(burn=5000), "burn 5000"),
        ("measurement", lambda c: c["indicators"]["pres_visit"].update(type="count"), "type"),
        ("measurement", lambda c: c["identify"].update(reference="nope"), "identify.reference"),
        ("measurement", lambda c: c["smoothing"].update(rho=1.2), "smoothing.rho"),
    ],
)
def test_measurement_configs_have_schemas(built, tmp_path, name, edit, needle):
    from tests.conftest import edit_yaml

    root = _coded_root(built, tmp_path)
    edit_yaml(root, name, edit)
    res = run_cli(root, "code")
    assert res.returncode == 2, res.stderr
    assert f"{name}.yaml" in res.stderr and needle in res.stderr, res.stderr
    assert "internal error" not in res.stderr
    assert not (root / "data" / "processed" / "coded_periods.parquet").exists()

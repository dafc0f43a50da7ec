"""The report stage on a pipeline built in a temporary root (real raw files, bootstrap B = 49).

The provenance test reads every linked number in the HTML and follows its link back to the file
it names: a JSON pointer into models.json or panel.sources.json, a line of a CSV the pipeline
wrote, a row of the publisher's workbook or CSV, or a key path in a codebook YAML. It re-reads the
source with independent tools (json, csv, openpyxl, yaml), not with the report's own code.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import openpyxl
import pytest
import yaml
from bs4 import BeautifulSoup

from analysis.io import sha256
from tests.conftest import _fast_models, edit_yaml, make_root, need_raw, run_cli

NUM = re.compile(r"^-?\d+(\.\d+)?(e[-+]\d+)?$")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def soup(reported) -> BeautifulSoup:
    return BeautifulSoup((reported / "reports" / "report.html").read_text(), "html.parser")


# ------------------------------------------------------------------------ following a link
def _pointer(obj: object, frag: str) -> object:
    for part in frag.split("/")[1:]:
        key = unquote(part).replace("~1", "/").replace("~0", "~")
        obj = obj[int(key)] if isinstance(obj, list) else obj[key]
    return obj


@cache
def _csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@cache
def _sheet(path: Path, sheet: str):
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    return [list(r) for r in wb[sheet].iter_rows(values_only=True)]


def _xlsx_value(path: Path, sheet: str, row: int, year: str) -> object:
    """The cell in `row` (Excel numbering) under the header cell that reads `year` (or 'yeare')."""
    grid = _sheet(path, sheet)
    for r in range(row - 2, -1, -1):
        for j, v in enumerate(grid[r]):
            if v is not None and re.fullmatch(rf"{year}e?\*?", str(v).strip().replace(".0", "")):
                return grid[row - 1][j]
    raise AssertionError(f"no header {year} above row {row} in {path.name} {sheet}")


def follow(reports: Path, href: str) -> object:
    """The value a provenance link points at, read straight from the file it names."""
    parts = urlsplit(href)
    path = (reports / unquote(parts.path)).resolve()
    assert path.exists(), href
    frag = parts.fragment
    if path.suffix == ".json":
        return _pointer(json.loads(path.read_text()), frag)
    if path.suffix == ".yaml":
        value = _pointer(yaml.safe_load(path.read_text()), frag)
        if frag.endswith("/grade"):  # the report shows the paper's code derived from the grade
            rules = yaml.safe_load((reports.parent / "config" / "rules.yaml").read_text())
            cut = rules["grade_cuts"][frag.split("/")[-2]]
            return "?" if value is None else int(value >= cut)
        return value
    q = {k: v[0] for k, v in parse_qs(frag).items()}
    if path.suffix == ".xlsx":
        return _xlsx_value(path, q["sheet"], int(q["row"]), q["year"])
    if path.suffix == ".csv":
        rows = _csv_rows(path)
        return rows[int(q["line"]) - 1][rows[0].index(q["col"])]
    raise AssertionError(f"no locator for {href}")


def same(text: str, value: object) -> bool:
    if not NUM.match(text):
        return str(value) == text
    v, t = float(value), float(text)
    if "e" in text:
        return abs(v - t) <= 0.051 * abs(t)
    dec = len(text.split(".")[1]) if "." in text else 0
    return abs(v - t) <= 0.5 * 10**-dec + 1e-9


# ------------------------------------------------------------------------ tests
def check_links(reports: Path, soup: BeautifulSoup) -> dict[str, int]:
    """Follow every provenance link; return how many were checked per kind of file."""
    kinds: dict[str, int] = {}
    for a in soup.find_all("a", href=True):
        text, href = a.get_text(strip=True), a["href"]
        if href.startswith(("http", "#")) or not (
            "#/" in href or "line=" in href or "row=" in href
        ):
            continue
        value = follow(reports, href)
        assert same(text, value), f"{text!r} shown, but {href} holds {value!r}"
        kind = Path(urlsplit(href).path).suffix
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def test_every_linked_number_traces_back_to_its_source(reported, soup):
    kinds = check_links(reported / "reports", soup)
    assert sum(kinds.values()) > 500
    # numbers come from models.json and panel.sources.json, the coded CSVs, the publisher's
    # workbook and CSV, and the codebook
    assert {".json", ".csv", ".xlsx", ".yaml"} <= set(kinds), kinds


def test_report_builds_from_a_small_pipeline(built, tmp_path):
    """20 allies from 2008 and B = 19: every stage runs, some models cannot be estimated, and the
    report still builds, with every link resolving and every number matching its source."""
    import pandas as pd

    root = make_root(tmp_path / "small")
    clients = set(pd.read_parquet(built / "data" / "processed" / "panel.parquet").client)
    keep = {"POL", "DEU", "JPN", "PHL", "EST", "LVA", "LTU", "FRA", "GBR", "ITA"}
    keep |= {"KOR", "AUS", "CAN", "NOR", "TUR", "GRC", "ESP", "NLD", "DNK", "HUN"}
    edit_yaml(
        root,
        "panel",
        lambda c: (
            c["years"].update(start=2008),
            c["clients"].update(
                exclude=sorted(clients - keep - set(c["clients"]["extra"])),
                extra=[x for x in c["clients"]["extra"] if x in keep],
            ),
        ),
    )
    edit_yaml(root, "models", lambda c: (_fast_models(c), c["bootstrap"].update(B=19)))
    # a codebook client must be a panel client: keep the 20 allies' files only; the double coding
    # and the audit cover allies outside the 20, so this small project carries none
    import shutil

    for f in (root / "data" / "codebook").glob("USA-*.yaml"):
        if f.stem.split("-")[1] not in keep:
            f.unlink()
    for sub in ("double_coding", "audit"):
        shutil.rmtree(root / "data" / sub, ignore_errors=True)
    for stage in ("panel", "code", "models", "simulate", "report"):
        res = run_cli(root, stage)
        assert res.returncode == 0, (stage, res.stderr)
    html = BeautifulSoup((root / "reports" / "report.html").read_text(), "html.parser")
    meta = json.loads((root / "data" / "processed" / "panel.sources.json").read_text())
    assert len(meta["clients"]) == 20
    kinds = check_links(root / "reports", html)
    assert {".json", ".csv", ".xlsx", ".yaml"} <= set(kinds), kinds
    for t in html.find_all("table"):
        assert any(td.get_text(strip=True) for td in t.find_all("td"))


def test_numbers_in_the_text_are_links(soup):
    """Outside tables, figures and code, a decimal number in running text is always a link."""
    body = soup.body
    stray = []
    for s in body.find_all(string=True):
        if s.find_parent(["a", "code", "style", "table", "figure", "title", "h1", "h2", "h3"]):
            continue
        for m in re.finditer(r"(?<![\w.-])\d+\.\d+(?![\w.])", str(s)):
            # version and handle identifiers of editions are names, not figures
            # (and "section 10.5" is a place in the report)
            if not re.search(r"(ATOP |hdl:|doi:|version |v|section )$", str(s)[: m.start()]):
                stray.append(m.group())
    assert not stray, stray[:10]


def test_publisher_and_paper_figures_side_by_side(reported):
    """Table 4: Poland 2019 is 1.98 in the paper (NATO 2022) and 1.986 in NATO's June 2024 table."""
    md = (reported / "reports" / "report.md").read_text()
    lines = md.splitlines()
    head = next(x for x in lines if "POL paper" in x)
    header = [c.strip() for c in head.strip("|").split("|")]

    def year_row(y: int) -> dict[str, str]:
        row = next(x for x in lines[lines.index(head) :] if re.match(rf"\|\s*{y}\s*\|", x))
        return dict(zip(header, [c.strip() for c in row.strip("|").split("|")], strict=True))

    got = year_row(2019)
    assert got["POL paper"] == "[1.98](../data/paper/nato_share_gdp.csv#line=6&col=value)"
    assert re.fullmatch(
        r"\[1\.986\]\(\.\./data/raw/nato-2024/[^)]+sheet=TABLE3&row=\d+&year=2019\)",
        got["POL nato-2024"],
    )
    assert got["POL revision"] == "revised"
    got = year_row(2018)
    assert got["DEU revision"] == "same to 2 decimals"  # Germany 2018: 1.25 in both editions


def test_tables_10_11_match_the_paper(reported):
    """The four cases' levels as printed in the paper's Tables 10 and 11 (framework.md)."""
    md = (reported / "reports" / "report.md").read_text()
    want = {
        "burden_sharing": ["high", "high", "high", "low"],
        "interest_exchange": ["high", "low", "high", "low"],
        "guarantee": ["high", "limited", "high", "low"],
    }
    for k, levels in want.items():
        line = next(x for x in md.splitlines() if x.startswith(f"| {k} "))
        got = re.findall(r"\[(\w+)\]\(\.\./data/processed/coded_periods\.csv", line)
        assert got == levels, (k, got)


def test_html_is_self_contained_with_toc_and_figures(reported, soup):
    text = (reported / "reports" / "report.html").read_text()
    assert str(reported) not in text  # no machine-specific path: links are relative
    assert soup.find(class_="toc") is not None
    toc_links = [a["href"] for a in soup.find(class_="toc").find_all("a")]
    assert len(toc_links) >= 12
    imgs = soup.find_all("img")
    assert len(imgs) >= 4
    for img in imgs:
        src = img["src"]
        assert src.startswith("data:image/png;base64,"), src[:40]
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not soup.find_all("script", src=True)
    assert not soup.find_all("link", href=True)


def test_internal_links_and_anchors_resolve(reported, soup):
    ids = {t["id"] for t in soup.find_all(id=True)}
    for a in soup.find_all("a", href=True):
        href = a["href"]
        if href.startswith(("http://", "https://")):
            continue
        parts = urlsplit(href)
        if not parts.path:
            assert parts.fragment in ids, href
        else:
            assert (reported / "reports" / unquote(parts.path)).exists(), href


def test_no_table_is_empty(soup):
    tables = soup.find_all("table")
    assert len(tables) >= 15
    for t in tables:
        cells = [td.get_text(strip=True) for td in t.find_all("td")]
        assert any(cells), t.get("id") or t.find_parent(id=True).get("id")


def test_regression_tables_for_a_paper(reported):
    tex = (reported / "reports" / "tables" / "ordered_dyad_years.tex").read_text()
    m = json.loads((reported / "reports" / "models.json").read_text())
    main = next(e for e in m["models"] if e["name"] == "ologit_years")
    assert "\\begin{tabular" in tex and "\\toprule" in tex
    assert f"{main['params']['L_ie_high']['odds_ratio']:.2f}" in tex
    assert "](" not in tex  # provenance links are stripped from LaTeX


def test_report_is_byte_identical_on_rerun(reported, tmp_path):
    rep = reported / "reports"
    files = [
        p
        for p in rep.rglob("*")
        if p.is_file() and p.parent.name in ("reports", "tables", "figures")
    ]
    before = {p: sha256(p) for p in files}
    assert run_cli(reported, "report").returncode == 0
    assert {p: sha256(p) for p in files} == before


@pytest.fixture
def damaged(reported, tmp_path) -> Path:
    """A private copy of the built project whose inputs a test may damage."""
    need_raw()
    root = make_root(tmp_path / "r")
    shutil.rmtree(root / "data" / "processed")
    shutil.copytree(reported / "data" / "processed", root / "data" / "processed")
    shutil.rmtree(root / "reports")
    shutil.copytree(reported / "reports", root / "reports")
    return root


def _report_hashes(root: Path) -> dict[str, str]:
    rep = root / "reports"
    return {
        str(p.relative_to(rep)): sha256(p)
        for p in rep.rglob("*")
        if p.is_file() and p.name != "models.json"
    }


@pytest.mark.parametrize(
    "damage, says",
    [
        (lambda p: p.write_text(p.read_text()[:5000]), "not valid JSON"),
        (lambda p: p.unlink(), "input not found"),
        (
            lambda p: p.write_text(
                json.dumps(
                    {k: v for k, v in json.loads(p.read_text()).items() if k != "hypotheses"}
                )
            ),
            "hypotheses",
        ),
        (lambda p: p.write_text("[]"), "expected a JSON object"),
    ],
    ids=["truncated", "missing", "no-hypotheses", "not-an-object"],
)
def test_bad_models_json_gives_a_clear_error_and_no_partial_report(damaged, damage, says):
    before = _report_hashes(damaged)
    damage(damaged / "reports" / "models.json")
    res = run_cli(damaged, "report")
    assert res.returncode == 2, res.stderr
    assert "models.json" in res.stderr and says in res.stderr
    assert "Traceback" not in res.stderr
    assert _report_hashes(damaged) == before  # the previous report is untouched


@pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("pdftoppm")),
    reason="make render needs Debian's chromium and poppler-utils",
)
def test_render_gives_one_png_per_page(reported):
    res = run_cli(reported, "render")
    assert res.returncode == 0, res.stderr
    pages = sorted((reported / "reports" / "render").glob("page-*.png"))
    assert len(pages) >= 10  # the report runs to a couple of dozen A4 landscape pages
    for p in pages:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(not shutil.which("pdflatex"), reason="needs a TeX installation")
def test_latex_tables_compile(reported, tmp_path):
    """Every reports/tables/*.tex compiles in a plain article with booktabs and caption."""
    import subprocess

    tables = sorted((reported / "reports" / "tables").glob("*.tex"))
    body = "\n".join(f"\\input{{{t}}}\n\\clearpage" for t in tables)
    doc = (
        "\\documentclass{article}\n\\usepackage[a4paper,landscape,margin=1.5cm]{geometry}\n"
        f"\\usepackage{{booktabs,caption}}\n\\begin{{document}}\n{body}\n\\end{{document}}\n"
    )
    (tmp_path / "t.tex").write_text(doc)
    res = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout[-2000:]
    assert (tmp_path / "t.pdf").stat().st_size > 0

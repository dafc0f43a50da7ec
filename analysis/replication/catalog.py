"""Every table and figure of the report, read from the report's own outputs.

The list comes from `reports/report.md` (a table is a bold caption line followed by a Markdown
table; a figure is `![caption](figures/<key>.png)`), `reports/tables/*.tex` (each matched to its
table by the caption great-tables wrote) and `reports/figures/*.png`. The function that makes
each one is found by reading the report package's source (never importing it): the call that
builds a `Table` or `Figure` whose key (for a .tex or .png file) or title (for a table shown only in
the report) matches.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import InputError

TEX_CAPTION = re.compile(r"\\caption\*\{\s*\{\\large (.*?)\}\s*(?:\\\\|\})", re.S)
LATEX_MACROS = {
    r"\textbackslash{}": "\\",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
    r"\textless{}": "<",
    r"\textgreater{}": ">",
}
FIGURE_LINE = re.compile(r"!\[(.*)\]\(figures/([^)/]+)\.png\)")
BOLD_LINE = re.compile(r"\*\*(.+)\*\*")
COMMAND = "make report (python -m analysis report)"


@dataclass(frozen=True)
class Item:
    kind: str  # "table" or "figure"
    number: int  # order of appearance in the report, per kind
    caption: str
    section: str  # the report's level-2 heading above it
    file: str  # reports/tables/<key>.tex, reports/figures/<key>.png, or "" (in the report only)
    maker: str  # module.function that builds it


@dataclass(frozen=True)
class _Maker:
    kind: str
    key: re.Pattern[str] | None
    title: re.Pattern[str] | None
    exact_key: bool
    exact_title: bool
    where: str


def unlatex(s: str) -> str:
    """Undo great-tables' LaTeX escaping of a caption."""
    for macro, ch in LATEX_MACROS.items():
        s = s.replace(macro, ch)
    return re.sub(r"\\([&%$#_{}])", r"\1", s).strip()


def _pattern(node: ast.expr) -> tuple[re.Pattern[str], bool] | None:
    """A string literal as a regex (f-string fields match anything); True if it is a constant."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.compile(re.escape(node.value), re.S), True
    if isinstance(node, ast.JoinedStr):
        parts = [
            re.escape(v.value) if isinstance(v, ast.Constant) else ".+?"
            for v in node.values
            if not (isinstance(v, ast.Constant) and v.value == "")
        ]
        if any(p != ".+?" for p in parts):
            return re.compile("".join(parts), re.S), False
    return None


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _calls(node: ast.AST, func: str = ""):
    """Every call in a module with the name of the function it is in."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Call):
            yield child, func
        inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else func
        yield from _calls(child, inner)


def makers(report_src: Path) -> list[_Maker]:
    """The calls in analysis/report/*.py that build a Table or a Figure: `Table(key, title, ...)`,
    `Figure(key, caption, figures.<fn>(...))` and the helpers `*_table(..., key, title, ...)`."""
    out: list[_Maker] = []
    for path in sorted(report_src.glob("*.py")):
        module = f"analysis.report.{path.stem}"
        for call, func in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            callee = _callee(call)
            if callee not in ("Table", "Figure") and not callee.endswith("_table"):
                continue
            strings = [p for a in call.args if (p := _pattern(a))]
            if not strings:
                continue
            kind = "figure" if callee == "Figure" else "table"
            (key, exact), (title, exact_title) = (
                strings[0],
                strings[1] if len(strings) > 1 else (None, False),
            )
            where = f"{module}.{func}" if func else module
            if kind == "figure":
                drawn = [a for a in call.args if isinstance(a, ast.Call)]
                fn = _dotted(drawn[0].func) if drawn else ""
                if fn.startswith("figures."):
                    where = f"analysis.report.{fn}"
            out.append(_Maker(kind, key, title, exact, exact_title, where))
    return out


def _maker(found: list[_Maker], what: str, report_md: Path, by_title: bool = False) -> str:
    """The function(s) that build it; a literal key (or title) beats an f-string pattern."""
    exact = [m for m in found if (m.exact_title if by_title else m.exact_key)]
    chosen = sorted({m.where for m in (exact or found)})
    if not chosen:
        raise InputError(
            report_md,
            what,
            "no Table or Figure call in analysis/report/ makes it",
            "build the table with analysis.report.tables.Table(key, title, ...) or the figure with "
            "Figure(key, caption, figures.<fn>(...)), literal or f-string key and title",
        )
    return " / ".join(chosen)


def catalog(root: Path, report_src: Path) -> list[Item]:
    """Tables and figures in the order the report shows them; every .tex and .png accounted for."""
    rep = root / "reports"
    md_path = rep / "report.md"
    if not md_path.exists():
        raise InputError(md_path, "", "the report has not been written", "run `make report`")
    lines = md_path.read_text(encoding="utf-8").splitlines()
    tex = {
        p.stem: unlatex(m.group(1)) if (m := TEX_CAPTION.search(p.read_text())) else None
        for p in sorted((rep / "tables").glob("*.tex"))
    }
    for key, cap in tex.items():
        if cap is None:
            raise InputError(
                rep / "tables" / f"{key}.tex",
                "caption",
                "no \\caption* found",
                "rerun `make report`",
            )
    pngs = {p.stem for p in (rep / "figures").glob("*.png")}
    known = makers(report_src)
    items: list[Item] = []
    section = ""
    used_tex: set[str] = set()
    used_png: set[str] = set()
    for i, line in enumerate(lines):
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        nxt = next((x for x in lines[i + 1 : i + 3] if x.strip()), "")
        bold = BOLD_LINE.fullmatch(line.strip())
        if bold and nxt.startswith("|"):
            cap = bold.group(1)
            keys = sorted(k for k, c in tex.items() if c == cap)
            if len(keys) > 1:
                raise InputError(
                    md_path,
                    f"line {i + 1}",
                    f"caption {cap!r} is on several .tex files: {', '.join(keys)}",
                    "give each table its own title",
                )
            if keys:
                used_tex.add(keys[0])
                found = [m for m in known if m.kind == "table" and m.key.fullmatch(keys[0])]
                file = f"reports/tables/{keys[0]}.tex"
            else:
                found = [
                    m for m in known if m.kind == "table" and m.title and m.title.fullmatch(cap)
                ]
                file = ""
            maker = _maker(found, f"table {cap!r}", md_path, by_title=not keys)
            n = sum(x.kind == "table" for x in items) + 1
            items.append(Item("table", n, cap, section, file, maker))
            continue
        fig = FIGURE_LINE.fullmatch(line.strip())
        if fig:
            cap, key = fig.group(1), fig.group(2)
            if key not in pngs:
                raise InputError(
                    md_path,
                    f"line {i + 1}",
                    f"figures/{key}.png is not in reports/figures/",
                    "rerun `make report`",
                )
            used_png.add(key)
            found = [m for m in known if m.kind == "figure" and m.key.fullmatch(key)]
            n = sum(x.kind == "figure" for x in items) + 1
            items.append(
                Item(
                    "figure",
                    n,
                    cap,
                    section,
                    f"reports/figures/{key}.png",
                    _maker(found, f"figure {key}", md_path),
                )
            )
    for left, what in ((set(tex) - used_tex, "tables/{}.tex"), (pngs - used_png, "figures/{}.png")):
        if left:
            names = ", ".join(what.format(k) for k in sorted(left))
            raise InputError(
                md_path,
                "",
                f"{names} not shown in report.md: left from an older report",
                "delete the file, or rerun `make report` if report.md is the old one",
            )
    return items

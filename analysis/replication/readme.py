"""The package's README.md (in the form of the social-science data editors' template) and
run_all.sh, as text made only from the files that go into the package."""

from __future__ import annotations

import ast
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from analysis.errors import InputError

ROLES = {
    "code": "the code: the `analysis` package, Makefile, pyproject.toml, requirements.lock, run_all.sh",
    "config": "configuration read by the stages (thresholds, seeds, sources, rules)",
    "codebook": "the expert codebook (one YAML file per dyad), its coding guide and its format",
    "input": "committed inputs: the paper's printed figures, documented events, double coding, audit",
    "raw-data": "publishers' files whose licence allows republishing (sha256 as in config/sources.yaml)",
    "data-dictionary": "every column of the processed data: meaning, unit, source, type",
    "provenance": "source, edition, file, sheet and key of every panel column",
    "coded-data": "the coded dyad-periods and dyad-years (codebook and rules tracks)",
    "estimation-sample": "the exact estimation sample of every model (its sha256 is in models.json)",
    "results": "every fitted model (models.json) and the summary tables the report links to",
    "report": "the report (HTML, self-contained; Markdown)",
    "table": "the report's LaTeX tables (need \\usepackage{booktabs,caption})",
    "figure": "the report's figures",
    "documentation": "this README, the project README, licence, citation, the docs/ folder",
    "manifest": "MANIFEST.csv itself (not listed in it)",
}
PIPELINE = ("fetch", "panel", "code", "models", "simulate", "report")  # the steps timed in config


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    direct: bool


@dataclass(frozen=True)
class Lock:
    command: str
    python: str
    pins: list[Pin]


def parse_lock(text: str) -> Lock:
    """requirements.lock as written by `uv pip compile`: the command, its Python, every pin."""
    lines = text.splitlines()
    command = next((ln.strip("# ").strip() for ln in lines[:3] if "pip compile" in ln), "")
    py = re.search(r"--python-version[= ](\S+)", command)
    pins: list[Pin] = []
    name = version = None
    via: list[str] = []

    def close() -> None:
        if name:
            pins.append(Pin(name, version, any("(pyproject.toml)" in v for v in via)))

    for ln in lines:
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", ln)
        if m:
            close()
            name, version, via = m.group(1), m.group(2), []
        elif ln.strip().startswith("# via"):
            via.append(ln.strip()[5:].strip())
        elif ln.strip().startswith("#   "):
            via.append(ln.strip()[1:].strip())
    close()
    if not py or not pins:
        raise InputError(
            "requirements.lock",
            "header",
            "not a lock file written by `uv pip compile --python-version ...`",
            "run `make lock`",
        )
    return Lock(command, py.group(1), pins)


def commands(main_py: Path) -> list[tuple[str, str, str]]:
    """(command, what it does, the function it runs) for every subcommand of the CLI."""
    tree = ast.parse(main_py.read_text(encoding="utf-8"))
    out = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for dec in node.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            f = call.func if call else dec
            if not (isinstance(f, ast.Attribute) and f.attr == "command"):
                continue
            name = node.name.replace("_", "-")
            if call and call.args and isinstance(call.args[0], ast.Constant):
                name = call.args[0].value
            doc = (ast.get_docstring(node) or "").split("\n")[0]
            target = next(
                (
                    f"{n.module}.{n.names[0].name}"
                    for n in ast.walk(node)
                    if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("analysis")
                ),
                "",
            )
            out.append((name, doc, target))
    return out


def run_all() -> str:
    """Install, then every stage again through the Makefile (so it follows the Makefile's order
    and any stage added to it): fetch -> panel -> code -> models -> simulate -> report."""
    return """#!/usr/bin/env bash
# Rebuild every output from the raw files: install the locked environment (Python 3.11, exact
# versions from requirements.lock), then rerun every stage of `make all` in order
# (fetch -> panel -> code -> models -> simulate -> report), whatever is already on disk.
# Raw files not shipped here are downloaded from their publishers' URLs (config/sources.yaml),
# or copied from ANALYSIS_MIRROR=/folder when set; every file's sha256 is checked.
set -euo pipefail
cd "$(dirname "$0")"
make .venv/.installed
make --always-make --old-file=.venv/.installed all
echo "done: reports/report.html"
"""


def _cell(s: object) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def _seeds(files: dict[str, tuple[bytes, str]]) -> list[str]:
    found = []

    def walk(obj: object, path: str, rel: str) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                p = f"{path}.{k}" if path else str(k)
                if k == "seed" and not isinstance(v, dict | list):
                    found.append(f"`{rel}`: `{p}` = {v}")
                else:
                    walk(v, p, rel)
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(v, f"{path}[{i}]", rel)

    for rel in sorted(files):
        if rel.startswith("config/") and rel.endswith(".yaml"):
            walk(yaml.safe_load(files[rel][0]), "", rel)
    return found


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return ""


def render(
    *, settings, sources, items, lock: Lock, files, cli, pyproject: str, citation: str
) -> str:
    proj = tomllib.loads(pyproject)["project"]
    cit = yaml.safe_load(citation)
    red = settings.redistribution
    rt = settings.runtime
    secs = rt.seconds
    pipeline_s = sum(secs[k] for k in ("install", *PIPELINE))
    copied = [s for s in sources if red[s.id].copy_]
    withheld = [s for s in sources if not red[s.id].copy_]
    tables = [i for i in items if i.kind == "table"]
    figs = [i for i in items if i.kind == "figure"]
    roles = Counter(role for _, role in files.values())
    size = {r: sum(len(b) for b, role in files.values() if role == r) for r in roles}
    uv_pin = re.search(r"UV_PIN\s*:=\s*(\S+)", files["Makefile"][0].decode())
    b: list[str] = []
    b.append(f"# Replication package: {cit['title']}\n")
    b.append(
        f"{proj['description']}\n\nVersion {cit.get('version', proj['version'])}. Built by "
        "`make replication` (`python -m analysis replication`) from committed files and the files "
        "the pipeline wrote; it runs no stage itself. `MANIFEST.csv` lists every file in the "
        "package with its sha256, size in bytes and role (all but MANIFEST.csv itself). This "
        "README follows the template of the social-science data editors "
        "(https://social-science-data-editors.github.io/template_README/).\n"
    )

    b.append("## Overview\n")
    b.append(
        f"The code builds a dyad-year panel of the United States and its treaty allies from "
        f"{len(sources)} public sources, codes burden sharing, interest exchange and the security "
        "guarantee on two tracks (an evidence-backed expert codebook and rules on measured data), "
        "fits ordered-logit and panel models, and writes a report (`reports/report.html`, "
        f"`reports/report.md`) with {len(tables)} tables and {len(figs)} figures. One script, "
        f"`run_all.sh`, installs the environment and runs every stage; it took {pipeline_s:.0f} s "
        "on the machine described under *Computational requirements*.\n"
    )

    b.append("## Data availability and provenance statements\n")
    b.append("### Statement about rights\n")
    b.append(
        "Every raw file is a public file from its publisher (or from a named copy where the "
        "publisher's own is not reachable: see *provenance* below), recorded in "
        "`config/sources.yaml` with its URL, sha256, size, licence and citation. The codebook and "
        "the other committed data are this project's own work (codebook licence "
        f"{settings.codebook_licence}; code {cit.get('license', '')}, `LICENSE`).\n"
    )
    b.append("### Summary of availability\n")
    b.append(
        f"- All data are publicly available. {len(copied)} of {len(sources)} sources allow "
        "republishing and are included under `data/raw/<source>/`.\n"
        f"- {len(withheld)} sources are **not included** because their licence forbids "
        "republishing or does not grant it (reasons below). `make fetch` (or `bash run_all.sh`) "
        "downloads each from the URL given, into `data/raw/<source>/<file>`, and checks its "
        "sha256, so the replicator gets the very bytes used here. By hand: download the URL and "
        "save it under that name; `python -m analysis fetch` then verifies it.\n"
    )
    b.append(
        _table(
            ["source", "publisher", "licence", "in this package"],
            [
                [f"`{s.id}`", s.publisher, s.licence, "yes" if red[s.id].copy_ else "**no**"]
                for s in sources
            ],
        )
    )
    b.append("### Details on each data source\n")
    for s in sources:
        b.append(f"#### `{s.id}`: {s.title}\n")
        lines = [
            f"- Publisher: {s.publisher}. Edition: {s.edition}.",
            f"- Licence: {s.licence}.",
            (
                f"- Included: yes, under `data/raw/{s.id}/` ({red[s.id].reason})."
                if red[s.id].copy_
                else f"- Included: **no** ({red[s.id].reason}). Obtain it with `make fetch`, or "
                f"download each URL below to `data/raw/{s.id}/<file>`."
            ),
        ]
        if s.provenance:
            lines.append(f"- Provenance: {s.provenance}")
        lines.append(f"- Cite: {s.citation}")
        b.append("\n".join(lines) + "\n")
        b.append(
            _table(
                ["file", "URL", "sha256", "bytes"],
                [[f"`{f.file}`", f.url, f"`{f.sha256}`", f.size] for f in s.files],
            )
        )

    b.append("## Dataset list\n")
    b.append(
        "Files in this package by role (each file, with its sha256, is in `MANIFEST.csv`). The "
        "processed panel (`data/processed/panel.*`) is not included: it is a reshaped copy of "
        "every source, those that may not be republished too; `run_all.sh` rebuilds it. The "
        "estimation samples (`reports/model_data/`) do hold the model variables derived from "
        "such sources (for example lagged defence spending as % of GDP from NATO and SIPRI), as "
        "a replication needs: check those publishers' terms before depositing the package in an "
        "open archive.\n"
    )
    b.append(
        _table(
            ["role", "files", "size", "what"],
            [[r, roles[r], _size(size[r]), ROLES.get(r, "")] for r in sorted(roles)],
        )
    )
    listed = ("raw-data", "coded-data", "data-dictionary", "provenance", "results")
    folders = ("input", "codebook", "estimation-sample")
    rows = [
        [f"`{rel}`", role, len(data)]
        for rel, (data, role) in sorted(files.items())
        if role in listed and rel.endswith((".csv", ".json", ".md", ".dta", ".xml", ".rda"))
    ]
    per_folder = Counter(
        (rel.rsplit("/", 1)[0], role) for rel, (_, role) in files.items() if role in folders
    )
    rows += [
        [f"`{d}/` ({n} file{'s' if n > 1 else ''})", role, ""]
        for (d, role), n in sorted(per_folder.items())
    ]
    b.append(_table(["data file", "role", "bytes"], rows))

    b.append("## Computational requirements\n")
    b.append("### Software requirements\n")
    b.append(
        f"- Python {lock.python} (`pyproject.toml` requires {proj.get('requires-python', '')}; "
        f"`requirements.lock` is resolved for Python {lock.python} and `make` refuses another "
        f"version). Measured with Python {rt.python}.\n"
        f"- {len(lock.pins)} Python packages at the exact versions of `requirements.lock` (with "
        "the sha256 of every file), installed by `make .venv/.installed` into `.venv/` with "
        f"uv ({uv_pin.group(1) if uv_pin else 'uv'}, from PyPI), or with pip from the same lock "
        f"when uv cannot be had. The lock was written by `{lock.command}` (`make lock`).\n"
        "- Optional: `pdflatex` (with booktabs and caption) to compile the LaTeX tables; "
        "Chromium and poppler-utils for `make render`.\n"
    )
    b.append(
        _table(
            ["package", "version", "required by"],
            [
                [p.name, p.version, "pyproject.toml" if p.direct else "a dependency"]
                for p in lock.pins
            ],
        )
    )
    b.append("### Controlled randomness\n")
    seeds = _seeds(files)
    b.append(
        "Every random draw is seeded from configuration (`numpy.random.SeedSequence` / "
        "`default_rng(seed)`), so reruns give byte-identical outputs:\n\n"
        + "\n".join(f"- {x}" for x in seeds)
        + "\n"
    )
    b.append("### Memory, runtime, storage requirements\n")
    b.append(
        f"Measured on {rt.date}: {rt.machine}; Python {rt.python}. A cold run (fresh clone, new "
        "virtual environment, empty download caches, raw files copied from an offline mirror), "
        "one step after another (`bash benchmarks/cold_run.sh`; `config/replication.yaml`, runtime). "
        "On a machine shared with other jobs the wall clock is longer; the CPU seconds are the "
        "work itself (the bootstraps in "
        "the models and simulate steps run on both cores):\n"
    )
    cpu = rt.cpu_seconds
    cpu_s = sum(cpu[k] for k in ("install", *PIPELINE))
    b.append(
        _table(
            ["step", "command", "seconds (wall clock)", "CPU seconds (user + sys)"],
            [
                ["install", "make .venv/.installed", f"{secs['install']:.1f}", cpu["install"]],
                *[[s, f"python -m analysis {s}", f"{secs[s]:.1f}", cpu[s]] for s in PIPELINE],
                [
                    "**all** (= `make all`, = run_all.sh)",
                    "",
                    f"**{pipeline_s:.1f}**",
                    f"**{cpu_s:.1f}**",
                ],
                [
                    "replication package",
                    "make replication",
                    f"{secs['replication']:.1f}",
                    cpu["replication"],
                ],
            ],
        )
    )
    total = sum(len(d) for d, _ in files.values())
    raw = sum(f.size for s in sources for f in s.files)
    b.append(
        f"Memory: at most {rt.peak_memory_mb:.0f} MB resident in any one step. Storage: this "
        f"package {_size(total)} unpacked; all raw files {_size(raw)}; the virtual environment "
        f"{rt.venv_mb:.0f} MB. Downloads from the publishers take longer than the mirror copy "
        "timed here.\n"
    )

    b.append("## Description of programs/code\n")
    b.append(
        "`analysis/` is one Python package with a sub-package per stage (fetch, etl, coding, "
        "models, report, replication) and a shared base (`config.py`, `errors.py`, `io.py`, "
        "`schemas.py`, `dictionary.py`). Each stage reads files and writes files; bad input "
        "stops it with one message (exit code 2) and never a partial output. `Makefile` runs the "
        "stages in order and skips those whose outputs are newer than their inputs. The commands "
        "(`python -m analysis <command>`):\n"
    )
    b.append(
        _table(["command", "what it does", "runs"], [[f"`{c}`", d, f"`{t}`"] for c, d, t in cli])
    )
    b.append("### License for code\n")
    b.append(
        f"Code: {cit.get('license', '')} (`LICENSE`). Codebook: {settings.codebook_licence}. "
        "Data: each publisher's terms, as listed above.\n"
    )

    b.append("## Instructions to replicators\n")
    b.append(
        f"1. On Linux with Python {lock.python} (as `python3`, or `make PYTHON=/path/to/python"
        f"{lock.python}`), GNU make and access to PyPI and the publishers' URLs, run "
        "`bash run_all.sh` in this folder (the same as `make all`, but every stage is rerun).\n"
        "2. To use a local folder holding the publishers' files instead of their URLs, set "
        "`ANALYSIS_MIRROR=/that/folder` (layout: `mirror_path` in `config/sources.yaml`).\n"
        "3. The outputs are those listed below, under `reports/`. They are written "
        "deterministically: on the platform measured here each should have the sha256 that "
        "`MANIFEST.csv` gives (`tail -n +2 MANIFEST.csv | awk -F, '{print $2\"  \"$1}' | "
        "sha256sum -c --quiet` after the run); elsewhere floating-point results may differ in "
        "the last digits.\n"
        "4. `make test` runs the test suite of the full project (not included here).\n"
    )

    b.append("## List of tables and figures\n")
    b.append(
        "Every table and figure in `reports/report.md` / `report.html`, in the order shown there. "
        "All are written by the report stage (`make report`, `python -m analysis report`, "
        "`analysis/report/build.py`) from `reports/models.json` and the coded data; the column "
        "*made by* names the function that builds each. A table without a file is shown only in "
        "the report.\n"
    )
    b.append(
        _table(
            ["", "caption", "report section", "file", "made by", "command"],
            [
                [
                    f"{i.kind.capitalize()} {i.number}",
                    i.caption,
                    i.section,
                    f"`{i.file}`" if i.file else "(report only)",
                    f"`{i.maker}`",
                    "`make report`",
                ]
                for i in items
            ],
        )
    )

    b.append("## References\n")
    refs = [s.citation for s in sources]
    for r in cit.get("references") or []:
        auth = ", ".join(
            f"{a.get('given-names', '')} {a.get('family-names', '')}".strip()
            for a in r.get("authors", [])
        )
        refs.append(f'{auth}, "{r.get("title", "")}", {r.get("journal", "")}.')
    b.append("\n".join(f"- {r}" for r in refs) + "\n")
    return "\n".join(b)

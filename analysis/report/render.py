"""`make render`: the HTML report as a person sees it, one PNG per printed page.

Headless Chromium prints reports/report.html to PDF (A4 landscape, from the report's CSS) and
poppler's pdftoppm turns each page into reports/render/page-NN.png for review. Rendering is a
review aid, not a pipeline output, so it is not part of `make all` or the tests.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from analysis import config
from analysis.errors import InputError

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
]


def _tool(names: tuple[str, ...], package: str) -> str:
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    raise InputError(
        names[0],
        "PATH",
        "program not found",
        f"install Debian's {package}: apt-get install {package}",
    )


def run(dpi: int = 80) -> dict:
    html = config.reports_dir() / "report.html"
    if not html.exists():
        raise InputError(html, "", "report not found", "run `make report` first")
    browser = _tool(BROWSERS, "chromium")
    pdftoppm = _tool(("pdftoppm",), "poppler-utils")
    out = config.reports_dir() / "render"
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "report.pdf"
        cmd = [browser, *FLAGS, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={pdf}"]
        subprocess.run([*cmd, html.resolve().as_uri()], capture_output=True, timeout=300)
        if not pdf.exists() or pdf.stat().st_size == 0:
            raise InputError(
                html, "", "Chromium wrote no PDF", "run the command by hand to see why"
            )
        pages = Path(tmp) / "pages"
        pages.mkdir()
        subprocess.run(
            [pdftoppm, "-png", "-r", str(dpi), str(pdf), str(pages / "page")], check=True
        )
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        files = sorted(pages.glob("page-*.png"))
        for f in files:
            shutil.move(str(f), out / f.name)
    return {"pages": len(files), "folder": "reports/render"}

"""Command line: python -m analysis <stage>.

Every stage reads files and writes files. Bad input ends with one clear message (file, place,
problem, what to do) and exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from analysis.errors import InputError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False
)


def _run(fn, *args, **kw) -> None:
    try:
        res = fn(*args, **kw)
    except InputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except Exception as exc:  # a bug, not bad input: say so, keep the trace for ANALYSIS_DEBUG=1
        if os.environ.get("ANALYSIS_DEBUG"):
            raise
        typer.echo(
            f"internal error: {type(exc).__name__}: {exc}\n  what to do: rerun with ANALYSIS_DEBUG=1 and report the trace",
            err=True,
        )
        raise typer.Exit(3) from None
    if res is not None:
        typer.echo(res if isinstance(res, str) else repr(res))


@app.command()
def fetch(
    mirror: Annotated[
        Path | None,
        typer.Option(
            help="offline mirror folder (default ../shared/data-sources; env ANALYSIS_MIRROR)"
        ),
    ] = None,
    route: Annotated[str, typer.Option(help="auto | url | mirror")] = "auto",
) -> None:
    """Get every file in config/sources.yaml into data/raw/<source-id>/, checksum-verified."""
    from analysis.fetch.fetch import fetch_all

    _run(lambda: f"fetched {len(fetch_all(route, mirror))} files")


@app.command()
def panel() -> None:
    """Build and validate data/processed/panel.{parquet,csv,dta} and panel.sources.json."""
    from analysis.etl.run import run

    _run(run)


@app.command("validate-codebook")
def validate_codebook(
    paths: Annotated[list[Path] | None, typer.Argument(help="YAML files (default: all)")] = None,
    every: Annotated[bool, typer.Option("--all", help="list every problem, not the first")] = False,
) -> None:
    """Validate codebook YAML files against the schema."""
    from analysis.coding.codebook import validate_files

    _run(validate_files, paths, every)


@app.command("draw-double-coding")
def draw_double_coding() -> None:
    """Draw the seeded, stratified double-coding sample (config/reliability.yaml)."""
    from analysis.coding.sampling import write_double_coding_sample

    _run(write_double_coding_sample)


@app.command("draw-double-coding-round2")
def draw_double_coding_round2() -> None:
    """Draw round 2 of the double coding (fresh units, after the guide's v2.1 rulings)."""
    from analysis.coding.sampling import write_round2_sample

    _run(write_round2_sample)


@app.command("draw-audit")
def draw_audit() -> None:
    """Draw the seeded sample of web evidence items for the independent audit."""
    from analysis.coding.sampling import write_audit_sample

    _run(write_audit_sample)


@app.command("freeze-first-grades")
def freeze_first_grades() -> None:
    """Freeze the first coder's grades of the double-coding sample (before adjudication)."""
    from analysis.coding.run import freeze_first

    _run(freeze_first)


@app.command("apply-adjudication")
def apply_adjudication(
    round_: Annotated[int, typer.Option("--round", help="double-coding round (1 or 2)")] = 1,
) -> None:
    """Apply a round's adjudication log (config/reliability.yaml) to the codebook files."""
    from analysis.coding.adjudicate import apply

    _run(apply, round_)


@app.command("host-quality")
def host_quality(urls: Annotated[list[str], typer.Argument(help="web evidence URLs")]) -> None:
    """Print the source_quality config/source_hosts.yaml gives each URL's host."""
    from analysis.coding.hosts import quality

    _run(lambda: "\n".join(f"{quality(u)}\t{u}" for u in urls))


@app.command()
def code() -> None:
    """Code the indicators: codebook track and rules track -> coded_{periods,years}."""
    from analysis.coding.run import run

    _run(run)


@app.command()
def models() -> None:
    """Fit the ordered-logit and panel models -> reports/models.json."""
    from analysis.models.run import run

    _run(run)


@app.command()
def report() -> None:
    """Write reports/report.{md,html} and LaTeX tables."""
    from analysis.report.build import run

    _run(run)


@app.command()
def render() -> None:
    """Render reports/report.html in headless Chromium to reports/render/page-NN.png."""
    from analysis.report.render import run

    _run(run)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

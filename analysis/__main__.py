"""Command line: python -m analysis <stage>.

Every stage reads files and writes files. Bad input ends with one clear message (file, place,
problem, what to do) and exit code 2, never a traceback; so does an output folder that cannot be
written (checked before the stage computes anything). SIGTERM (a scheduler's or `kill`'s stop)
and Ctrl-C end the run cleanly: the writers remove their temporary files, outputs not yet
replaced stay as they were, a one-line message, exit code 143 (SIGTERM) or 130 (Ctrl-C).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from analysis.errors import InputError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False
)


class Terminated(BaseException):
    """Raised by the handler of SIGTERM and SIGINT; a BaseException so no `except Exception`
    swallows it and the atomic writers' `except BaseException` removes their temporary files."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum: int, frame) -> None:
    """Stop the stage. The stop is also recorded in analysis.io, which then refuses every
    further write: a C extension's callback may swallow the exception (pyreadr does, mid-read)
    and the stage would go on with half-read data. While a set of outputs is being renamed
    into place the exception waits for the last rename."""
    from analysis import io

    exc = Terminated(signum)
    if io.request_stop(exc):
        return
    raise exc


def _unraisable(u) -> None:
    """A stop swallowed by a C extension is reported by the stop message, not as a trace."""
    if not isinstance(u.exc_value, Terminated):
        sys.__unraisablehook__(u)


def _quiet_excepthook() -> None:
    """Cython prints a swallowed exception through sys.excepthook (which typer sets when the
    app starts): skip it for a stop."""
    prev = sys.excepthook
    if getattr(prev, "_skips_stops", False):
        return

    def hook(kind, value, tb) -> None:
        if not isinstance(value, Terminated):
            prev(kind, value, tb)

    hook._skips_stops = True  # type: ignore[attr-defined]
    sys.excepthook = hook


def _outputs(*folders) -> list:
    """The stage's output folders (for the write check before it runs)."""
    from analysis import config

    return [getattr(config, f)() for f in folders]


# every output is this run's complete set or the previous one, never a mix
STOPPED = "no partial output left (temporary files removed); rerun the stage to finish"

# OSErrors that are the machine's state, not a bug: a clear message and exit 2
_ENV_ERRNO = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT)


def _run(fn, *args, outputs: tuple[str, ...] = (), **kw) -> None:
    from analysis import io

    _quiet_excepthook()
    try:
        try:
            if outputs:
                io.check_writable(*_outputs(*outputs))
            res = fn(*args, **kw)
        finally:
            # after a stop that a C extension swallowed, whatever followed is its consequence:
            # report the stop (a BaseException, so it passes the handlers below)
            io.raise_if_stopped()
    except InputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        if exc.errno not in _ENV_ERRNO or os.environ.get("ANALYSIS_DEBUG"):
            raise _internal(exc) from None
        where = exc.filename or "a file"
        typer.echo(
            f"error: {where}: {exc.strerror}\n  what to do: make it readable and writable "
            f"(`chmod u+rw {where}`, or run as its owner), free disk space if it is full, "
            "then rerun",
            err=True,
        )
        raise typer.Exit(2) from None
    except Exception as exc:  # a bug, not bad input: say so, keep the trace for ANALYSIS_DEBUG=1
        raise _internal(exc) from None
    if res is not None:
        typer.echo(res if isinstance(res, str) else repr(res))


def _internal(exc: Exception) -> BaseException:
    if os.environ.get("ANALYSIS_DEBUG"):
        return exc
    typer.echo(
        f"internal error: {type(exc).__name__}: {exc}\n  what to do: rerun with ANALYSIS_DEBUG=1 "
        "and report the trace",
        err=True,
    )
    return typer.Exit(3)


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

    _run(lambda: f"fetched {len(fetch_all(route, mirror))} files", outputs=("raw_dir",))


@app.command()
def panel() -> None:
    """Build and validate data/processed/panel.{parquet,csv,dta} and panel.sources.json."""
    from analysis.etl.run import run

    _run(run, outputs=("processed_dir",))


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

    _run(run, outputs=("processed_dir", "reports_dir"))


@app.command()
def models() -> None:
    """Fit the ordered-logit and panel models -> reports/models.json."""
    from analysis.models.run import run

    _run(run, outputs=("reports_dir",))


@app.command()
def simulate() -> None:
    """Size of the few-cluster tests at G = 30 under a true null -> reports/size_simulation.csv."""
    from analysis.models.simulate import run

    _run(run, outputs=("reports_dir",))


@app.command()
def report() -> None:
    """Write reports/report.{md,html} and LaTeX tables."""
    from analysis.report.build import run

    _run(run, outputs=("reports_dir",))


@app.command()
def render() -> None:
    """Render reports/report.html in headless Chromium to reports/render/page-NN.png."""
    from analysis.report.render import run

    _run(run)


@app.command()
def replication() -> None:
    """Build replication/ and replication.zip from the report and the committed files."""
    from analysis.replication import run

    _run(run)


def main() -> None:
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    sys.unraisablehook = _unraisable
    try:
        app()
    except Terminated as exc:
        print(f"stopped by {signal.Signals(exc.signum).name}: {STOPPED}", file=sys.stderr)
        sys.exit(128 + exc.signum)  # 143 for SIGTERM, 130 for Ctrl-C
    except KeyboardInterrupt:  # before the handler was installed
        print(f"interrupted: {STOPPED}", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()

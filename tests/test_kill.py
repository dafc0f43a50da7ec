"""A stage stopped from outside (SIGTERM from a scheduler or `kill`, SIGKILL from the OOM killer
or `kill -9`) leaves no temporary files behind once it is rerun, never a mix of new and old
outputs, and the rerun's outputs are byte-identical to a clean run's."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.__main__ import STOPPED
from tests.conftest import ROOT, make_root, need_raw, run_cli


def _start(root: Path, stage: str) -> subprocess.Popen:
    env = {**os.environ, "ANALYSIS_ROOT": str(root)}
    return subprocess.Popen(
        [sys.executable, "-m", "analysis", stage],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: SIGKILL reaches the joblib workers too
    )


def _handler_installed(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until the CLI has installed its SIGTERM handler (Linux: SigCgt in /proc/<pid>/status);
    before that a SIGTERM would kill it outright, which is not what is tested."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        status = Path(f"/proc/{proc.pid}/status").read_text()
        caught = int(
            next(ln for ln in status.splitlines() if ln.startswith("SigCgt:")).split()[1], 16
        )
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.05)
    pytest.fail("the CLI did not install its SIGTERM handler")


def _files(root: Path, *subs: str) -> dict[str, bytes]:
    out = {}
    for sub in subs:
        for p in sorted((root / sub).rglob("*")):
            if p.is_file():
                out[str(p.relative_to(root))] = p.read_bytes()
    return out


def _tmp_files(root: Path) -> list[str]:
    return [
        str(p.relative_to(root))
        for sub in ("data/processed", "reports")
        for p in (root / sub).rglob("*.tmp")
    ]


def _wait(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        pytest.fail(f"the stage did not stop within {timeout} s of the signal")
    return proc.returncode, err


def test_sigkill_mid_write_leaves_a_tmp_file_that_the_next_write_removes(tmp_path):
    """SIGKILL cannot be caught: the killed writer's temporary file stays, and the next write
    to that folder (of any file) removes it, since its process no longer runs."""
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from analysis import io\n"
        "def die(p):\n"
        "    p.write_bytes(b'half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "io.atomic_write(Path(sys.argv[1]) / 'models.json', die)\n"
    )
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT)
    assert res.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".models.json.") and left[0].endswith(".tmp")
    assert not (tmp_path / "models.json").exists()  # never a partial output under its name

    from analysis import io

    io._swept.discard(tmp_path)  # this test process may have written here before
    io.write_text(tmp_path / "other.csv", "a\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.csv"]


def test_a_stop_swallowed_by_a_c_extension_still_stops_and_blocks_every_write(
    tmp_path, monkeypatch
):
    """pyreadr's reader callback swallows the exception the SIGTERM handler raises and reads
    on: the stop is recorded, so no output is written and the CLI reports the stop (143), not
    the error the half-read data cause next."""
    from analysis import io
    from analysis.__main__ import Terminated, _run
    from analysis.errors import InputError

    monkeypatch.setattr(io, "_stop", [])
    assert not io.request_stop(Terminated(signal.SIGTERM))  # as if raised and swallowed
    with pytest.raises(Terminated):
        io.write_text(tmp_path / "a.csv", "x\n")
    with pytest.raises(Terminated):
        io.write_files_together({tmp_path / "b.csv": b"x\n"})
    assert list(tmp_path.iterdir()) == []

    def stage():
        raise InputError("atop_alliance.rda", "rows", "duplicated dyad-year", "remove duplicates")

    with pytest.raises(Terminated) as exc:
        _run(stage)
    assert exc.value.signum == signal.SIGTERM


def test_sigterm_while_a_set_is_renamed_waits_for_the_last_rename(tmp_path, monkeypatch):
    """The handler, called between two renames of a set, lets the set finish (never half
    replaced) and the stop is raised after it."""
    from analysis import io
    from analysis.__main__ import Terminated, _on_signal

    monkeypatch.setattr(io, "_stop", [])
    files = {tmp_path / f"{n}.csv": f"new {n}\n".encode() for n in "abc"}
    for p in files:
        p.write_bytes(b"old\n")
    real = io.os.replace
    calls = []

    def replace(src, dst):
        real(src, dst)
        calls.append(dst)
        if len(calls) == 1:
            _on_signal(signal.SIGTERM, None)  # the signal arrives after the first rename

    monkeypatch.setattr(io.os, "replace", replace)
    with pytest.raises(Terminated):
        io.write_files_together(files)
    assert len(calls) == 3
    assert {p.name: p.read_bytes() for p in files} == {p.name: d for p, d in files.items()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv", "c.csv"]


def test_sigterm_during_the_panel_stage_exits_143_and_changes_nothing(tmp_path):
    need_raw()
    root = make_root(tmp_path / "root")
    for name in ("panel.parquet", "panel.csv", "panel.dta", "panel.sources.json"):
        (root / "data" / "processed" / name).write_bytes(b"a previous run's " + name.encode())
    before = _files(root, "data/processed", "reports")
    proc = _start(root, "panel")
    _handler_installed(proc)
    time.sleep(1.0)  # parsing the publishers' files: well before the write at the end
    assert proc.poll() is None, "the stage ended before the signal"
    proc.send_signal(signal.SIGTERM)
    rc, err = _wait(proc)
    assert rc == 143, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.strip().splitlines() == [f"stopped by SIGTERM: {STOPPED}"]
    assert _tmp_files(root) == []
    assert _files(root, "data/processed", "reports") == before


def _models_root(modelled: Path, tmp_path: Path) -> Path:
    """A private copy of the session root, without the models stage's outputs."""
    root = tmp_path / "root"
    shutil.copytree(modelled, root, symlinks=True)
    (root / "reports" / "models.json").unlink()
    shutil.rmtree(root / "reports" / "model_data")
    return root


def _stop_then_rerun(modelled: Path, tmp_path: Path, sig: int) -> None:
    root = _models_root(modelled, tmp_path)
    proc = _start(root, "models")
    _handler_installed(proc)
    time.sleep(3)  # the models are being fitted (the stage takes ~30 s with B = 49)
    assert proc.poll() is None, "the stage ended before the signal"
    if sig == signal.SIGKILL:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.send_signal(sig)
    rc, err = _wait(proc)
    if sig == signal.SIGKILL:
        assert rc == -signal.SIGKILL
    else:
        assert rc == 143, err
        assert "Traceback" not in err and "internal error" not in err, err
        assert "stopped by SIGTERM" in err
        assert _tmp_files(root) == []
    assert not (root / "reports" / "models.json").exists()  # all or nothing: nothing yet

    res = run_cli(root, "models")
    assert res.returncode == 0, res.stderr
    assert _tmp_files(root) == []
    got, ref = _files(root, "reports"), _files(modelled, "reports")
    data = sorted(k for k in ref if k.startswith("reports/model_data/"))
    assert data, "the reference run wrote no model data"
    assert sorted(k for k in got if k.startswith("reports/model_data/")) == data
    assert got["reports/models.json"] == ref["reports/models.json"]
    assert sorted(got) == sorted(ref)
    assert [k for k in ref if got[k] != ref[k]] == []


@pytest.mark.slow
def test_sigkill_during_models_then_rerun_gives_a_clean_runs_outputs(modelled, tmp_path):
    _stop_then_rerun(modelled, tmp_path, signal.SIGKILL)


@pytest.mark.slow
def test_sigterm_during_models_then_rerun_gives_a_clean_runs_outputs(modelled, tmp_path):
    _stop_then_rerun(modelled, tmp_path, signal.SIGTERM)

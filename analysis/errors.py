"""One error type for bad input, rendered as a message a researcher can act on.

Every stage raises :class:`InputError` for problems with files it reads, and the writers in
analysis/io.py raise :class:`OutputError` for an output folder that cannot be written. The CLI
turns either into one clear message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class InputError(Exception):
    """A problem with an input file: which file, where in it, what is wrong, what to do."""

    file: str | Path
    where: str
    problem: str
    fix: str

    def __str__(self) -> str:
        name = Path(self.file).name if str(self.file) else "<input>"
        loc = f"{name}: {self.where}" if self.where else name
        return f"error: {loc}: {self.problem}\n  what to do: {self.fix}\n  file: {self.file}"


class OutputError(InputError):
    """An output that cannot be written (permission, read-only or full disk, a file where a
    folder is expected): the folder and what to do. Rendered and exited like InputError."""


def not_utf8(path: str | Path, fix: str) -> InputError:
    """The error for a text file that is not UTF-8 (a Windows editor's 1252, Latin-1, UTF-16):
    the line and the first byte that does not decode, found in the whole file (a decoder that
    reads in chunks reports positions within its chunk)."""
    raw = Path(path).read_bytes()
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return InputError(
            path, f"line {line}", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", fix
        )
    return InputError(path, "", "not UTF-8 text", fix)

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

"""Burden sharing, interest exchange and security guarantees in US alliances.

Stages: fetch -> etl (panel) -> coding -> models -> report. Each stage reads files and writes
files; see README.md.
"""

__version__ = "0.1.0"

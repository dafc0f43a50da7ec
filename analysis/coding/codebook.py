"""The expert codebook: one YAML file per patron-client dyad, validated with pydantic.

Every non-null code must carry evidence; every evidence item says what happened, when, and a
citable source (a web page, the paper's own table/page, or a panel value as source id + row).
A problem stops the run with a message naming the file and the key path, e.g.
`USA-POL.yaml: periods[trump].IE3.evidence[0].date`.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
    field_validator,
    model_validator,
)

from analysis import config
from analysis.coding import hosts
from analysis.errors import InputError

INDICATORS = config.indicators()
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _check_date(v: object) -> str:
    s = str(v).strip()
    if not DATE.match(s):
        raise ValueError(f"bad date {s!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    parts = [int(p) for p in s.split("-")]
    try:
        dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        raise ValueError(f"bad date {s!r}: no such calendar date") from None
    return s


@lru_cache(maxsize=4)
def _source_ids(config_dir: str) -> frozenset[str]:
    from analysis.fetch import load_manifest as load

    return frozenset(s.id for s in load())


class _Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    what: str = Field(min_length=3)
    when: str
    verified: bool
    note: str | None = None
    retrospective: bool = False
    retrospective_reason: str | None = None

    _when = field_validator("when", mode="before")(lambda cls, v: _check_date(v))

    @model_validator(mode="after")
    def _retro_reason(self) -> _Evidence:
        if self.retrospective and not (self.retrospective_reason or "").strip():
            raise ValueError(
                "retrospective: true needs a retrospective_reason (why an item dated outside "
                "the period is evidence for it)"
            )
        return self


PLACEHOLDER_TITLE = re.compile(
    r"^\s*\[.*\]\s*$|title not shown|untitled|url slug|no title", re.IGNORECASE
)


class WebEvidence(_Evidence):
    kind: Literal["web"]
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    date: str | None = None
    url: HttpUrl
    source_quality: Literal["official", "reputable", "weak"]

    _date = field_validator("date", mode="before")(
        lambda cls, v: None if v is None else _check_date(v)
    )

    @field_validator("title")
    @classmethod
    def _real_title(cls, v: str) -> str:
        if PLACEHOLDER_TITLE.search(v):
            raise ValueError(
                f"placeholder title {v!r}: give the page's real title (its headline if the "
                "stored text shows no title)"
            )
        return v

    @model_validator(mode="after")
    def _quality_from_host_list(self) -> WebEvidence:
        want = hosts.quality(str(self.url))
        if self.source_quality != want:
            raise ValueError(
                f"source_quality {self.source_quality!r} but config/source_hosts.yaml classes "
                f"{self.url.host!r} as {want!r}; write {want!r} (or change the host list in a "
                "commit of its own)"
            )
        return self


class PaperEvidence(_Evidence):
    kind: Literal["paper"]
    ref: str = Field(min_length=3)
    page: str = Field(min_length=1)
    cited_source: str | None = None


class PanelEvidence(_Evidence):
    kind: Literal["panel"]
    source_id: str
    row: str = Field(min_length=1)
    value: float | None = None

    @field_validator("source_id")
    @classmethod
    def _known_source(cls, v: str) -> str:
        ids = _source_ids(str(config.config_dir()))
        if v not in ids:
            raise ValueError(f"unknown source id {v!r}; known: {sorted(ids)}")
        return v


Evidence = Annotated[WebEvidence | PaperEvidence | PanelEvidence, Field(discriminator="kind")]


class Indicator(BaseModel):
    """One indicator for one period: the coder's grade; the paper's code is derived from it."""

    model_config = ConfigDict(extra="forbid")
    grade: Literal[-1, 0, 1] | None
    confidence: Literal["high", "medium", "low"]
    note: str = Field(min_length=1)
    evidence: list[Evidence] = Field(default_factory=list)

    @model_validator(mode="after")
    def _evidence_for_grades(self) -> Indicator:
        if self.grade is not None and not self.evidence:
            raise ValueError(
                "a grade (-1, 0 or 1) needs at least one evidence item; "
                "use grade: null if there is none"
            )
        web = [e for e in self.evidence if e.kind == "web"]
        other = [e for e in self.evidence if e.kind != "web"]
        if (
            self.grade is not None
            and web
            and not other
            and all(e.source_quality == "weak" for e in web)
            and self.confidence != "low"
        ):
            raise ValueError(
                f"the grade rests only on weak-host web items, so confidence must be 'low' "
                f"(it is {self.confidence!r}); or cite an official or reputable source"
            )
        return self


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    start: dt.date
    end: dt.date
    coder: str = Field(min_length=1)
    coded_on: dt.date
    note: str = Field(min_length=1)
    BS1: Indicator
    BS2: Indicator
    BS3: Indicator
    IE1: Indicator
    IE2: Indicator
    IE3: Indicator
    IE4: Indicator
    IE5: Indicator
    IE6: Indicator
    SG1: Indicator
    SG2: Indicator
    SG3: Indicator
    SG4: Indicator
    SG5: Indicator

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self

    def grades(self) -> dict[str, int | None]:
        return {k: getattr(self, k).grade for k in INDICATORS}

    def codes(self) -> dict[str, int | None]:
        """The paper's binary codes, derived from the grades by config/rules.yaml grade_cuts."""
        cuts = grade_cuts()
        return {k: code_from_grade(g, cuts[k]) for k, g in self.grades().items()}


def grade_cuts() -> dict[str, int]:
    """config/rules.yaml grade_cuts: the lowest grade at which each indicator's code is 1."""
    cfg = config.load_yaml("rules")
    cuts = cfg.get("grade_cuts")
    where = config.config_dir() / "rules.yaml"
    if not isinstance(cuts, dict) or set(cuts) != set(INDICATORS):
        raise InputError(
            where,
            "grade_cuts",
            f"expected one cut for each of {', '.join(INDICATORS)}",
            "restore grade_cuts from the repository (docs/coding_guide.md section 3)",
        )
    for k, v in cuts.items():
        if v not in (0, 1):
            raise InputError(
                where,
                f"grade_cuts.{k}",
                f"cut {v!r} is not allowed; allowed: 0 (routine or above is met) or 1 "
                "(only above routine is met)",
                "see docs/coding_guide.md section 3",
            )
    return dict(cuts)


def code_from_grade(grade: int | None, cut: int) -> int | None:
    """The paper's binary code: 1 when the grade reaches the cut, None when unknown."""
    if grade is None:
        return None
    return int(grade >= cut)


def _year_span(when: str) -> tuple[dt.date, dt.date]:
    parts = [int(p) for p in when.split("-")]
    if len(parts) == 1:
        return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)
    if len(parts) == 2:
        nxt = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return dt.date(parts[0], parts[1], 1), nxt - dt.timedelta(days=1)
    d = dt.date(*parts)
    return d, d


def when_problems(period: Period) -> list[tuple[str, int, str]]:
    """Evidence dated outside its period and not marked retrospective: (indicator, index, when)."""
    out = []
    for k in INDICATORS:
        for i, e in enumerate(getattr(period, k).evidence):
            lo, hi = _year_span(e.when)
            if (hi < period.start or lo > period.end) and not e.retrospective:
                out.append((k, i, e.when))
    return out


class Dyad(BaseModel):
    model_config = ConfigDict(extra="forbid")
    patron: str = Field(pattern=r"^[A-Z]{3}$")
    client: str = Field(pattern=r"^[A-Z]{3}$")
    client_name: str
    periods: list[Period] = Field(min_length=1)


_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when available


class _NoDates(_BASE):
    """YAML loader that keeps dates as text so that pydantic reports bad dates with their path."""


_NoDates.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


def _path(loc: tuple, raw: dict) -> str:
    """('periods', 1, 'IE3', 'evidence', 0, 'date') -> periods[trump].IE3.evidence[0].date."""
    out = ""
    i = 0
    while i < len(loc):
        part = loc[i]
        if part == "periods" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            idx = loc[i + 1]
            try:
                pid = raw["periods"][idx].get("id", idx)
            except (KeyError, IndexError, AttributeError, TypeError):
                pid = idx
            out += f"{'.' if out else ''}periods[{pid}]"
            i += 2
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("web", "paper", "panel"):
            pass  # discriminator tag inserted by pydantic
        else:
            out += f"{'.' if out else ''}{part}"
        i += 1
    return out


def read_text(path: Path) -> str:
    """A codebook file's text: UTF-8, with or without a BOM (a Windows editor's); CRLF line ends
    are YAML line breaks. Another encoding is a clear error with the line of the first bad byte."""
    data = Path(path).read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            path,
            "encoding",
            "the file is saved as UTF-16 (Windows Notepad's 'Unicode')",
            "save it as UTF-8 (with or without BOM) and rerun",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            path,
            f"line {line} column {col}",
            f"not UTF-8: byte 0x{data[exc.start]:02x} (saved as Windows-1252 / 'ANSI'?)",
            "save the file as UTF-8 (the editor's 'Save as' encoding choice) and rerun",
        ) from None


def read_raw(path: Path) -> dict:
    """The YAML of a codebook file, unvalidated (clear error if unreadable)."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        raise InputError(
            path,
            "",
            "file missing or empty",
            "write the dyad's codebook (see docs/adding_a_dyad.md)",
        )
    text = read_text(path)
    try:
        raw = yaml.load(text, Loader=_NoDates)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "YAML"
        raise InputError(
            path,
            where,
            f"malformed YAML: {getattr(exc, 'problem', exc)}",
            "fix the YAML syntax (indentation, quotes around text containing ': ')",
        ) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("periods"), list):
        raise InputError(
            path,
            "top level",
            "expected a mapping with patron, client, client_name, periods",
            "see docs/codebook_format.md",
        )
    return raw


def load_file(path: Path) -> Dyad:
    path = Path(path)
    raw = read_raw(path)
    try:
        dyad = Dyad(**raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown field {err['loc'][-1]!r}" + (
                f"; indicators are {', '.join(INDICATORS)}" if len(err["loc"]) == 3 else ""
            )
        raise InputError(
            path, _path(err["loc"], raw), msg + more, "fix this entry; see docs/codebook_format.md"
        ) from None
    ids = [p.id for p in dyad.periods]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup:
        raise InputError(
            path,
            f"periods[{dup}]",
            "duplicated period id",
            "each period id may appear once per dyad",
        )
    for p in dyad.periods:
        bad = when_problems(p)
        if bad:
            k, i, when = bad[0]
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            raise InputError(
                path,
                f"periods[{p.id}].{k}.evidence[{i}].when",
                f"dated {when}, outside the period {p.start}..{p.end}{more}",
                "fix the date, or mark the item retrospective: true with a retrospective_reason",
            )
    expected = f"{dyad.patron}-{dyad.client}.yaml"
    if path.name != expected:
        raise InputError(
            path,
            "patron/client",
            f"file name does not match its dyad (expected {expected})",
            "rename the file or fix patron/client",
        )
    return dyad


def problems(path: Path) -> list[str]:
    """Every schema problem of one codebook file, one line each (for coders fixing a file)."""
    path = Path(path)
    try:
        raw = yaml.load(read_text(path), Loader=_NoDates)
        dyad = Dyad(**raw)
    except ValidationError as exc:
        return [
            f"{_path(e['loc'], raw)}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
    except InputError as exc:
        return [f"{exc.where}: {exc.problem}"]
    except (yaml.YAMLError, TypeError, OSError) as exc:
        return [f"cannot read: {exc}"]
    out = []
    for p in dyad.periods:
        out += [
            f"periods[{p.id}].{k}.evidence[{i}].when: dated {w}, outside {p.start}..{p.end} "
            "(fix it or mark retrospective: true with a retrospective_reason)"
            for k, i, w in when_problems(p)
        ]
    return out


def load_all(folder: Path | None = None) -> list[Dyad]:
    folder = Path(folder) if folder else config.codebook_dir()
    return [load_file(p) for p in sorted(folder.glob("*.yaml"))]


def validate_files(paths: list[Path] | None = None, every: bool = False) -> str:
    files = [Path(p) for p in paths] if paths else sorted(config.codebook_dir().glob("*.yaml"))
    if every:
        lines = [f"{f.name}: {m}" for f in files for m in problems(f)]
        return "\n".join(lines) if lines else f"ok: {len(files)} files, no problems"
    dyads = [load_file(p) for p in files]
    n = sum(len(d.periods) for d in dyads)
    return f"ok: {len(dyads)} dyad files, {n} dyad-periods valid"

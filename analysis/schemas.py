"""Schemas (pydantic) for every configuration file but config/models.yaml.

YAML: sources, panel, rules, nato_editions, dictionary, reliability, measurement. CSV:
country_overrides, ccode_overrides, ohist_country_ids. Unknown keys are errors; values are checked
strictly (a quoted number is not a number), thresholds must be reachable. A violation gives one
message naming the file, the key path (or the CSV line and column), the bad value, what is
allowed and what to do; the CLI turns it into exit code 2. Each stage checks the files it reads
before it writes anything (:func:`check_stage`), so a bad edit leaves every output unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)

from analysis import config
from analysis.errors import InputError, not_utf8


class _Strict(BaseModel):
    # strict: '2%' or '2.0' (quoted) is not a number, 1 is not a string; ints are accepted as floats
    model_config = ConfigDict(extra="forbid", strict=True)


_UNSET = object()


class Violation(ValueError):
    """A rule broken inside a model: which key (relative to the model), what, what is allowed."""

    def __init__(
        self,
        problem: str,
        *,
        key: tuple = (),
        value: object = _UNSET,
        allowed: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(problem)
        self.problem, self.key, self.value, self.allowed, self.fix = (
            problem,
            key,
            value,
            allowed,
            fix,
        )


# ------------------------------------------------------------------------------ field types
ISO3_RX = re.compile(r"^[A-Z]{3}$")
ISO3_ALLOWED = "an ISO3 code: three upper-case letters (e.g. POL)"
SKIP = "-"  # analysis.etl.countries.SKIP: a known entity without an ISO3 code


def _nonblank(v: str) -> str:
    if not v.strip():
        raise Violation("empty text", allowed="a non-empty text")
    return v


def _iso3(v: str) -> str:
    if not ISO3_RX.match(v):
        raise Violation("not an ISO3 code", allowed=ISO3_ALLOWED)
    return v


def _distinct(v: list) -> list:
    """A list of names (regressors, models, estimators) lists each once: a repeat is a typo
    that would otherwise reach the estimators as a duplicated column."""
    for i, x in enumerate(v):
        if x in v[:i]:
            raise Violation(
                f"{x!r} is listed twice (also at [{v.index(x)}])",
                key=(i,),
                allowed="each entry once",
            )
    return v


Distinct = AfterValidator(_distinct)


def _ident(v: str) -> str:
    if not re.match(r"^[a-z][a-z0-9_]*$", v):
        raise Violation(
            "not a valid name", allowed="lower-case letters, digits and _, starting with a letter"
        )
    return v


def _iso_date(v: object) -> object:
    """Accept a YAML date or a quoted ISO date; anything else fails as 'not a date'."""
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            raise Violation("not a date", allowed="a date written YYYY-MM-DD") from None
    return v


def _regex(v: str) -> str:
    try:
        re.compile(v, re.I)
    except re.error as exc:
        raise Violation(
            f"not a valid regular expression ({exc})", allowed="a Python regex"
        ) from None
    return v


Text = Annotated[str, AfterValidator(_nonblank)]
ISO3 = Annotated[str, AfterValidator(_iso3)]
Name = Annotated[str, AfterValidator(_ident)]
Date = Annotated[dt.date, BeforeValidator(_iso_date)]
Year = Annotated[int, Field(ge=1816, le=2100)]  # the COW state system starts in 1816
Regex = Annotated[str, AfterValidator(_regex)]


def _counts() -> dict[str, int]:
    """Number of indicators per variable (BS 3, IE 6, SG 5), from analysis.config.indicators()."""
    ind = config.indicators()
    return {g: sum(i.startswith(g) for i in ind) for g in ("BS", "IE", "SG")}


def _reachable(value: int, n: int, key: str, what: str) -> None:
    if not 1 <= value <= n:
        raise Violation(
            f"threshold {value} can never be reached (or is always met)",
            key=(key,),
            allowed=f"an integer from 1 to {n} (the number of {what})",
        )


# ------------------------------------------------------------------- reliability, measurement
class DoubleCoding(_Strict):
    seed: int
    share: float = Field(gt=0, le=1)
    strata: list[Literal["period", "region"]]
    asia_pacific: list[str] = Field(min_length=1)
    sample_file: str
    second_coder_dir: str
    adjudication_log: str
    bootstrap_B: int = Field(ge=100)
    alpha_goal: float = Field(gt=0, le=1)


class DoubleCodingRound2(_Strict):
    seed: int
    per_stratum: int = Field(ge=1)
    per_stratum_asia: int = Field(ge=1)
    exclude_sample_file: str
    sample_file: str
    second_coder_dir: str
    first_grades_file: str
    adjudication_log: str


class Audit(_Strict):
    seed: int
    n_items: int = Field(ge=1)
    sample_file: str
    results_file: str


class Reliability(_Strict):
    double_coding: DoubleCoding
    double_coding_round2: DoubleCodingRound2 | None = None
    audit: Audit


class Sampler(_Strict):
    iterations: int = Field(ge=10)
    burn: int = Field(ge=0)
    thin: int = Field(ge=1)
    draws_saved: int = Field(ge=1)

    @model_validator(mode="after")
    def _kept(self) -> Sampler:
        if self.burn >= self.iterations:
            raise Violation(
                f"burn {self.burn} must be below iterations {self.iterations}",
                key=("burn",),
                allowed=f"an integer from 0 to {self.iterations - 1}",
            )
        kept = (self.iterations - self.burn) // self.thin
        if kept < self.draws_saved:
            raise Violation(
                f"draws_saved {self.draws_saved} exceeds the {kept} kept draws",
                key=("draws_saved",),
                allowed=f"an integer from 1 to {kept} ((iterations - burn) // thin)",
            )
        return self


class Prior(_Strict):
    intercept_sd: float = Field(gt=0)
    loading_sd: float = Field(gt=0)
    sigma_shape: float = Field(gt=0)
    sigma_scale: float = Field(gt=0)


class Indicator(_Strict):
    column: str
    type: Literal["binary", "continuous"]
    transform: Literal["log1p", "any", "change2", "none"]


class Validation(_Strict):
    external: list[str]
    external_years: list[int] = Field(min_length=2, max_length=2)
    ordered_cut_quantiles: list[float]


class Measurement(_Strict):
    seed: int
    sampler: Sampler
    prior: Prior
    smoothing: dict[Literal["rho"], float]
    identify: dict[Literal["reference"], str]
    indicators: dict[str, Indicator] = Field(min_length=2)
    validation: Validation

    @model_validator(mode="after")
    def _cross(self) -> Measurement:
        rho = self.smoothing.get("rho", 0.0)
        if not 0 <= rho < 1:
            raise Violation(
                f"smoothing.rho {rho} must be in [0, 1)",
                key=("smoothing", "rho"),
                allowed="a number >= 0 and < 1",
            )
        ref = self.identify.get("reference")
        if ref not in self.indicators:
            raise Violation(
                f"identify.reference {ref!r} is not an indicator",
                key=("identify", "reference"),
                allowed=", ".join(sorted(self.indicators)),
            )
        return self


# ------------------------------------------------------------------------------ sources.yaml
HEX64 = re.compile(r"^[0-9a-f]{64}$")


class SourceFile(_Strict):
    file: Text
    url: Text
    mirror_path: Text
    sha256: str | None
    size: int

    @model_validator(mode="after")
    def _check(self) -> SourceFile:
        if "/" in self.file or "\\" in self.file:
            raise Violation(
                "a file name, not a path", key=("file",), allowed="the publisher's file name"
            )
        if not re.match(r"^https?://\S+$", self.url):
            raise Violation(
                "not a web address", key=("url",), allowed="a URL starting with http:// or https://"
            )
        mp = self.mirror_path
        if mp.startswith(("/", "\\")) or ".." in mp.replace("\\", "/").split("/"):
            raise Violation(
                "must stay inside the mirror folder",
                key=("mirror_path",),
                allowed="a relative path without '..' (e.g. nato/<file>)",
            )
        h = self.sha256
        if h is None or not HEX64.match(h):
            if h is not None and re.fullmatch(r"[0-9a-fA-F]{64}", h):
                problem = "upper-case hex digits"
            elif h is not None and re.fullmatch(r"[0-9a-fA-F]+", h):
                problem = f"{len(h)} hex digits: a sha256 has 64"
            else:
                problem = "a placeholder, not a checksum"
            raise Violation(
                problem,
                key=("sha256",),
                allowed="64 lower-case hex digits",
                fix=f"put the file's sha256 (sha256sum {self.file})",
            )
        if self.size <= 0:
            raise Violation(
                "not a file size",
                key=("size",),
                allowed="the file's size in bytes, a positive integer",
                fix=f"put the file's size (stat -c %s {self.file})",
            )
        return self


class Source(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    publisher: Text
    title: Text
    edition: Text
    licence: Text
    citation: Text
    provenance: Text | None = None  # an honest note where the uploader is not the publisher
    files: list[SourceFile] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_files(self) -> Source:
        _unique([f.file for f in self.files], "files", "file", "the file names of one source")
        return self


class Sources(_Strict):
    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Sources:
        _unique([s.id for s in self.sources], "sources", "id", "source ids")
        return self


def _unique(values: list, where: str, field: str | None, what: str) -> None:
    seen: dict = {}
    for i, v in enumerate(values):
        if v in seen:
            raise Violation(
                f"duplicate {field or 'entry'} (also at {where}[{seen[v]}])",
                key=(where, i, field) if field else (where, i),
                allowed=f"{what} must be unique",
            )
        seen[v] = i


# -------------------------------------------------------------------------------- panel.yaml
class Years(_Strict):
    start: Year
    end: Year | Literal["latest"]

    @model_validator(mode="after")
    def _order(self) -> Years:
        if self.end != "latest" and self.start > self.end:
            raise Violation(
                f"end {self.end} is before start {self.start}",
                key=("end",),
                allowed=f"a year >= {self.start}, or latest",
            )
        return self


class Clients(_Strict):
    rule: Literal["atop_defense_any_year"]
    extra: list[ISO3] = []
    exclude: list[ISO3] = []


TROOPS_RULES = ("september", "december")  # the reports analysis/etl/troops.py can take


class Troops(_Strict):
    rule: Literal[TROOPS_RULES]  # type: ignore[valid-type]


class Unga(_Strict):
    ideal_point: Name


class Ohist(_Strict):
    last_year: Year


NATO_FOUNDED = dt.date(1949, 4, 4)


class Panel(_Strict):
    patron: ISO3
    patron_ccode: int = Field(ge=2, le=999)
    years: Years
    clients: Clients
    nato_accession: dict[ISO3, Date]
    treaty_type: dict[Name, list[ISO3]]
    land_border_rival: dict[ISO3, list[ISO3]]
    troops: Troops
    unga: Unga
    ohist: Ohist

    @model_validator(mode="after")
    def _cross(self) -> Panel:
        for key in ("extra", "exclude"):
            lst = getattr(self.clients, key)
            if self.patron in lst:
                raise Violation(
                    "the patron cannot be its own client",
                    key=("clients", key, lst.index(self.patron)),
                    allowed=f"ISO3 codes other than {self.patron}",
                )
        for key in ("extra", "exclude"):
            lst = getattr(self.clients, key)
            for i, c in enumerate(lst):
                if c in lst[:i]:
                    raise Violation(
                        f"duplicate {c} (also at clients.{key}[{lst.index(c)}])",
                        key=("clients", key, i),
                        allowed="each code once",
                    )
        both = sorted(set(self.clients.extra) & set(self.clients.exclude))
        if both:
            raise Violation(
                f"{both[0]} is both added (extra) and excluded",
                key=("clients", "exclude", self.clients.exclude.index(both[0])),
                allowed="a client in at most one of extra and exclude",
            )
        for iso, d in self.nato_accession.items():
            if d < NATO_FOUNDED:
                raise Violation(
                    "before the North Atlantic Treaty (1949-04-04)",
                    key=("nato_accession", iso),
                    value=d,
                    allowed="a date from 1949-04-04 on",
                )
            if d > dt.date.today():
                raise Violation(
                    "an accession in the future (the dates are NATO's, from its member-countries page)",
                    key=("nato_accession", iso),
                    value=d,
                    allowed=f"a past date, up to {dt.date.today()}",
                )
        seen: dict[str, str] = {}
        for kind, members in self.treaty_type.items():
            for i, c in enumerate(members):
                if c in seen:
                    raise Violation(
                        f"{c} is already of treaty type {seen[c]}",
                        key=("treaty_type", kind, i),
                        allowed="each client in one treaty type",
                    )
                seen[c] = kind
        if self.ohist.last_year < self.years.start:
            raise Violation(
                f"before the first panel year {self.years.start}",
                key=("ohist", "last_year"),
                allowed=f"a year >= {self.years.start}",
            )
        return self


# -------------------------------------------------------------------------------- rules.yaml
class Period(_Strict):
    id: Name
    start: Date
    end: Date
    years: list[Year]

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.start >= self.end:
            raise Violation(
                f"end {self.end} is not after start {self.start}",
                key=("end",),
                value=self.end,
                allowed=f"a date after {self.start}",
            )
        if len(self.years) != 2:
            raise Violation(
                "expected two years", key=("years",), allowed="[first, last] calendar years"
            )
        y0, y1 = self.years
        if y0 > y1:
            raise Violation("years out of order", key=("years",), allowed=f"[{y1}, {y0}]")
        if y0 < self.start.year or y1 > self.end.year:
            raise Violation(
                f"years outside the period {self.start}..{self.end}",
                key=("years",),
                allowed=f"years between {self.start.year} and {self.end.year}",
            )
        return self


class Aggregation(_Strict):
    bs_high_min: int
    ie_high_min: int
    ie_high_min_alternative: int
    sg_high_min: int
    sg_limited_min: int

    @model_validator(mode="after")
    def _reach(self) -> Aggregation:
        n = _counts()
        _reachable(self.bs_high_min, n["BS"], "bs_high_min", "burden-sharing indicators")
        _reachable(self.ie_high_min, n["IE"], "ie_high_min", "interest-exchange indicators")
        _reachable(
            self.ie_high_min_alternative,
            n["IE"],
            "ie_high_min_alternative",
            "interest-exchange indicators",
        )
        _reachable(self.sg_high_min, n["SG"], "sg_high_min", "guarantee indicators")
        if not 1 <= self.sg_limited_min < self.sg_high_min:
            raise Violation(
                "limited must need fewer indicators than high, and at least one",
                key=("sg_limited_min",),
                allowed=f"an integer from 1 to {self.sg_high_min - 1} (below sg_high_min)",
            )
        return self


class BS1Rule(_Strict):
    level_min_pct: float = Field(gt=0, le=100)  # % of GDP, e.g. 2.0
    rise_min_pp: float = Field(ge=0)  # percentage points
    year_rise_window: int = Field(ge=1)


class SG1Rule(_Strict):
    min_increase: float = Field(ge=0, le=1)  # a share: 0.05 = 5 %
    year_window: int = Field(ge=1)


class SG1LRule(_Strict):
    min_troops: float = Field(gt=0)


class SG5Rule(_Strict):
    min_mean_tiv: float = Field(gt=0)


class RelativeRule(_Strict):
    reference: Literal["allied_median"]


class RuleSet(_Strict):
    """One entry per rule implemented in analysis/coding/rules.py (the measured codes)."""

    BS1: BS1Rule
    SG1: SG1Rule
    SG1L: SG1LRule
    SG5: SG5Rule
    IE1: RelativeRule
    IE5: RelativeRule
    IE6: RelativeRule
    not_measurable: list[str] = []

    @model_validator(mode="after")
    def _known(self) -> RuleSet:
        known = config.indicators()
        for i, k in enumerate(self.not_measurable):
            if k not in known:
                raise Violation(
                    "unknown indicator", key=("not_measurable", i), allowed=", ".join(known)
                )
            if k in MEASURED_CODES:
                raise Violation(
                    "this indicator has a rule above",
                    key=("not_measurable", i),
                    allowed="indicators without a rule: "
                    + ", ".join(x for x in known if x not in MEASURED_CODES),
                )
        _unique(self.not_measurable, "not_measurable", None, "indicators")
        return self


MEASURED_CODES = tuple(k for k in RuleSet.model_fields if k != "not_measurable")


class MeasuredGuarantee(_Strict):
    components: list[str] = Field(min_length=1)
    high_min: int
    limited_min: int
    bs_components: list[str] = Field(min_length=1)
    bs_high_min: int
    ie_components: list[str] = Field(min_length=1)
    ie_high_min: int

    @model_validator(mode="after")
    def _cross(self) -> MeasuredGuarantee:
        for key, group in (("components", "SG"), ("bs_components", "BS"), ("ie_components", "IE")):
            comps = getattr(self, key)
            ok = [c for c in MEASURED_CODES if c.startswith(group)]
            for i, c in enumerate(comps):
                if c not in ok:
                    raise Violation(
                        "not a measured code of this variable",
                        key=(key, i),
                        allowed=", ".join(ok) + " (the codes with a rule under `rules`)",
                    )
            _unique(comps, key, None, "components")
        n = len(self.components)
        _reachable(self.high_min, n, "high_min", f"components, {n}")
        if not 1 <= self.limited_min < self.high_min:
            raise Violation(
                "limited must need fewer components than high, and at least one",
                key=("limited_min",),
                allowed=f"an integer from 1 to {self.high_min - 1} (below high_min)",
            )
        nb, ni = len(self.bs_components), len(self.ie_components)
        _reachable(self.bs_high_min, nb, "bs_high_min", f"bs_components, {nb}")
        _reachable(self.ie_high_min, ni, "ie_high_min", f"ie_components, {ni}")
        return self


CUT_ALLOWED = "0 (routine or above is met) or 1 (only above routine is met)"


def _cut(v: int) -> int:
    if v not in (0, 1):
        raise Violation(
            "cut not allowed", allowed=CUT_ALLOWED, fix="see docs/coding_guide.md section 3"
        )
    return v


Cut = Annotated[int, AfterValidator(_cut)]
GradeCuts = create_model(
    "GradeCuts", __base__=_Strict, **{k: (Cut, ...) for k in config.indicators()}
)


class Rules(_Strict):
    periods: list[Period] = Field(min_length=1)
    aggregation: Aggregation
    rules: RuleSet
    measured_guarantee: MeasuredGuarantee
    grade_cuts: GradeCuts  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _periods(self) -> Rules:
        _unique([p.id for p in self.periods], "periods", "id", "period ids")
        for i in range(1, len(self.periods)):
            a, b = self.periods[i - 1], self.periods[i]
            if b.start < a.end:
                raise Violation(
                    f"starts before period {a.id} ends ({a.end})",
                    key=("periods", i, "start"),
                    value=b.start,
                    allowed=f"periods in time order: a start on or after {a.end}",
                )
            if b.years[0] <= a.years[1]:
                raise Violation(
                    f"years overlap period {a.id} ({a.years[0]}-{a.years[1]})",
                    key=("periods", i, "years"),
                    allowed=f"periods in time order: a first year after {a.years[1]}",
                )
        return self


# ------------------------------------------------------------------------ nato_editions.yaml
class Edition(_Strict):
    source_id: Text
    edition: Text | int
    published: Date
    price_base: Year


class NatoTable(_Strict):
    sheet: Text
    block: Regex | None
    position: int = Field(default=0, ge=0)
    unit: Text
    range: list[float]

    @model_validator(mode="after")
    def _range(self) -> NatoTable:
        if len(self.range) != 2 or self.range[0] >= self.range[1]:
            raise Violation(
                "not a range",
                key=("range",),
                allowed="[low, high] with low < high (the plausible values of the table)",
            )
        return self


class NatoEditions(_Strict):
    editions: list[Edition] = Field(min_length=1)
    tables: dict[Name, NatoTable] = Field(min_length=1)
    aggregate_labels: Regex

    @model_validator(mode="after")
    def _sources(self, info: ValidationInfo) -> NatoEditions:
        _unique([e.source_id for e in self.editions], "editions", "source_id", "editions")
        ids = (info.context or {}).get("source_ids")
        if ids is None:
            return self
        for i, e in enumerate(self.editions):
            if e.source_id not in ids:
                raise Violation(
                    "no source with this id in config/sources.yaml",
                    key=("editions", i, "source_id"),
                    allowed=", ".join(x for x in ids if x.startswith("nato")) or ", ".join(ids),
                    fix="add the edition's file to config/sources.yaml first, or correct the id",
                )
        return self


# --------------------------------------------------------------------------- dictionary.yaml
def _stata_label(v: str) -> str:
    if len(v) > 80:
        raise Violation(
            f"label has {len(v)} characters; Stata allows 80", allowed="at most 80 characters"
        )
    return v


class DictEntry(_Strict):
    label: Annotated[Text, AfterValidator(_stata_label)]
    meaning: Text
    unit: Text
    source: Text | None = None
    source_of: Text | None = None
    stata_name: Text | None = None


class DictDataset(_Strict):
    description: Text | None = None
    columns: dict[str, DictEntry] = Field(min_length=1)


@lru_cache(maxsize=1)
def _dictionary_model() -> type[BaseModel]:
    from analysis.dictionary import DATASETS

    sets = create_model(
        "DictDatasets", __base__=_Strict, **{d: (DictDataset, ...) for d in DATASETS}
    )
    return create_model("Dictionary", __base__=_Strict, datasets=(sets, ...))


# ------------------------------------------------------------------------------ the checking
def _show(v: object) -> str:
    if isinstance(v, dt.date):
        return v.isoformat()
    return repr(v)


def _label(item: object, i: int) -> str:
    if isinstance(item, dict):
        for k in ("id", "source_id", "file"):
            if isinstance(item.get(k), str):
                return f"[{item[k]}]"
    return f"[{i}]"


def _walk(raw: object, loc: Iterable, keep_last: bool = False) -> tuple[list, str, object]:
    """The real key path of a pydantic loc in the data (union tags like 'int' dropped), its
    dotted text and the value there (_UNSET when the key is absent)."""
    loc = list(loc)
    keys: list = []
    text = ""
    cur: object = raw
    for n, part in enumerate(loc):
        if isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            text += _label(cur[part], part)
            cur = cur[part]
        elif isinstance(cur, dict) and part in cur:
            text += f"{'.' if text else ''}{part}"
            cur = cur[part]
        elif keep_last and n == len(loc) - 1:
            text += f"{'.' if text else ''}{part}"
            cur = _UNSET
        else:
            continue
        keys.append(part)
    return keys, text or "top level", cur


def _unwrap(t: Any) -> Any:
    while True:
        origin = typing.get_origin(t)
        if origin is Annotated:
            t = typing.get_args(t)[0]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            models = [a for a in typing.get_args(t) if isinstance(a, type)]
            models = [a for a in models if issubclass(a, BaseModel)]
            return models[0] if models else t
        else:
            return t


def _model_at(model: type[BaseModel], keys: list) -> type[BaseModel] | None:
    t: Any = model
    for part in keys:
        t = _unwrap(t)
        origin = typing.get_origin(t)
        if isinstance(t, type) and issubclass(t, BaseModel) and part in t.model_fields:
            t = t.model_fields[part].annotation
        elif origin is list and isinstance(part, int):
            t = typing.get_args(t)[0]
        elif origin is dict:
            t = typing.get_args(t)[1]
        else:
            return None
    t = _unwrap(t)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


_BOUNDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_TYPES = {
    "float_type": "a number, without quotes or units (e.g. 2.0)",
    "int_type": "an integer, without quotes",
    "string_type": "a text",
    "bool_type": "true or false",
    "list_type": "a list [a, b, ...]",
    "dict_type": "a mapping of key: value",
    "model_type": "a mapping of key: value",
    "date_type": "a date written YYYY-MM-DD",
}


def _allowed(e: dict) -> str | None:
    """What a built-in pydantic error allows, in words."""
    ctx = e.get("ctx") or {}
    bounds = [f"{_BOUNDS[k]} {ctx[k]}" for k in _BOUNDS if k in ctx]
    return ctx.get("expected") or " and ".join(bounds) or _TYPES.get(e["type"])


def check(file: str, model: type[BaseModel], raw: object, context: dict | None = None) -> BaseModel:
    """Validate `raw` (config/<file>) against `model`; the first problem as an InputError."""
    try:
        return model.model_validate(raw, context=context)
    except ValidationError as exc:
        errs = exc.errors()
    e = errs[0]
    err = (e.get("ctx") or {}).get("error")
    keys, where, value = _walk(raw, e["loc"], keep_last=e["type"] == "missing")
    fix = f"fix config/{file} (see the comments in the file)"
    same = [x for x in errs if _walk(raw, x["loc"], keep_last=x["type"] == "missing")[0] == keys]
    allowed: str | None = None
    if isinstance(err, Violation):
        if err.key:
            keys, where, found = _walk(raw, list(e["loc"]) + list(err.key))
            value = found if err.value is _UNSET else err.value
        elif err.value is not _UNSET:
            value = err.value
        problem, allowed, fix = err.problem, err.allowed, err.fix or fix
    elif e["type"] == "extra_forbidden":
        parent = _model_at(model, keys[:-1])
        problem = f"unknown key {keys[-1]!r}"
        allowed = "the keys " + ", ".join(parent.model_fields) if parent else None
        value = _UNSET
    elif e["type"] == "missing":
        problem = "required key missing"
        fix = f"add `{where}` to config/{file} (see the comments in the file)"
    else:
        msgs = [x["msg"].removeprefix("Value error, ") for x in same]
        msgs = msgs[:1] + [m.removeprefix("Input should be ") for m in msgs[1:]]
        problem = " or ".join(dict.fromkeys(msgs))
        allowed = " or ".join(dict.fromkeys(a for x in same if (a := _allowed(x)))) or None
    n_more = len(errs) - len(same)
    shown = "" if value is _UNSET else _show(value)
    got = f": got {shown}" if shown and len(shown) <= 200 else ""
    raise InputError(
        config.config_dir() / file,
        where,
        problem
        + got
        + (f"; allowed: {allowed}" if allowed else "")
        + (f" (and {n_more} more problem{'s' * (n_more > 1)})" if n_more > 0 else ""),
        fix,
    ) from None


def _context(name: str) -> dict | None:
    if name == "nato_editions":
        return {"source_ids": [s.id for s in parse("sources", Sources).sources]}
    return None


def parse(name: str, model: type[BaseModel]) -> Any:
    """Load config/<name>.yaml and return it as the validated model (clear error, exit 2)."""
    return check(f"{name}.yaml", model, config.load_yaml(name), _context(name))


def validate(name: str, model: type[BaseModel]) -> dict:
    """Load config/<name>.yaml, check it against its schema and return the plain mapping."""
    raw = config.load_yaml(name)
    check(f"{name}.yaml", model, raw, _context(name))
    return raw


# --------------------------------------------------------------------------------- the CSVs
@dataclass(frozen=True)
class Column:
    name: str
    test: Callable[[str], bool]
    allowed: str
    fix: str


@dataclass(frozen=True)
class CsvSpec:
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # no two rows may share these (normalised by `norm`)
    norm: Callable[[str], str] = str
    # a check across rows: (line, column, value, allowed, fix) of the first problem, or None
    extra: Callable[[list[dict[str, str]], list[int]], tuple | None] | None = None


def _is_int(lo: int, hi: int) -> Callable[[str], bool]:
    return lambda s: bool(re.fullmatch(r"\d+", s)) and lo <= int(s) <= hi


def _iso3_or_skip(s: str) -> bool:
    return s == SKIP or bool(ISO3_RX.match(s))


_NOTE = Column("note", lambda s: True, "any text", "")
_YEARS = "a year from 1816 to 2100"
_ISO3_OR_SKIP = Column(
    "iso3",
    _iso3_or_skip,
    f"{ISO3_ALLOWED}, or '-' for a known entity without one",
    "write the ISO3 code (https://www.iso.org/obp/ui/#search) or '-'",
)


def _ccode_spells(rows: list[dict[str, str]], lines: list[int]) -> tuple | None:
    """No overlapping spells for one ISO3; one ccode names one ISO3 (ccode_to_iso3 takes the
    first row of a code)."""
    for j, r in enumerate(rows):
        a0, a1 = int(r["first_year"]), int(r["last_year"])
        if a0 > a1:
            return (
                lines[j],
                "last_year",
                r["last_year"],
                f"a year >= first_year {a0}",
                "a spell ends in or after the year it starts",
            )
        for i in range(j):
            q = rows[i]
            if q["iso3"] == r["iso3"] and int(q["first_year"]) <= a1 and a0 <= int(q["last_year"]):
                return (
                    lines[j],
                    "first_year",
                    r["first_year"],
                    f"years after {q['last_year']}: {r['iso3']}'s spell on line {lines[i]} "
                    f"covers {q['first_year']}-{q['last_year']}",
                    "the spells of one ISO3 code must not overlap (one COW code per year)",
                )
            if q["ccode"] == r["ccode"] and q["iso3"] != r["iso3"]:
                return (
                    lines[j],
                    "ccode",
                    r["ccode"],
                    f"a code not used for {q['iso3']} (line {lines[i]})",
                    "one COW code names one country (the reverse lookup takes the first row)",
                )
    return None


CSV_SPECS: dict[str, CsvSpec] = {
    "country_overrides.csv": CsvSpec(
        (
            Column("name", lambda s: bool(s.strip()), "the publisher's country name", "fill in"),
            _ISO3_OR_SKIP,
            _NOTE,
        ),
        key=("name",),
        norm=lambda s: s.strip().casefold(),  # how analysis/etl/countries.py matches names
    ),
    "ccode_overrides.csv": CsvSpec(
        (
            Column(
                "iso3",
                lambda s: bool(ISO3_RX.match(s)),
                ISO3_ALLOWED,
                "write the ISO3 code (https://www.iso.org/obp/ui/#search)",
            ),
            Column(
                "ccode",
                _is_int(2, 999),
                "a COW country code, an integer from 2 to 999",
                "write the Correlates of War state number (COW state list)",
            ),
            Column("first_year", _is_int(1816, 2100), _YEARS, "write a four-digit year"),
            Column("last_year", _is_int(1816, 2100), _YEARS, "write a four-digit year"),
            _NOTE,
        ),
        key=("iso3", "first_year"),
        extra=_ccode_spells,
    ),
    "ohist_country_ids.csv": CsvSpec(
        (
            Column(
                "id",
                lambda s: bool(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s)),
                "the Office of the Historian's country id: lower case, words joined by '-'",
                "copy the id from the record",
            ),
            _ISO3_OR_SKIP,
            _NOTE,
        ),
        key=("id",),
    ),
}


def check_csv(name: str, folder: str | Path | None = None) -> list[dict[str, str]]:
    """Check config/<name> (one of CSV_SPECS): header, each cell, duplicate keys. Returns the
    rows (values stripped); the first problem as an InputError naming the line and the column.
    """
    spec = CSV_SPECS[name]
    path = Path(folder or config.config_dir()) / name
    fix0 = f"fix config/{name}"
    if not path.exists():
        raise InputError(path, "", "configuration file not found", f"restore config/{name}")
    want = [c.name for c in spec.columns]
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    raw = path.read_bytes()
    try:  # a spreadsheet program's "CSV UTF-8" starts with a BOM: accepted
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise not_utf8(
            path, "save the file as CSV UTF-8 (the spreadsheet's or editor's encoding option)"
        ) from None
    with io.StringIO(text, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != want:
            raise InputError(
                path,
                "line 1 (header)",
                f"columns {header or []}; expected {want}",
                f"restore the header line: {','.join(want)}",
            )
        seen: dict[tuple, int] = {}
        for rec in reader:
            n = reader.line_num
            if not any(x.strip() for x in rec):
                continue
            if len(rec) != len(want):
                raise InputError(
                    path,
                    f"line {n}",
                    f"{len(rec)} fields, expected {len(want)} ({', '.join(want)})",
                    f'{fix0}: quote a value that contains a comma ("Korea, South")',
                )
            row = dict(zip(want, (x.strip() for x in rec), strict=True))
            for col in spec.columns:
                if not col.test(row[col.name]):
                    raise InputError(
                        path,
                        f"line {n}, column {col.name}",
                        f"bad value {row[col.name]!r}; allowed: {col.allowed}",
                        f"{fix0}: {col.fix}" if col.fix else fix0,
                    )
            k = tuple(spec.norm(row[c]) for c in spec.key)
            if k in seen:
                raise InputError(
                    path,
                    f"line {n}, column {spec.key[0]}",
                    f"duplicate {'/'.join(spec.key)} {row[spec.key[0]]!r} (also on line {seen[k]})",
                    f"{fix0}: keep one of the two rows",
                )
            seen[k] = n
            rows.append(row)
            lines.append(n)
    if spec.extra and (bad := spec.extra(rows, lines)):
        n, col, v, allowed, fix = bad
        raise InputError(
            path,
            f"line {n}, column {col}",
            f"bad value {v!r}; allowed: {allowed}",
            f"{fix0}: {fix}",
        )
    return rows


# -------------------------------------------------------------------------------- per stage
# ------------------------------------------------------------------------------ models.yaml
Prob = Annotated[float, Field(gt=0, lt=1)]
PosInt = Annotated[int, Field(ge=1)]


def _count(v: object) -> object:
    """A replicate count: YAML reads 1e3 as text, so say how to write it."""
    if isinstance(v, str):
        raise Violation(
            f"{v!r} is text, not a count (YAML reads 1e3 as a string)",
            value=v,
            allowed="a whole number written out, e.g. 1000",
        )
    return v


Count = Annotated[int, BeforeValidator(_count), Field(ge=1)]


class Bootstrap(_Strict):
    B: Count
    n_jobs: Annotated[int, Field(ge=-1)]
    level: Prob

    @model_validator(mode="after")
    def _jobs(self) -> Bootstrap:
        if self.n_jobs == 0:
            raise Violation("0 workers", key=("n_jobs",), allowed="1, 2, ... or -1 (all cores)")
        return self


class Ordered(_Strict):
    link: Literal["logit", "probit"]
    method: Literal["newton", "bfgs", "lbfgs"]
    maxiter: PosInt
    controls: Annotated[list[Literal["border_rival", "log_cinc", "nato"]], Distinct]


class Separation(_Strict):
    max_abs_coef: Annotated[float, Field(gt=0)]
    max_se: Annotated[float, Field(gt=0)]


class PanelModels(_Strict):
    dependents: Annotated[list[Literal["log_troops", "log_tiv", "guarantee_index"]], Distinct]
    regressors_main: Annotated[
        list[Literal["milex_gdp", "ideal_distance", "un_agree_us", "un_agree_us_ext"]], Distinct
    ]
    regressors_ext: Annotated[
        list[Literal["milex_gdp", "ideal_distance", "un_agree_us", "un_agree_us_ext"]], Distinct
    ]
    driscoll_kraay_bandwidth: PosInt


class Verdicts(_Strict):
    rule: Literal["all_hold_supported__any_contradicted_not_supported__else_inconclusive"]


class Robustness(_Strict):
    sg1_min_increase: list[Annotated[float, Field(ge=0, lt=1)]]
    paper_cases: Annotated[
        list[Annotated[str, AfterValidator(_iso3)]], Field(min_length=1), Distinct
    ]


class Latent(_Strict):
    dependent: Literal["guarantee_latent"]
    regressors: Annotated[
        list[Literal["milex_gdp", "ideal_distance", "un_agree_us", "un_agree_us_ext"]], Distinct
    ]
    estimators: Annotated[list[Literal["fe", "fe_dk", "re"]], Distinct]
    mi_draws: Annotated[int, Field(ge=2)]
    ordered_cut_quantiles: list[Prob]

    @model_validator(mode="after")
    def _sorted(self) -> Latent:
        q = self.ordered_cut_quantiles
        if len(q) != 2 or q != sorted(q):
            raise Violation(
                "need two increasing quantiles (low | limited | high)",
                key=("ordered_cut_quantiles",),
                value=q,
                allowed="[a, b] with 0 < a < b < 1",
            )
        return self


class ExpertPrimary(_Strict):
    model: str
    dependent: Literal["guarantee"]
    regressors: Annotated[list[str], Distinct]
    estimator: Literal["firth"]
    missing: Literal["imputation"]
    inference: Literal["cr3"]
    quantity: Literal["p_high"]

    @model_validator(mode="after")
    def _cells(self) -> ExpertPrimary:
        need = {"bs_high", "ie_high", "bs_x_ie"}
        if not need <= set(self.regressors):
            raise Violation(
                "the cell quantities need the two willingness terms and their product",
                key=("regressors",),
                value=self.regressors,
                allowed=f"a list containing {sorted(need)}",
            )
        return self


class MeasuredPrimary(_Strict):
    model: str
    dependent: Literal["guarantee_latent"]
    regressors: Annotated[list[str], Distinct]
    estimator: Literal["fe"]
    inference: Literal["cr2"]
    quantity: Literal["latent_mean"]

    @model_validator(mode="after")
    def _cells(self) -> MeasuredPrimary:
        need = {"L_bs_high", "L_ie_high", "L_bs_x_ie"}
        if not need <= set(self.regressors):
            raise Violation(
                "the cell quantities need the two lagged willingness terms and their product",
                key=("regressors",),
                value=self.regressors,
                allowed=f"a list containing {sorted(need)}",
            )
        return self


class OutOfSample(_Strict):
    period: Annotated[str, AfterValidator(_ident)]
    paper_levels: dict[Annotated[str, AfterValidator(_iso3)], Literal["low", "limited", "high"]]


class Primary(_Strict):
    expert: ExpertPrimary
    measured: MeasuredPrimary
    level: Prob
    out_of_sample: OutOfSample


class Firth(_Strict):
    maxiter: PosInt
    tol: Annotated[float, Field(gt=0, lt=1e-3)]
    profile_ci: Annotated[list[str], Distinct]


class SizeSimulation(_Strict):
    G: Annotated[int, Field(ge=3)]
    per_cluster: PosInt
    reps: Count
    B: Count
    nominal: Prob
    sd_cluster: Annotated[float, Field(ge=0)]
    share_high: Prob
    switch: Annotated[float, Field(ge=0, lt=1)]
    cuts: list[float]
    weights: Annotated[list[Literal["webb", "rademacher"]], Distinct]


class FewCluster(_Strict):
    wild_B: Count
    wild_weights: Literal["webb", "rademacher"]
    models: Annotated[list[str], Distinct]
    size_simulation: SizeSimulation


class Gologit(_Strict):
    models: Annotated[list[Literal["ologit_years"]], Distinct]
    free_if_brant_p_below: Prob


class Imputation(_Strict):
    m: Annotated[int, Field(ge=2)]
    donors: PosInt
    seed: Annotated[int, Field(ge=0)]


class Power(_Strict):
    deltas: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=2)]
    reps: Count
    target: Prob
    seed: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _grid(self) -> Power:
        if self.deltas != sorted(set(self.deltas)) or self.deltas[0] != 0:
            raise Violation(
                "the grid must start at 0 (the size-adjusted power needs it) and increase",
                key=("deltas",),
                value=self.deltas,
                allowed="[0.0, d1, d2, ...] with 0 < d1 < d2 < ...",
            )
        return self


class Amendment(_Strict):
    date: Annotated[object, AfterValidator(_iso_date)]
    block: str
    change: Annotated[str, AfterValidator(_nonblank)]
    reason: Annotated[str, AfterValidator(_nonblank)]


class Models(_Strict):
    seed: Annotated[int, Field(ge=0)]
    bootstrap: Bootstrap
    ordered: Ordered
    separation: Separation
    panel: PanelModels
    verdicts: Verdicts
    robustness: Robustness
    latent: Latent
    primary: Primary
    firth: Firth
    few_cluster: FewCluster
    gologit: Gologit
    imputation: Imputation
    power: Power
    amendments: list[Amendment]

    @model_validator(mode="after")
    def _cases(self) -> Models:
        cases = set(self.robustness.paper_cases)
        levels = set(self.primary.out_of_sample.paper_levels)
        if cases != levels:
            raise Violation(
                "the out-of-sample paper levels must name exactly the paper cases",
                key=("primary", "out_of_sample", "paper_levels"),
                value=sorted(levels),
                allowed=f"one level for each of {sorted(cases)} (robustness.paper_cases)",
            )
        return self


YAML_MODELS: dict[str, Callable[[], type[BaseModel]]] = {
    "sources": lambda: Sources,
    "panel": lambda: Panel,
    "rules": lambda: Rules,
    "nato_editions": lambda: NatoEditions,
    "dictionary": _dictionary_model,
    "reliability": lambda: Reliability,
    "measurement": lambda: Measurement,
    "models": lambda: Models,
}
STAGES: dict[str, tuple[str, ...]] = {
    "fetch": ("sources",),
    "panel": ("sources", "panel", "nato_editions", "dictionary", *CSV_SPECS),
    "code": ("rules", "dictionary", "reliability", "measurement"),
    "models": ("rules", "models"),
    "report": ("sources", "rules"),
}


def check_file(name: str) -> None:
    """Check one configuration file: a key of YAML_MODELS or of CSV_SPECS."""
    if name in CSV_SPECS:
        check_csv(name)
    else:
        validate(name, YAML_MODELS[name]())


def check_stage(stage: str) -> None:
    """Check every configuration file a stage reads, before the stage writes anything."""
    for name in STAGES[stage]:
        check_file(name)

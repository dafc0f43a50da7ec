"""Schemas (pydantic) for the measurement configuration files this project added:
config/reliability.yaml and config/measurement.yaml. Unknown keys are errors; each violation
gives one message naming the file, the key path, the bad value and what is allowed (exit 2)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from analysis import config
from analysis.errors import InputError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
            raise ValueError(f"burn {self.burn} must be below iterations {self.iterations}")
        kept = (self.iterations - self.burn) // self.thin
        if kept < self.draws_saved:
            raise ValueError(f"draws_saved {self.draws_saved} exceeds the {kept} kept draws")
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
            raise ValueError(f"smoothing.rho {rho} must be in [0, 1)")
        ref = self.identify.get("reference")
        if ref not in self.indicators:
            raise ValueError(
                f"identify.reference {ref!r} is not an indicator; one of {sorted(self.indicators)}"
            )
        return self


def _loc(loc: tuple) -> str:
    return ".".join(str(x) for x in loc) or "top level"


def validate(name: str, model: type[BaseModel]) -> dict:
    """Load config/<name>.yaml and check it against its schema (clear error, exit 2)."""
    raw = config.load_yaml(name)
    try:
        model.model_validate(raw)
    except ValidationError as exc:
        e = exc.errors()[0]
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        allowed = e.get("ctx", {}).get("expected")
        raise InputError(
            config.config_dir() / f"{name}.yaml",
            _loc(e["loc"]),
            f"{msg}: got {e.get('input')!r}" + (f"; allowed: {allowed}" if allowed else "") + more,
            f"fix config/{name}.yaml (see the comments in the file)",
        ) from None
    return raw

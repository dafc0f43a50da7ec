# Pipeline: fetch -> panel -> code -> models -> report.  `make help` lists the targets.
PY      ?= .venv/bin/python
VENV    := .venv/.installed
PROC    := data/processed
STAMP   := data/raw/.fetched
SRC     := $(shell find analysis -name '*.py' 2>/dev/null)
CONFIG  := $(wildcard config/*)
CODEBOOK:= $(wildcard data/codebook/*.yaml)

.DEFAULT_GOAL := help
.PHONY: help all fetch panel code models report test test-all bench lint format clean validate-codebook

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

$(VENV): pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

all: report ## run every stage (creates .venv, installs, fetches from the offline mirror)

fetch: $(STAMP) ## get the publishers' files into data/raw/ (checksums verified)
$(STAMP): $(VENV) config/sources.yaml
	$(PY) -m analysis fetch
	touch $@

panel: $(PROC)/panel.parquet ## build the validated dyad-year panel
$(PROC)/panel.parquet: $(STAMP) $(SRC) $(CONFIG)
	$(PY) -m analysis panel

validate-codebook: $(VENV) ## validate data/codebook/*.yaml
	$(PY) -m analysis validate-codebook

code: $(PROC)/coded_periods.parquet ## code the indicators (codebook + rules tracks)
$(PROC)/coded_periods.parquet: $(PROC)/panel.parquet $(CODEBOOK) $(SRC) $(CONFIG)
	$(PY) -m analysis code

models: reports/models.json ## fit the models
reports/models.json: $(PROC)/coded_periods.parquet $(SRC) $(CONFIG)
	$(PY) -m analysis models

report: reports/report.md ## write the report
reports/report.md: reports/models.json $(SRC)
	$(PY) -m analysis report

test: $(VENV) ## run the test suite (fetches the mirror files if needed)
	$(MAKE) --no-print-directory fetch
	$(PY) -m pytest -q -x -m "not slow"
	$(PY) -m pytest -q -x -m slow

bench: $(VENV) ## print the benchmark table
	$(PY) benchmarks/run.py

lint: $(VENV) ## ruff lint and format check
	$(PY) -m ruff check analysis tests benchmarks
	$(PY) -m ruff format --check analysis tests benchmarks

format: $(VENV) ## apply ruff format and fixes
	$(PY) -m ruff check --fix analysis tests benchmarks
	$(PY) -m ruff format analysis tests benchmarks

clean: ## remove generated files (never the raw downloads' checksummed sources)
	rm -rf $(PROC)/*.parquet $(PROC)/*.csv $(PROC)/*.dta $(PROC)/*.json reports/*.json reports/*.md reports/*.html reports/*.csv reports/model_data reports/tables

# Pipeline: fetch -> panel -> code -> models -> report.  `make help` lists the targets.
PY      ?= .venv/bin/python
VENV    := .venv/.installed
PROC    := data/processed
STAMP   := data/raw/.fetched
CORE    := analysis/__main__.py analysis/config.py analysis/errors.py analysis/io.py analysis/dictionary.py
ETL_SRC := $(CORE) $(wildcard analysis/etl/*.py analysis/fetch/*.py)
ETL_CFG := config/panel.yaml config/dictionary.yaml config/sources.yaml config/nato_editions.yaml config/country_overrides.csv config/ccode_overrides.csv config/ohist_country_ids.csv
COD_SRC := $(CORE) $(wildcard analysis/coding/*.py)
MOD_SRC := $(CORE) $(wildcard analysis/models/*.py)
REP_SRC := $(CORE) $(wildcard analysis/report/*.py)
CODEBOOK:= $(wildcard data/codebook/*.yaml)
MEASURE := config/measurement.yaml config/reliability.yaml config/source_hosts.yaml $(wildcard data/validation/*.yaml data/audit/*.csv data/double_coding/*.csv data/double_coding/second/*.yaml data/double_coding/round2/*.csv data/double_coding/round2/second/*.yaml)

.DEFAULT_GOAL := help
.PHONY: help all fetch panel code models report render test test-all bench lint format clean validate-codebook

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
$(PROC)/panel.parquet: $(STAMP) $(ETL_SRC) $(ETL_CFG)
	$(PY) -m analysis panel

validate-codebook: $(VENV) ## validate data/codebook/*.yaml
	$(PY) -m analysis validate-codebook

code: $(PROC)/coded_periods.parquet ## code the indicators (codebook + rules tracks)
$(PROC)/coded_periods.parquet: $(PROC)/panel.parquet $(CODEBOOK) $(COD_SRC) $(MEASURE) config/rules.yaml config/dictionary.yaml
	$(PY) -m analysis code

models: reports/models.json ## fit the models
reports/models.json: $(PROC)/coded_periods.parquet $(MOD_SRC) config/models.yaml config/rules.yaml
	$(PY) -m analysis models

report: reports/report.html ## write the report (html, md, tex tables, figures)
reports/report.html: reports/models.json $(REP_SRC) $(CODEBOOK) $(PROC)/coded_periods.parquet data/paper/nato_share_gdp.csv CITATION.cff config/sources.yaml config/rules.yaml
	$(PY) -m analysis report

render: reports/report.html ## render the HTML in headless Chromium to reports/render/page-*.png for review
	@command -v chromium >/dev/null || (apt-get install -y -q chromium poppler-utils >/dev/null || \
	  (echo "render needs Debian's chromium and poppler-utils: apt-get install chromium poppler-utils" && false))
	@command -v pdftoppm >/dev/null || apt-get install -y -q poppler-utils >/dev/null
	$(PY) -m analysis render

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
	rm -rf $(PROC)/*.parquet $(PROC)/*.csv $(PROC)/*.dta $(PROC)/*.json $(PROC)/*.md reports/*.json reports/*.md reports/*.html reports/*.csv reports/model_data reports/tables reports/figures reports/render

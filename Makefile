# Pipeline: fetch -> panel -> code -> models -> report.  `make help` lists the targets.
PY      ?= .venv/bin/python
VENV    := .venv/.installed
PYTHON  ?= python3
LOCK    := requirements.lock
UV_PIN  := uv==0.13.9
INSTALLER ?= uv
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
# Each stage is a fresh interpreter: let it cache compiled modules (__pycache__, git-ignored) so
# pandas, scipy and statsmodels are compiled once, not once per stage, where the environment
# turns the cache off.
unexport PYTHONDONTWRITEBYTECODE
.PHONY: help all fetch panel code models simulate report render test test-fast test-all bench lint format clean validate-codebook replication lock

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

# Install: exact versions from $(LOCK) (hash-checked) with uv, or with pip when uv cannot be had
# (or INSTALLER=pip); then the project itself, editable, without resolving anything again.
$(VENV): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv .venv
	@$(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "error: $(PY) is not Python 3.11, the version $(LOCK) is for: remove .venv, then make PYTHON=/path/to/python3.11" >&2; exit 2; }
	@if [ "$(INSTALLER)" = uv ] && $(PY) -m pip install -q $(UV_PIN); then \
	  echo "$(PY) -m uv pip install -r $(LOCK)"; \
	  $(PY) -m uv pip install -q --python $(PY) --require-hashes -r $(LOCK) && \
	  $(PY) -m uv pip install -q --python $(PY) --no-deps -e . ; \
	else \
	  echo "$(PY) -m pip install -r $(LOCK) (uv not used)"; \
	  $(PY) -m pip install -q --require-hashes -r $(LOCK) && \
	  $(PY) -m pip install -q --no-deps -e . ; \
	fi
	touch $@

lock: ## regenerate requirements.lock from pyproject.toml (LOCK_FLAGS=--upgrade for the newest releases)
	test -x $(PY) || $(PYTHON) -m venv .venv
	@$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install -q $(UV_PIN)
	$(PY) -m uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
	  $(LOCK_FLAGS) -q -o $(LOCK)

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

simulate: reports/simulations.json ## power of the verdict rule; size of the few-cluster tests
reports/simulations.json: reports/models.json $(MOD_SRC) config/models.yaml
	$(PY) -m analysis simulate

report: reports/report.html ## write the report (html, md, tex tables, figures)
reports/report.html: reports/models.json reports/simulations.json $(REP_SRC) $(CODEBOOK) $(PROC)/coded_periods.parquet data/paper/nato_share_gdp.csv CITATION.cff config/sources.yaml config/rules.yaml
	$(PY) -m analysis report

replication: replication.zip ## build replication/ and replication.zip (README in the data editors' form, code, data, report, run_all.sh, MANIFEST.csv)
replication.zip: reports/report.html $(wildcard analysis/*.py analysis/*/*.py analysis/report/templates/*) $(wildcard config/* docs/* docs/*/*) $(CODEBOOK) $(LOCK) pyproject.toml Makefile README.md LICENSE CITATION.cff
	$(PY) -m analysis replication

render: reports/report.html ## render the HTML in headless Chromium to reports/render/page-*.png for review
	@command -v chromium >/dev/null || (apt-get install -y -q chromium poppler-utils >/dev/null || \
	  (echo "render needs Debian's chromium and poppler-utils: apt-get install chromium poppler-utils" && false))
	@command -v pdftoppm >/dev/null || apt-get install -y -q poppler-utils >/dev/null
	$(PY) -m analysis render

test: $(VENV) ## run the test suite (fetches the mirror files if needed)
	$(MAKE) --no-print-directory fetch
	$(PY) -m pytest -q -x --durations=15   # one session: fast tests first, those marked slow last

test-fast: $(VENV) ## only the tests not marked slow
	$(MAKE) --no-print-directory fetch
	$(PY) -m pytest -q -x -m "not slow"

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

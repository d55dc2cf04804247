# The two commands of the README: `make demo` and `make test`. Everything else is set-up they need.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSTEM_STAMP := .system-deps
DEMO   := demo-out
export WENZE_DB ?= sqlite:///wenze.db

.PHONY: demo test lint bench clean system-deps

# Debian packages: CJK fonts for the documents, poppler for PDF checks, chromium for browser tests.
SYSTEM_PACKAGES := fonts-noto-cjk poppler-utils chromium libpango-1.0-0 libpangoft2-1.0-0
system-deps: $(SYSTEM_STAMP)
$(SYSTEM_STAMP):
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
	@touch $@

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]' --config-settings editable_mode=compat
	@touch $@

demo: $(SYSTEM_STAMP) $(STAMP)
	$(BIN)/wenze demo --seed 2026 --out $(DEMO)/exports
	$(BIN)/wenze ingest $(DEMO)/exports/*.jsonl
	$(BIN)/wenze facts stats
	$(BIN)/wenze nightly --out $(DEMO)/documents

test: $(SYSTEM_STAMP) $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/wenze rules check --strict
	$(BIN)/wenze rules test --min-coverage 100
	$(BIN)/pytest -n 2 -q

# `make bench` measures county and city; `make bench BENCH=--province` adds the province.
BENCH ?=
bench: $(STAMP)
	$(BIN)/python bench/scale_bench.py $(BENCH)
	$(BIN)/python bench/evaluate_bench.py
	$(BIN)/python bench/documents_bench.py
	$(BIN)/python bench/impact_bench.py
	$(BIN)/python bench/review_bench.py
	$(BIN)/python bench/kill_bench.py
	$(BIN)/python bench/robustness.py

clean:
	rm -rf $(VENV) $(DEMO) wenze.db $(SYSTEM_STAMP)

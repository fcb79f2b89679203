# srchgen — every target creates what it needs; see README.md.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install site test bench bench-scale serve fuzz clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# CI passes e.g. SITE_FLAGS="--base-url https://org.github.io/repo/" (.github/workflows/pages.yml)
SITE_FLAGS ?=

site: $(STAMP)
	$(BIN)/srchgen build $(SITE_FLAGS)

test: $(STAMP)
	bash scripts/ensure-sandbox-tools.sh
	PYTHON=$(BIN)/python bash scripts/ensure-test-tools.sh
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q
	bash scripts/test-shifted-clock.sh $(BIN)/python

# Issue 5: srchgen against Hugo, Pelican, MkDocs (and Jekyll at N <= 1000) on the same
# generated registry; peers are installed when missing (bench/ensure-peers.sh). See BENCH.md.
BENCH_N ?= 10000
bench: $(STAMP)
	for n in $(BENCH_N); do bench/run.sh $$n || exit 1; done

# srchgen alone at 100,000 records: peak RSS <= 1 GiB, time <= 11 x the 10,000 time
bench-scale: $(STAMP)
	bench/run_scale.sh 100000

serve: $(STAMP)
	$(BIN)/srchgen serve

# Coverage-guided fuzzing of the loader + validation (atheris); outside CI. Crashes land in crash-*.
FUZZ_RUNS ?= 100000
fuzz: $(STAMP)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r fuzz/requirements.txt
	$(BIN)/python fuzz/fuzz_loader.py -runs=$(FUZZ_RUNS) -max_len=65536

clean:
	rm -rf site site.tmp-* site.old-* .srchgen-cache .fuzz-corpus

# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv and install choreo with the tested versions (constraints.txt,
# which pins the CPU build of torch) on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.choreo-installed

.PHONY: demo test lint bench install clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/choreo demo

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check choreo tests bench examples
	$(VENV)/bin/ruff format --check choreo tests bench examples
	$(VENV)/bin/mypy

bench: $(STAMP)
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

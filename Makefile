# The two set-up commands of the README: `make demo` and `make test`.
# Both create .venv, install the project under constraints.txt, then run.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Pins apply to build environments too.
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test bench check install clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt -e ".[test,keras]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/rnn-parity demo

test: $(STAMP)
	$(BIN)/python -m pytest -n auto -q

check: $(STAMP)
	$(BIN)/rnn-parity check

bench: $(STAMP)
	$(BIN)/rnn-parity bench

clean:
	rm -rf $(VENV) build *.egg-info

# Everything runs from a virtual environment in .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("cocreate needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

chat: $(STAMP)  ## talk to the bot in this terminal
	$(BIN)/cocreate chat

test: $(STAMP)  ## the whole suite, in parallel (PostgreSQL tests too when TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest -n auto --dist worksteal

bench: $(STAMP)  ## benchmarks/engine.py on SQLite (add ARGS="--postgres URL")
	$(BIN)/python benchmarks/engine.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache

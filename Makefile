# Two commands for a fresh machine (Python >= 3.11 and make):
#   make run   - install into .venv and start the service with its demo page (http://127.0.0.1:8080/)
#   make test  - install into .venv (with test tools) and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8080
# Runtime dependencies pinned as tested; the image installs with the same file (`make constraints` re-pins).
CONSTRAINTS ?= constraints.txt
# The suite runs on two workers (pytest-xdist): the end-to-end tests mostly wait on the processes they
# start, and on two cores the whole suite took 474 s instead of 663 s. `make test TEST_WORKERS=0` runs it
# in one process.
TEST_WORKERS ?= 2

.PHONY: run test install install-test constraints clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

install: $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --constraint $(CONSTRAINTS) -e .

install-test: $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --constraint $(CONSTRAINTS) -e '.[test]'

run: install
	$(VENV)/bin/bzra-cds serve --host $(HOST) --port $(PORT) --demo

test: install-test
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS)

# Re-pin: a fresh install of this checkout (newest versions its pyproject allows), frozen. Then run
# `make install-test test` so the suite runs on exactly the new pins before they are committed.
constraints:
	rm -rf .constraints-venv
	$(PYTHON) -m venv .constraints-venv
	.constraints-venv/bin/pip install --quiet .
	{ echo "# Runtime dependencies of bzra-cds as tested (make constraints); the image installs with these."; \
	  .constraints-venv/bin/pip freeze --exclude bzra-cds; } > $(CONSTRAINTS)
	rm -rf .constraints-venv

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

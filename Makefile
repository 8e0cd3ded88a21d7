# Two commands for a fresh machine (Python >= 3.11 and make):
#   make run   - install into .venv and start the service with its demo page (http://127.0.0.1:8080/)
#   make test  - install into .venv (with test tools) and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test install install-test clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

install: $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e .

install-test: $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e '.[test]'

run: install
	$(VENV)/bin/bzra-cds serve --host $(HOST) --port $(PORT) --demo

test: install-test
	$(VENV)/bin/pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

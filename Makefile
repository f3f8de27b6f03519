# Two entry points for a fresh clone: `make demo` and `make test`. Each builds .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@# The fake of Google is not in the wheel, so the editable install does not see it either: link it
	@# into the venv for `contest demo --backend google-fake` (pytest finds it through pythonpath).
	ln -sfn "$(CURDIR)/google_fake" "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/google_fake"
	touch $(STAMP)

.PHONY: install demo test test-seconds lint clean
install: $(STAMP)

demo: $(STAMP)
	$(BIN)/contest demo demo

# loadscope: each module's tests on one worker, so a module's whole-edition fixture is built once;
# the ten slowest tests are printed to keep an eye on the suite's time.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadscope --durations=10

# each module's seconds in the last run (pytest's cache) into tests/module_seconds.json: the order a
# fresh clone's first run hands the modules to the workers in (tests/conftest.py)
test-seconds:
	$(BIN)/python -c 'import json, pathlib; d = json.loads(pathlib.Path(".pytest_cache/v/contest/module-seconds").read_text()); pathlib.Path("tests/module_seconds.json").write_text(json.dumps(dict(sorted(d.items())), indent=1) + "\n")'

# ruff (lint and format) over everything, mypy over the product package and the fake of Google (pyproject.toml has both).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) demo workspace

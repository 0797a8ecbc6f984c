# One way to run everything, for people and for CI alike.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements/dev.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck layers bench bench-mlflow bench-anchors clean-venv

$(STAMP): requirements/dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	$(BIN)/mlcycle demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src/mlcycle

layers: $(STAMP)
	$(BIN)/lint-imports

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy src/mlcycle
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/tracking.py
	$(BIN)/python benchmarks/pipelines.py
	$(BIN)/python benchmarks/datasets.py

# Optional: MLflow in its own environment, for the side-by-side figures of benchmarks/tracking.py.
bench-mlflow:
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet "mlflow==3.17.2"

# Optional: ZenML and Prefect in one environment, for the side-by-side figures of benchmarks/pipelines.py.
bench-anchors:
	test -x .venv-anchors/bin/python || $(PYTHON) -m venv .venv-anchors
	.venv-anchors/bin/python -m pip install --quiet --upgrade pip
	.venv-anchors/bin/python -m pip install --quiet "zenml[local]==0.98.0" "prefect==3.9.1" numpy

clean-venv:
	rm -rf $(VENV)

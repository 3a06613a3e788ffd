"""The versions we name are the versions we test, and they are named once: in pyproject.toml.

- The pytorch-lightning floor is the `deck` group's `pytorch-lightning>=X`; the deck's install block
  (and so the notebook's install cell, generated from it) and the README name that same X, and
  `make test-floor` runs the deck with exactly X (tools/matrix.py).
- The oldest Python is `requires-python`; the Makefile reads it from there, the README names it
  (tests/tooling/test_workflow.py, with the workflow's matrix).
- What a reader installs is the `deck` group: the install block (and so the notebook's first cell)
  names every package of it but `torch`, which it leaves to what the reader (or Colab) already has.
- Both package names: the rewrite that `make test-lightning-package` runs leaves no
  `pytorch_lightning` in any block, and changes nothing but the package name.
"""

from __future__ import annotations

import re
import shlex
import tomllib

import nbformat
from packaging.requirements import Requirement

import deck
from deck.paths import DECKS, NOTEBOOK, ROOT
from tools import matrix


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
SPEC = re.compile(r"pytorch-lightning\s*([<>=!~]=?\s*[0-9][0-9.]*)")


def install_block() -> deck.Block:
    blocks = [b for path in DECKS for b in deck.load(path).blocks if b.info in ("sh", "bash") and "pip install" in b.code]
    assert len(blocks) == 1, f"expected one install block in the deck, found {[b.where() for b in blocks]}"
    return blocks[0]


def lower_bounds(text: str) -> list[str]:
    return [m.group(1).replace(" ", "") for m in SPEC.finditer(text)]


def install_cell() -> str:
    return next(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")


def test_the_install_block_the_notebook_and_the_readme_name_pyprojects_floor():
    floor, block = matrix.floor(), install_block()
    assert re.fullmatch(r"\d+\.\d+\.\d+", floor)
    found = lower_bounds(block.code)
    assert found and all(spec == f">={floor}" for spec in found), (
        f"{block.where()}: the install block names pytorch-lightning {found}; pyproject.toml's floor is "
        f">={floor}. Write \"pytorch-lightning>={floor}\" on every line of the block, then make generate.")
    found = lower_bounds(install_cell())
    assert found and all(spec == f">={floor}" for spec in found), f"notebook install cell: {found}"
    found = lower_bounds(README)
    assert found and all(spec == f">={floor}" for spec in found), f"README names pytorch-lightning {found}, not >={floor}"


def installed_by(text: str, prefix: str) -> set[str]:
    """The packages the `pip install` lines of `text` name (comments and options left out)."""
    lines = [line.split("#", 1)[0] for line in text.splitlines() if line.startswith(prefix)]
    return {Requirement(word).name for line in lines for word in shlex.split(line)[2:] if not word.startswith("-")}


def test_the_install_block_and_the_notebook_install_the_deck_group_but_torch():
    deck_group = {Requirement(spec).name for spec in PYPROJECT["dependency-groups"]["deck"]}
    assert {"torch", "matplotlib"} <= deck_group
    block = install_block()
    assert installed_by(block.code, "pip install") == deck_group - {"torch"}, (
        f"{block.where()}: the install block should name every package of pyproject's deck group but torch")
    assert installed_by(install_cell(), "%pip install") == deck_group - {"torch"}, "notebook install cell: make generate"


def test_the_lightning_package_rewrite_changes_only_the_package_name():
    for path in DECKS:
        text = path.read_text(encoding="utf-8")
        rewritten = matrix.to_lightning_package(text)
        assert "pytorch_lightning" not in rewritten
        assert "github.com/Lightning-AI/pytorch-lightning" in rewritten or "Lightning-AI/pytorch-lightning" not in text
    assert matrix.to_lightning_package('pip install "pytorch-lightning>=2.6.1" torchvision\n'
                                       "from pytorch_lightning.loggers import CSVLogger\n") == (
        'pip install "lightning>=2.6.1" torchvision\nfrom lightning.pytorch.loggers import CSVLogger\n')

"""The versions we name are the versions we test, and they are named once: in pyproject.toml (the README's
rule 11). The pytorch-lightning floor is the `deck` group's `pytorch-lightning>=X`, which `make test-floor` runs
(tools/matrix.py); the oldest Python is `requires-python` (tests/tooling/test_workflow.py, with the workflow's
matrix); what a reader installs is the `deck` group but torch, which the reader (or Colab) already has.
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


def install_cell() -> str:
    return next(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")


def test_the_install_block_the_notebook_and_the_readme_name_pyprojects_floor():
    floor, block = matrix.floor(), install_block()
    assert re.fullmatch(r"\d+\.\d+\.\d+", floor)
    named = {f"{block.where()}: the install block": block.code, "the notebook's install cell": install_cell(),
             "README.md": README}
    for where, text in named.items():
        found = [m.group(1).replace(" ", "") for m in SPEC.finditer(text)]
        assert found and all(spec == f">={floor}" for spec in found), (
            f"{where} names pytorch-lightning {found}; pyproject.toml's floor is >={floor}. Write "
            f"\"pytorch-lightning>={floor}\" on every line of the install block and in the README, then make generate.")


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

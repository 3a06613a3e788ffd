"""The notebook is the deck's code, and it runs top to bottom in Jupyter (its drift: tests/test_generate.py)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from deck.paths import DATA, NOTEBOOK

pytestmark = pytest.mark.reads_deck  # the notebook made from the deck


def test_notebook_is_self_contained_and_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[0].startswith("%pip install")
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    assert not any(re.search(r"^from (litmodule|litdatamodule|quick|recorder|rank_report) import", c, re.M) for c in code)
    assert any("class LitModule(pl.LightningModule)" in c for c in code)


def test_the_notebooks_images_are_linked_from_where_it_lies():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    links = [link for c in nb.cells if c.cell_type == "markdown" for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", c.source)]
    assert links and all(link.startswith("slides/figures/") for link in links), links
    assert all((NOTEBOOK.parent / link).is_file() for link in links), links


@pytest.mark.slow
def test_notebook_runs_in_a_kernel_and_reaches_the_accuracy_bar(tmp_path: Path, proven):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    if proven(*(c.source for c in nb.cells if c.cell_type == "code")):  # Markdown cells do not run
        return
    nb.cells.append(new_code_cell('print(f"test_acc={result[0][\'test_acc\']:.4f}")'))
    (tmp_path / "data").symlink_to(DATA, target_is_directory=True)  # the staged MNIST, no download
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    accuracy = float(re.search(r"test_acc=([0-9.]+)", printed).group(1))
    assert accuracy >= 0.98

"""The notebook is the deck's code, generated and unchanged, and it runs top to bottom in Jupyter."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from tools import notebook

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def test_committed_notebook_is_what_the_deck_generates():
    done = subprocess.run([sys.executable, "-m", "tools.notebook", "check"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_hand_edit_in_the_notebook_fails_with_a_diff(tmp_path: Path):
    edited = tmp_path / "edited.ipynb"
    edited.write_text(notebook.NOTEBOOK.read_text(encoding="utf-8").replace("max_epochs=1", "max_epochs=5"))
    cmd = [sys.executable, "-m", "tools.notebook", "check", "--path", str(edited)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert "max_epochs=5" in done.stderr and "max_epochs=1" in done.stderr
    assert "Regenerate with: make notebook" in done.stderr


def test_notebook_is_self_contained_and_has_no_outputs():
    nb = nbformat.read(notebook.NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[0].startswith("%pip install")
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    assert not any(re.search(r"^from (litmodule|litdatamodule|quick|recorder|sampler_report) import", c, re.M) for c in code)
    assert any("class LitModule(pl.LightningModule)" in c for c in code)


def test_notebook_runs_in_a_kernel_and_reaches_the_accuracy_bar(tmp_path: Path):
    nb = nbformat.read(notebook.NOTEBOOK, as_version=4)
    nb.cells.append(new_code_cell('print(f"test_acc={result[0][\'test_acc\']:.4f}")'))
    (tmp_path / "data").symlink_to(DATA, target_is_directory=True)  # the staged MNIST, no download
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    accuracy = float(re.search(r"test_acc=([0-9.]+)", printed).group(1))
    assert accuracy >= 0.98

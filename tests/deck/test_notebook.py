"""The notebook is the deck's code, and it runs top to bottom in Jupyter (its drift: tests/deck/test_generated_current.py).

The run is a reader's: a kernel whose environment has only what Jupyter brings (ipykernel) and what
the notebook's own first cell installs. Its venv is ``.cache/notebook/venv``; a kernelspec in
``.cache/notebook/kernels/`` points at it, and nbclient runs the notebook there (the executed
notebook is kept as ``.cache/notebook/last-run.ipynb``).

- CI (``CI=true``) and ``FRESH=1`` make that venv anew: ipykernel only, checked to have no torch,
  Lightning or matplotlib, so the install cell's ``%pip install`` does all the installing (torch
  comes from pip's cache; ~1.5 min here).
- Otherwise a venv that this very install cell filled earlier is reused (its stamp, written last,
  names the Python, ipykernel and the cell's text): the cell runs again and finds everything there.
  Any other change to the install cell, or a half-made venv, makes it anew.
- Unchanged code cells are not run at all: the test is "cached" (the `proven` fixture, harness/plugin.py).

A fresh run's outputs must show a reader nothing they cannot act on: no "💡 Tip" and no warning
unless it is on ALLOWED below, with the reason it stays.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from deck.paths import CACHE, DATA, NOTEBOOK
from harness import cache
from tests.support.notebook_warnings import ALLOWED


KERNEL_HOME = CACHE / "notebook"
VENV = KERNEL_HOME / "venv"
STAMP = VENV / ".made-by"
KERNEL_NAME = "deck-notebook"
LAST_RUN = KERNEL_HOME / "last-run.ipynb"  # the executed notebook, outputs and all
JUPYTER = "ipykernel"  # what Jupyter itself brings to a kernel; everything else is the install cell's
# What the install cell must bring into the kernel's environment (import names).
INSTALLED_BY_THE_CELL = ["torch", "torchvision", "pytorch_lightning", "matplotlib", "jsonargparse"]

# A line of a cell's output that is a warning or a banner: Python's warning format (`file.py:12: ...`,
# Lightning's own format drops the category), a category name, pip's/logging's level words, Lightning's tips.
WARNING_LINE = re.compile(r"^\s*\S+:\d+: |\w*Warning\b|^(WARNING|ERROR)\b|💡|\bTip:")


def code_cells(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def test_notebook_is_self_contained_and_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = code_cells(nb)
    assert code[0].startswith("%pip install")
    assert not any(re.search(r"^\s*[%!]\s*pip\b", c, re.M) for c in code[1:]), "only the first cell installs"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    assert not any(re.search(r"^from (litmodule|litdatamodule|quick|recorder|rank_report) import", c, re.M) for c in code)
    assert any("class LitModule(pl.LightningModule)" in c for c in code)


def test_the_notebooks_images_are_linked_from_where_it_lies():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    links = [link for c in nb.cells if c.cell_type == "markdown" for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", c.source)]
    assert links and all(link.startswith("slides/figures/") for link in links), links
    assert all((NOTEBOOK.parent / link).is_file() for link in links), links


def warnings_in(nb) -> list[tuple[str, str]]:
    """(cell id, line) for every warning line in the cells' outputs, allowed or not."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.output_type == "stream" else ""
            text += "\n".join(output.get("traceback", []))
            found += [(cell.get("id", "?"), line) for line in text.splitlines() if WARNING_LINE.search(line)]
    return found


def not_allowed(found: list[tuple[str, str]]) -> list[str]:
    return [f"cell {cell}: {line}" for cell, line in found if not any(p.search(line) for p in ALLOWED.values())]


def test_the_warning_check_catches_tips_and_unknown_warnings():
    lines = [("a", "💡 Tip: For seamless cloud logging and experiment tracking, try installing [litlogger]"),
             ("b", "/x/site-packages/torch/utils/_pytree.py:1365: FutureWarning: `isinstance(treespec, LeafSpec)` is deprecated"),
             ("c", "/x/pytorch_lightning/utilities/_pytree.py:21: `isinstance(treespec, LeafSpec)` is deprecated"),
             ("d", "ERROR: pip's dependency resolver does not currently take into account all the packages"),
             ("e", "/x/logger_connector.py:76: Starting from v1.9.0, `tensorboardX` has been removed as a dependency")]
    nb = nbformat.v4.new_notebook(cells=[new_code_cell(id=cell) for cell, _ in lines])
    for cell, (_, line) in zip(nb.cells, lines):
        cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=line + "\n")]
    assert [c for c, _ in warnings_in(nb)] == ["a", "b", "c", "d", "e"]
    assert [line.split(":")[0] for line in not_allowed(warnings_in(nb))] == ["cell a", "cell b", "cell c", "cell d", "cell e"]


def missing_packages(python: Path) -> list[str]:
    code = f"import importlib.util as u; print(' '.join(m for m in {INSTALLED_BY_THE_CELL!r} if u.find_spec(m) is None))"
    return subprocess.check_output([str(python), "-c", code], text=True).split()


def kernel_venv(stamp: str, fresh: bool) -> tuple[Path, bool]:
    """The kernel's venv and whether it is new (ipykernel only, the install cell not yet run in it)."""
    python = VENV / "bin" / "python"
    if not fresh and STAMP.is_file() and STAMP.read_text(encoding="utf-8") == stamp and python.exists():
        return python, False
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", JUPYTER], check=True)
    missing = missing_packages(python)
    assert missing == INSTALLED_BY_THE_CELL, f"the new kernel venv already has {set(INSTALLED_BY_THE_CELL) - set(missing)}"
    return python, True


def kernel_spec(python: Path) -> KernelSpecManager:
    folder = KERNEL_HOME / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (the notebook's own install cell only)", "language": "python",
    }, indent=1) + "\n", encoding="utf-8")
    return KernelSpecManager(kernel_dirs=[str(folder.parent)])


# What earlier runs in this pytest process leave in os.environ and a reader's kernel never has: Lightning
# writes MASTER_ADDR/MASTER_PORT (its DDP launcher, SLURMEnvironment) and PL_GLOBAL_SEED (seed_everything)
# there. Inherited, a MASTER_ADDR of a faked cluster (node0) made the ddp_fork cell wait forever.
RUN_STATE = ("MASTER_ADDR", "MASTER_PORT", "PL_", "WORLD_SIZE", "RANK", "LOCAL_RANK", "NODE_RANK", "GROUP_RANK",
             "SLURM_", "TORCHELASTIC_")


def reader_env(python: Path) -> dict[str, str]:
    """The environment a reader's Jupyter gives the kernel: this venv first on PATH, nothing of .venv."""
    ours = str(Path(sys.executable).parent)
    path = [str(python.parent)] + [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != ours]
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "MPLBACKEND") and not k.startswith(RUN_STATE)}
    return env | {"PATH": os.pathsep.join(path)}


@pytest.mark.slow
def test_notebook_runs_in_a_fresh_kernel_with_only_its_install_cell(tmp_path: Path, proven):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    install = code_cells(nb)[0]
    stamp = json.dumps({"python": sys.version, "jupyter": JUPYTER, "install cell": install})
    if proven(stamp, *code_cells(nb)):  # Markdown cells do not run
        return
    python, new = kernel_venv(stamp, fresh=cache.fresh())
    nb.cells.append(new_code_cell('import sys\nprint(f"test_acc={result[0][\'test_acc\']:.4f} prefix={sys.prefix}")'))
    (tmp_path / "data").symlink_to(DATA, target_is_directory=True)  # the staged MNIST, no download
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=kernel_spec(python))
    client = NotebookClient(nb, km=km, timeout=900, resources={"metadata": {"path": str(tmp_path)}})
    try:
        with client.setup_kernel(env=reader_env(python)):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                client.execute_cell(cell, index)
                if cell.source == install:
                    assert missing_packages(python) == [], "the install cell did not install everything the notebook imports"
                    if new:
                        STAMP.write_text(stamp, encoding="utf-8")  # last: a venv without it is made anew
    finally:
        nbformat.write(nb, LAST_RUN)  # what the reader would see, to read after a failure
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    accuracy, prefix = re.search(r"test_acc=([0-9.]+) prefix=(.+)", printed).groups()
    assert Path(prefix) == VENV, f"the notebook ran in {prefix}, not in the kernel venv"
    assert float(accuracy) >= 0.98
    problems = not_allowed(warnings_in(nb))
    assert not problems, "a fresh run shows what a reader cannot act on (silence it in the deck, or allow it " \
                         "with its reason in tests/deck/test_notebook.py):\n" + "\n".join(problems)

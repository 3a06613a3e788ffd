"""The notebook teaches alone and runs top to bottom in Jupyter (the README, The notebook; its drift:
tests/deck/test_generated_current.py).

What the generator promises a reader without the talk (tools/notebook.py) is held statically here. The run's
venv is ``.cache/notebook/venv``, a kernelspec in ``.cache/notebook/kernels/`` points at it, and the executed
notebook is kept as ``.cache/notebook/last-run.ipynb``. CI (``CI=true``) and ``FRESH=1`` make that venv anew;
otherwise a venv that this very install cell filled earlier is reused (its stamp, written last, names the
Python, ipykernel and the cell's text): the cell runs again and finds everything there. Unchanged code cells
are not run at all: the test is "cached" (the `proven` fixture, harness/plugin.py).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from markdown_it import MarkdownIt
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import deck
from deck.paths import CACHE, DATA, DECKS, NOTEBOOK
from harness import cache
from tests.support.notebook_warnings import ALLOWED
from tools import matrix, notebook


KERNEL_HOME = CACHE / "notebook"
VENV = KERNEL_HOME / "venv"
STAMP = VENV / ".made-by"
KERNEL_NAME = "deck-notebook"
LAST_RUN = KERNEL_HOME / "last-run.ipynb"  # the executed notebook, outputs and all
JUPYTER = "ipykernel"  # what Jupyter itself brings to a kernel
PREINSTALLED = "torch"  # with what it requires: Colab's runtime has it (the install slide's claim)
# What the install cell must bring into the kernel's environment (import names).
INSTALLED_BY_THE_CELL = ["torchvision", "pytorch_lightning", "matplotlib", "jsonargparse"]

# A line of a cell's output that is a warning or a banner: Python's warning format (`file.py:12: ...`,
# Lightning's own format drops the category), a category name, pip's/logging's level words, Lightning's tips.
WARNING_LINE = re.compile(r"^\s*\S+:\d+: |\w*Warning\b|^(WARNING|ERROR)\b|💡|\bTip:")


# Warnings a script started from a %%bash cell may show as well, and why each stays. Such a script
# (``python train.py fit --config config.yaml``) is a new Python process, as in a terminal: the display
# cell (付録：表示を整える) sets up the kernel only, so the script shows what that slide silences.
ALLOWED_IN_SCRIPTS = {
    # Lightning's advertisement; 付録：表示を整える says what it is and how a script drops it.
    "Lightning's Tip (付録：表示を整える)": re.compile(r"💡 Tip: "),
    # torch's deprecation, raised in Lightning 2.6.6's own code (付録：表示を整える).
    "LeafSpec in Lightning's own code (付録：表示を整える)": re.compile(
        r"pytorch_lightning/utilities/_pytree\.py:\d+: `isinstance\(treespec, LeafSpec\)` is deprecated"),
    # The CLI slide shortens the run for the notebook (--trainer.limit_train_batches=0.05: 21 steps an
    # epoch, under the default interval of 50 steps), and Lightning says that no train_loss is logged.
    # A reader whose own data set is small sees the same line and can act on it (log_every_n_steps).
    # When the deck's CLI config sets the interval, this entry goes.
    "the CLI slide's short epoch": re.compile(
        r"The number of training batches \(\d+\) is smaller than the logging interval Trainer\(log_every_n_steps=\d+\)"),
    # `cli.py test --config config.yaml --ckpt_path <the run's best.ckpt>` (付録：LightningCLI（3/3）): the config's
    # ModelCheckpoint now belongs to the test run's own version folder, so Lightning says it reloads only
    # best_model_path of the fit's callback state; a test needs none of it. A reader who tests this way sees it.
    "testing a run's checkpoint with its config (付録：LightningCLI（3/3）)": re.compile(
        r"The dirpath has changed from '.*/lightning_logs/version_\d+/checkpoints' to "
        r"'.*/lightning_logs/version_\d+/checkpoints', therefore `best_model_score`"),
}


def sources(nb, cell_type: str) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == cell_type]


def test_notebook_is_self_contained_and_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = sources(nb, "code")
    assert code[0].startswith("%pip install")
    assert not any(re.search(r"^\s*[%!]\s*pip\b", c, re.M) for c in code[1:]), "only the first cell installs"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")


def model() -> deck.Deck:
    return deck.load(DECKS[0])


WRITEFILE = re.compile(r"%%writefile( -a)? (\S+)\n")


def test_every_module_is_written_piece_by_piece_before_its_first_use():
    """%%writefile NAME, then %%writefile -a NAME per continued piece, byte for byte the deck's pieces; no
    cell uses the module before its last piece is written (the kernel would keep a half module imported)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = sources(nb, "code")
    modules = [b for b in model().blocks if b.is_module]
    assert modules
    for block in modules:
        name = block.name.removesuffix(".py")
        at = [i for i, c in enumerate(code) if (m := WRITEFILE.match(c)) and m.group(2) == block.name]
        assert [WRITEFILE.match(code[i]).group(1) for i in at] == [None] + [" -a"] * (len(block.pieces) - 1), block.name
        assert [WRITEFILE.sub("", code[i], count=1) + "\n" for i in at] == [p.code for p in block.pieces], block.name
        users = [i for i, c in enumerate(code)
                 if not WRITEFILE.match(c) and re.search(rf"^\s*(from|import) {name}\b|\b{name}\.py\b", c, re.M)]
        assert all(i > at[-1] for i in users), f"{block.name}: used before its last piece is written"


def rendered(source: str) -> str:
    """The words a Markdown cell shows (CommonMark, as Jupyter renders it), whitespace collapsed."""
    html_text = re.sub(r"<[^>]+>", " ", MarkdownIt("commonmark").render(source))
    return " ".join(html.unescape(html_text).split())


def test_every_slide_with_notes_has_its_explanation_cell_showing_the_notes_as_written():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    explanations = [rendered(c) for c in sources(nb, "markdown") if c.startswith(notebook.EXPLANATION)]
    slides = [s for s in model().slides if s.notes]
    assert slides and len(explanations) == len(slides)
    for slide in slides:
        text = " ".join(" ".join(note.text for note in slide.notes).split())
        assert f"{rendered(notebook.EXPLANATION)} {text}" in explanations, f"slide {slide.number}「{slide.title}」"


def test_a_note_shows_as_written():
    note = 'if __name__ == "__main__": の下、a*b*c、<br>、[1](x)、`x`、\\n'
    assert rendered(notebook.plain(note)) == " ".join(note.split())


def test_every_expected_output_follows_its_block():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    sources = [c.source for c in nb.cells]
    blocks = [b for b in model().blocks if b.expected_output is not None]
    assert blocks and sum(s.startswith(notebook.EXPECTED) for s in sources) == len(blocks)
    for block in blocks:
        shown = f"{notebook.EXPECTED}\n\n```text\n{block.expected_output}```"
        assert shown in sources, block.name
        before = sources[sources.index(shown) - 1]
        assert block.pieces[-1].code.strip() in before, f"{block.name}: its expected output is not after its code"


def test_the_notebooks_figures_are_embedded_and_are_the_decks():
    """Colab resolves no path next to the notebook and no cell attachment: each figure is a data: URI
    holding the very bytes of the deck's figure."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    links = [m.groups() for c in sources(nb, "markdown") for m in re.finditer(r"!\[([^\]]*)\]\(([^)]+)\)", c)]
    images = {i.alt: i.src for s in model().slides for i in s.images}
    assert links and len(links) == len(images), links
    for alt, link in links:
        mime, data = re.fullmatch(r"data:(image/[\w+]+);base64,(\S+)", link).groups()
        assert base64.b64decode(data) == (DECKS[0].parent / images[alt]).read_bytes(), images[alt]


def test_only_blocks_that_need_the_repositorys_rehearsal_tools_are_shown_without_running():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    shown = [c.id for c in nb.cells if c.cell_type == "markdown" and c.id.startswith("code-")]
    needs = [b for b in model().blocks if b.info != "python" and notebook.rehearsal_script(b.code)]
    assert needs and len(shown) == len(needs), shown
    for block in needs:
        cell = next(c for c in nb.cells if c.get("id") == notebook.cell_id("code", block.name, {}))
        assert cell.cell_type == "markdown" and f"tools/rehearsal/{notebook.rehearsal_script(block.code)}" in cell.source


def not_allowed(nb) -> list[str]:
    """Each warning line in the cells' outputs that no pattern allows; in a %%bash cell (a script's own
    process), ALLOWED_IN_SCRIPTS too."""
    found = []
    for cell in nb.cells:
        patterns = [*ALLOWED.values(), *(ALLOWED_IN_SCRIPTS.values() if cell.source.startswith("%%bash") else ())]
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.output_type == "stream" else ""
            text += "\n".join(output.get("traceback", []))
            found += [f"cell {cell.get('id', '?')}: {line}" for line in text.splitlines()
                      if WARNING_LINE.search(line) and not any(p.search(line) for p in patterns)]
    return found


def test_the_warning_check_catches_tips_and_unknown_warnings():
    lines = [("a", "💡 Tip: For seamless cloud logging and experiment tracking, try installing [litlogger]"),
             ("b", "/x/site-packages/torch/utils/_pytree.py:1365: FutureWarning: `isinstance(treespec, LeafSpec)` is deprecated"),
             ("c", "/x/pytorch_lightning/utilities/_pytree.py:21: `isinstance(treespec, LeafSpec)` is deprecated"),
             ("d", "ERROR: pip's dependency resolver does not currently take into account all the packages"),
             ("e", "/x/logger_connector.py:76: Starting from v1.9.0, `tensorboardX` has been removed as a dependency")]
    nb = nbformat.v4.new_notebook(cells=[new_code_cell(id=cell) for cell, _ in lines])
    for cell, (_, line) in zip(nb.cells, lines):
        cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=line + "\n")]
    assert [line.split(":")[0] for line in not_allowed(nb)] == ["cell a", "cell b", "cell c", "cell d", "cell e"]
    # A script's own process (%%bash) shows the Tip and Lightning's LeafSpec warning; nothing else unknown.
    for cell in nb.cells:
        cell.source = "%%bash\npython train.py"
    assert [line.split(":")[0] for line in not_allowed(nb)] == ["cell b", "cell d", "cell e"]


def stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stdout")


def printed_as_expected(nb) -> list[str]:
    """Each code cell followed by 「期待される出力」, whose printed text is not that output."""
    wrong = []
    for cell, shown in zip(nb.cells, nb.cells[1:]):
        if cell.cell_type == "code" and shown.source.startswith(notebook.EXPECTED):
            expected = re.search(r"```text\n(.*)```", shown.source, re.S).group(1)
            if stdout(cell) != expected:
                wrong.append(f"cell {cell.id}: printed {stdout(cell)!r}, the notebook shows {expected!r}")
    return wrong


def test_the_expected_output_check_compares_what_the_cell_printed():
    nb = nbformat.v4.new_notebook(cells=[new_code_cell(id="a"), nbformat.v4.new_markdown_cell(
        f"{notebook.EXPECTED}\n\n```text\n5\n```")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stderr", text="5\n")]
    assert printed_as_expected(nb) == ["cell a: printed '', the notebook shows '5\\n'"]
    nb.cells[0].outputs.append(nbformat.v4.new_output("stream", name="stdout", text="5\n"))
    assert printed_as_expected(nb) == []


def missing_packages(python: Path) -> list[str]:
    code = f"import importlib.util as u; print(' '.join(m for m in {INSTALLED_BY_THE_CELL!r} if u.find_spec(m) is None))"
    return subprocess.check_output([str(python), "-c", code], text=True).split()


def with_requirements(name: str) -> list[metadata.Distribution]:
    """The distribution `name` of this venv and every one it requires, transitively."""
    found, todo = {}, [name]
    while todo:
        dist = metadata.distribution(todo.pop())
        if canonicalize_name(dist.name) not in found:
            found[canonicalize_name(dist.name)] = dist
            todo += [r.name for r in map(Requirement, dist.requires or [])
                     if r.marker is None or r.marker.evaluate({"extra": ""})]
    return list(found.values())


def preinstall(site: Path) -> None:
    """PREINSTALLED and what it requires, file by file as hard links to .venv's (copies across file systems):
    a pip that uninstalls one removes the link, never .venv's file. Console scripts (``torchrun``) stay out."""
    for dist in with_requirements(PREINSTALLED):
        for file in (f for f in dist.files if f.parts[0] != ".." and not (site / f).exists()):
            (site / file).parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(dist.locate_file(file), site / file)
            except OSError:
                shutil.copy2(dist.locate_file(file), site / file)


def kernel_venv(stamp: str, fresh: bool) -> tuple[Path, bool]:
    """The kernel's venv and whether it is new (ipykernel and torch, the install cell not yet run in it)."""
    python = VENV / "bin" / "python"
    if not fresh and STAMP.is_file() and STAMP.read_text(encoding="utf-8") == stamp and python.exists():
        return python, False
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    preinstall(matrix.site_packages(python))
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
    install = sources(nb, "code")[0]
    stamp = json.dumps({"python": sys.version, "jupyter": JUPYTER, "install cell": install})
    if proven(stamp, *sources(nb, "code")):  # Markdown cells do not run
        return
    python, new = kernel_venv(stamp, fresh=cache.fresh())
    nb.cells.append(new_code_cell('import sys\nprint(f"prefix={sys.prefix}")'))
    (tmp_path / "data").symlink_to(DATA, target_is_directory=True)  # the staged MNIST, no download
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=kernel_spec(python))
    client = NotebookClient(nb, km=km, timeout=900, resources={"metadata": {"path": str(tmp_path)}},
                            coalesce_streams=True)  # one stdout and one stderr per cell, as Jupyter shows them
    cli_checkpoints = {}  # a %%bash cell that runs train.py -> the checkpoints that appeared while it ran
    try:
        with client.setup_kernel(env=reader_env(python)):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                before = set(tmp_path.rglob("*.ckpt"))
                client.execute_cell(cell, index)
                if cell.source.startswith("%%bash") and re.search(r"\btrain\.py\b", cell.source):
                    cli_checkpoints[cell.id] = sorted(set(tmp_path.rglob("*.ckpt")) - before)
                if cell.source == install:
                    assert missing_packages(python) == [], "the install cell did not install everything the notebook imports"
                    torch = subprocess.check_output([python, "-c", "import torch; print(torch.__file__)"], text=True)
                    assert os.path.samefile(torch.strip(), metadata.distribution("torch").locate_file("torch/__init__.py")), \
                        "the install cell reinstalled torch, which Colab already has"
                    if new:
                        STAMP.write_text(stamp, encoding="utf-8")  # last: a venv without it is made anew
    finally:
        nbformat.write(nb, LAST_RUN)  # what the reader would see, to read after a failure
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    prefix = re.search(r"prefix=(.+)", printed).group(1)
    assert Path(prefix) == VENV, f"the notebook ran in {prefix}, not in the kernel venv"
    bar = next(c for c in nb.cells if c.cell_type == "code" and 'print("正解率 98% 以上:"' in c.source)
    assert "".join(o.get("text", "") for o in bar.outputs) == "正解率 98% 以上: True\n"  # the real MNIST fit's bar
    assert printed_as_expected(nb) == [], "a cell did not print what the notebook says it prints (see LAST_RUN)"
    for block in (b for b in model().blocks if b.is_module):
        assert (tmp_path / block.name).read_text(encoding="utf-8") == block.code, f"%%writefile wrote another {block.name}"
    assert cli_checkpoints and all(cli_checkpoints.values()), f"the CLI cell wrote no checkpoint: {cli_checkpoints}"
    problems = not_allowed(nb)
    assert not problems, "a fresh run shows what a reader cannot act on (silence it in the deck, or allow it " \
                         "with its reason in tests/deck/test_notebook.py):\n" + "\n".join(problems)

"""Running a deck block as a reader would (as a script, in the reader's folder, with the reader's PATH), and
saying where it failed: its slide and deck line, also inside a ``snippets/`` module it imports or in a later
piece of a continued block."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import NoReturn

import pytest
import pytest_codeblocks.plugin

import deck
from deck.model import MODULE_HEADER
from deck.paths import DATA, ROOT
from harness import cache
from tools import mnist_data, snippets

REHEARSAL = ROOT / "tools" / "rehearsal"  # two_nodes.sh and slurm_cluster.sh, which the cluster blocks source


def exec_as_script(code: str, namespace: dict) -> None:
    """Run a block as a reader runs it: as a script, where `if __name__ == "__main__":` holds; a
    module block (``# train.py``) as its import would, under its own name, so a module's guarded
    part (``LightningCLI`` in ``train.py``) runs only where a later block runs the file."""
    header = MODULE_HEADER.match(code.split("\n", 1)[0])
    namespace.setdefault("__name__", header.group(1).removesuffix(".py") if header else "__main__")
    exec(code, namespace)


def patch_pytest_codeblocks() -> None:
    """The harness's one patch of pytest-codeblocks. Its ``TestBlock.runtest`` (0.18) runs a python block
    with ``exec(code, {"__MODULE__": "__main__"})``: no ``__name__`` in the namespace, which then means
    "builtins", so ``if __name__ == "__main__":`` never holds. The call finds ``exec`` in the plugin
    module's globals before the builtins, so a module-level name ``exec`` there replaces it for that
    call alone. tests/tooling/test_harness.py runs upstream's ``runtest`` and fails the day it no longer
    reaches this function (a renamed call, a runner of its own, or the typo fixed upstream)."""
    pytest_codeblocks.plugin.exec = exec_as_script


def set_up_the_readers_machine() -> None:
    patch_pytest_codeblocks()
    # One torch thread in every process of the run (this one, the blocks' scripts, the notebook's kernel): a
    # fit's numbers then do not depend on the machine's core count (on 2 threads `python train.py` tests
    # another test_acc than on 1), so a figure recorded on 2 cores compares on 16; and the two xdist
    # workers do not fight over the cores (the fit alone here: 45 s on 2 threads, 50 s on 1).
    os.environ["OMP_NUM_THREADS"] = "1"
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    # `pip`/`python` in sh blocks are this venv's; `source two_nodes.sh` (or slurm_cluster.sh) finds its script.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(REHEARSAL), os.environ.get("PATH", "")])
    os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")


def check_the_readers_setup() -> None:
    """Before the first block: the staged MNIST, and a pip of this venv for the deck's install block."""
    bad = mnist_data.problems(DATA)
    if bad:
        pytest.exit("MNIST is not staged correctly:\n" + "\n".join(bad) + "\nRepair with: make data", 1)
    pip = shutil.which("pip")  # what the deck's install block runs (this venv's bin/ is first on PATH)
    if pip is None or Path(pip).parent != Path(sys.executable).parent:
        pytest.exit(f"error: this venv ({Path(sys.executable).parent.parent}) has no pip, so the deck's install block "
                    f"would run {pip or 'no pip at all'} and install into another Python (a uv venv has none): "
                    f"uv pip install --python {sys.executable} pip", 2)


class ReaderFolder:
    """The scratch folder, as the reader's: MNIST under data/, and the deck's modules saved as files (so a shell
    block can run ``torchrun train.py``); Lightning's ``lightning_logs/`` lands there, not in the source tree."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.decks: set[Path] = set()  # decks whose modules are files in it

    def for_deck(self, model: deck.Deck) -> Path:
        if self.path is None:
            self.path = Path(tempfile.mkdtemp(prefix="deck-run-"))
            (self.path / "data").symlink_to(DATA, target_is_directory=True)
        if model.path not in self.decks:
            for block in model.blocks:
                if block.is_module:
                    (self.path / block.name).write_text(block.file_text, encoding="utf-8")
            self.decks.add(model.path)
        return self.path

    def remove(self) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
        self.path, self.decks = None, set()


def cluster_why_not(script: str) -> str:
    """Why tools/rehearsal/SCRIPT (two_nodes.sh, slurm_cluster.sh) cannot make its nodes here (no root, no
    CAP_SYS_ADMIN, no Slurm packages), or ""."""
    done = subprocess.run(["bash", str(REHEARSAL / script), "--why-not"], capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip()


def without_cluster(script: str, why: str) -> NoReturn:
    """A cluster block or test where its nodes cannot start: in CI (CI=true) it fails, since CI vouches that
    every block ran; elsewhere it is skipped. Its one-line reason either way."""
    if cache.flag("CI"):
        pytest.fail(f"{script} cannot start its nodes, and CI runs every cluster block: {why}", pytrace=False)
    pytest.skip(f"{script} cannot start its nodes here: {why}")


def explain(block: deck.Block, error: BaseException) -> str:
    """Where in the deck the block failed, and the original error (pytest-codeblocks wraps it in a
    RuntimeError with the block's code; the error raised inside is its ``__context__``)."""
    if isinstance(error, RuntimeError) and error.__context__:
        error = error.__context__
    lines = [f"{block.where()}: this code block failed"]
    # The innermost frame that is deck code: this block itself, or a snippets/ module it imports.
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename == "<string>":
            owner, line = block, block.deck_line(frame.lineno)
        elif owner := snippets.locate(frame.filename):
            line = owner.deck_line(frame.lineno, in_file=True)
        else:
            continue
        lines.append(f"{owner.deck.where(line)}: {owner.deck.line_text(line).strip()}")
        break
    lines += traceback.format_exception_only(type(error), error)
    if isinstance(error, subprocess.CalledProcessError):
        lines += [f"stdout:\n{error.stdout.decode(errors='replace')}", f"stderr:\n{error.stderr.decode(errors='replace')}"]
    return "\n".join(line.rstrip("\n") for line in lines)

"""Run the deck's code blocks the way a reader would, and report failures by slide.

pytest-codeblocks collects every ```python/```sh/```bash block of ``slides/*.md``. This file
- runs python blocks with ``__name__ == "__main__"``, as ``python block.py`` would;
- puts this interpreter's ``bin/`` first on PATH, so ``pip``/``python`` in sh blocks are the venv's;
- runs the blocks in one scratch folder (Lightning writes ``lightning_logs/`` into the working
  directory) that holds a ``data`` link to the staged MNIST, so nothing lands in the source tree;
- checks the staged MNIST once before the first block, naming any bad file and ``make data``;
- prefixes a failing block's report with its slide number, title and the deck line that failed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import pytest
import pytest_codeblocks.plugin
from pytest_codeblocks.plugin import TestBlock

from tools import mnist_data, snippets

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"

os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")


def _exec_as_script(code: str, namespace: dict) -> None:
    """Run a block as a reader runs it: as a script, where `if __name__ == "__main__":` holds.
    pytest-codeblocks 0.18 execs without `__name__`, which then means "builtins"."""
    namespace.setdefault("__name__", "__main__")
    exec(code, namespace)


pytest_codeblocks.plugin.exec = _exec_as_script  # the plugin's only call to exec


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(isinstance(item, TestBlock) for item in session.items):
        bad = mnist_data.problems(DATA)
        if bad:
            pytest.exit("MNIST is not staged correctly:\n" + "\n".join(bad) + "\nRepair with: make data", 1)


_workdir: dict[str, Path] = {}  # the scratch folder, made at the first block


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if not isinstance(item, TestBlock):
        yield
        return
    if "path" not in _workdir:
        _workdir["path"] = Path(tempfile.mkdtemp(prefix="deck-run-"))
        (_workdir["path"] / "data").symlink_to(DATA, target_is_directory=True)
    previous = os.getcwd()
    os.chdir(_workdir["path"])
    try:
        yield
    finally:
        os.chdir(previous)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "path" in _workdir:
        shutil.rmtree(_workdir.pop("path"), ignore_errors=True)


def _find_block(item: TestBlock) -> snippets.Block | None:
    for block in snippets.read_blocks(Path(item.path)):
        if block.first.fence_line == item.obj.lineno:
            return block
    return None


def _explain(block: snippets.Block, error: BaseException) -> str:
    """Where in the deck the block failed, and the original error (pytest-codeblocks drops it)."""
    lines = [f"{block.first.where()}: this code block failed"]
    # The innermost frame that is deck code: this block itself, or a snippets/ module it imports.
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename == "<string>":
            where = block.deck_line(frame.lineno)
        else:
            where = snippets.locate(frame.filename, frame.lineno)
        if where:
            piece, line = where
            text = piece.deck.read_text(encoding="utf-8").splitlines()[line - 1].strip()
            lines.append(f"{piece.where(line)}: {text}")
            break
    lines += traceback.format_exception_only(type(error), error)
    if isinstance(error, subprocess.CalledProcessError):
        lines += [f"stdout:\n{error.stdout.decode(errors='replace')}", f"stderr:\n{error.stderr.decode(errors='replace')}"]
    return "\n".join(line.rstrip("\n") for line in lines)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if not (isinstance(item, TestBlock) and report.failed and call.excinfo):
        return
    block = _find_block(item)
    if block is not None:
        error = call.excinfo.value
        original = error.__context__ if isinstance(error, RuntimeError) and error.__context__ else error
        report.longrepr = f"{_explain(block, original)}\n\n{report.longrepr}"

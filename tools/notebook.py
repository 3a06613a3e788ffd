"""The deck as a Jupyter notebook: PyTorchLightningExampleOnMNIST.ipynb.

Many readers run the code in Jupyter or Colab, not in a terminal. The notebook is generated from
the deck (`make generate`), so it cannot drift either: a first cell with the install line, then per
slide a Markdown cell (its text, no speaker notes) and the slide's code in deck order. Modules
(``# litmodule.py``) are inlined as cells, so the ``from litmodule import ...`` lines are dropped;
a module continued over several slides becomes one cell after its last slide, or earlier, just
before the first cell that imports it (the demo Trainer of quick.py is on an appendix slide). A
block marked ``<!-- notebook: first -->`` (set-up shown in the appendix) runs right after the
install cell. Blocks the deck
does not run are shown as Markdown code, and expected outputs are left to the run. So are the
blocks that belong in a terminal: a script module (``if __name__ == "__main__":``, such as
``train.py`` with ``LightningCLI``, which would parse the kernel's own arguments) and every shell
block but the install line (``torchrun train.py`` needs the modules saved as files).

Cell ids come from block names and slide titles, never positions: inserting a slide renumbers
nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import deck
from deck.paths import NOTEBOOK


def shell_cell(code: str) -> str:
    """A shell block as notebook code: `%pip` installs into the kernel's own environment."""
    lines = []
    for line in code.splitlines():
        if line.startswith("pip "):
            lines.append(f"%{line}")
        elif line.strip() and not line.lstrip().startswith("#"):
            lines.append(f"!{line}")
        else:
            lines.append(line)
    return "\n".join(lines)


def python_cell(code: str, modules: set[str]) -> str:
    """A Python block with the imports of the deck's own modules removed (they are cells above)."""
    own = re.compile(rf"^from ({'|'.join(map(re.escape, sorted(modules)))}) import .*\n", re.M)
    code = own.sub("", code) if modules else code
    return re.sub(r"\n{4,}", "\n\n\n", code).strip("\n")  # at most two blank lines, as PEP 8


def cell_id(kind: str, name: str, seen: dict[str, int]) -> str:
    """A stable nbformat id (at most 64 of [A-Za-z0-9-_]) from a block name or slide title."""
    base = f"{kind}-" + (re.sub(r"[^A-Za-z0-9_-]", "-", name) if kind == "code"
                         else hashlib.sha1(name.encode()).hexdigest()[:10])
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


# An image link relative to the deck (figures/x.svg), which the notebook, one folder up, must prefix.
RELATIVE_IMAGE = re.compile(r"(!\[[^\]]*\]\()(?![a-z][a-z0-9+.-]*:|/|#)", re.I)
MAIN_GUARD = re.compile(r"^if __name__ == [\"']__main__[\"']:", re.M)


def for_terminal(block: deck.Block) -> bool:
    """A block a reader runs in a terminal, not in a kernel (the install block excepted by the caller)."""
    return block.info in ("sh", "bash") or bool(block.is_module and MAIN_GUARD.search(block.code))


def build(path: Path) -> nbformat.NotebookNode:
    model = deck.load(path)
    by_module = {b.name.removesuffix(".py"): b for b in model.blocks if b.is_module}  # import name -> its block
    modules = set(by_module)
    after_slide: dict[int, list[deck.Block]] = {}
    for block in model.blocks:
        after_slide.setdefault(block.pieces[-1].slide.number, []).append(block)

    seen: dict[str, int] = {}
    placed: set[str] = set()  # modules whose cell is already in (before their first import, or in place)

    def code_cells(block: deck.Block) -> list:
        """The block's cell, after the cells of the deck modules it imports that are not placed yet."""
        cells = []
        for name in re.findall(r"^(?:from|import) (\w+)", block.code, re.M):
            if name in by_module and name not in placed and by_module[name] is not block:
                placed.add(name)
                cells += code_cells(by_module[name])
        if block.is_module:
            placed.add(block.name.removesuffix(".py"))
        return cells + [new_code_cell(python_cell(block.file_text, modules), id=cell_id("code", block.name, seen))]

    folder = Path(os.path.relpath(path.resolve().parent, NOTEBOOK.parent)).as_posix()  # the deck's, seen from the notebook
    install = next((b for b in model.blocks if b.info in ("sh", "bash") and "pip install" in b.code), None)
    cells = [new_code_cell(shell_cell(install.code), id=cell_id("code", install.name, seen))] if install else []
    for block in (b for b in model.blocks if b.notebook_first):
        cells += code_cells(block)
    for slide in model.slides:
        if text := slide.prose.strip():
            text = RELATIVE_IMAGE.sub(rf"\g<1>{folder}/", text)
            cells.append(new_markdown_cell(text, id=cell_id("md", slide.title or text, seen)))
        for block in after_slide.get(slide.number, []):
            if block is install or block.notebook_first or (block.is_module and block.name.removesuffix(".py") in placed):
                continue
            if block.skipped:
                source = f"（実行しないコード）\n\n```{block.info}\n{block.code}```"
                cells.append(new_markdown_cell(source, id=cell_id("code", block.name, seen)))
            elif for_terminal(block):
                source = f"（ターミナルで実行するコード。ノートブックでは実行しない）\n\n```{block.info}\n{block.file_text}```"
                cells.append(new_markdown_cell(source, id=cell_id("code", block.name, seen)))
            elif block.info == "python":
                cells += code_cells(block)
            else:
                cells.append(new_code_cell(shell_cell(block.code), id=cell_id("code", block.name, seen)))
    return new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })


def text(path: Path) -> str:
    return nbformat.writes(build(path)) + "\n"

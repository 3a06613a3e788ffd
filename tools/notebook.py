"""Write the deck as a Jupyter notebook: PyTorchLightningExampleOnMNIST.ipynb.

Many readers run the code in Jupyter or Colab, not in a terminal. The notebook is generated from
the deck, so it cannot drift either: a first cell with the install line, then per slide a
Markdown cell (heading and text, no speaker notes) and the slide's code in deck order. Modules
(``# litmodule.py``) are inlined as cells, so the ``from litmodule import ...`` lines are dropped;
a module continued over several slides becomes one cell after its last slide. Blocks the deck
does not run (GPU cluster) are shown as Markdown code, and expected outputs are left to the run.

    python -m tools.notebook write   # (re)write the notebook
    python -m tools.notebook check   # exit 1 with a diff when the committed notebook differs
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import snippets
from tools.generated import unified_diff, write_atomically

ROOT = snippets.ROOT
NOTEBOOK = ROOT / "PyTorchLightningExampleOnMNIST.ipynb"
DECK = ROOT / "slides" / "pytorch-lightning.md"
FIX = "make notebook"
COMMENT = re.compile(r"<!--.*?-->\n?", re.S)


def markdown(slide: snippets.Slide) -> str:
    """The slide's text without comments (directives, markers, speaker notes)."""
    text = COMMENT.sub("", "".join(slide.prose))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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
    own = re.compile(rf"^from ({'|'.join(map(re.escape, modules))}) import .*\n", re.M)
    code = own.sub("", code) if modules else code
    return re.sub(r"\n{4,}", "\n\n\n", code).strip("\n")  # at most two blank lines, as PEP 8


def build(deck: Path = DECK) -> nbformat.NotebookNode:
    slides, _ = snippets.read_deck(deck)
    blocks = snippets.read_blocks(deck)
    modules = {b.name.removesuffix(".py") for b in blocks if not b.name.startswith("slide")}
    after_slide: dict[int, list[snippets.Block]] = {}
    for block in blocks:
        after_slide.setdefault(block.pieces[-1].slide, []).append(block)

    install = [b for b in blocks if b.first.info in ("sh", "bash") and "pip install" in b.code]
    cells = [new_code_cell(shell_cell(install[0].code))] if install else []
    for slide in slides:
        if text := markdown(slide):
            cells.append(new_markdown_cell(text))
        for block in after_slide.get(slide.number, []):
            if block in install:
                continue
            if any("skip" in mark for mark in block.first.marks):
                cells.append(new_markdown_cell(f"（実行しないコード）\n\n```{block.first.info}\n{block.code}```"))
            elif block.first.info == "python":
                cells.append(new_code_cell(python_cell(block.file_text, modules)))
            else:
                cells.append(new_code_cell(shell_cell(block.code)))
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{number:03d}"  # stable ids: no diff noise between runs
    return notebook


def text(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["write", "check"])
    parser.add_argument("--path", type=Path, default=NOTEBOOK)
    args = parser.parse_args(argv)
    try:
        expected = text(build())
    except snippets.DeckError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.command == "write":
        write_atomically(args.path, expected)
        print(f"{snippets.shown(args.path)}: written from the deck")
        return 0
    actual = args.path.read_text(encoding="utf-8") if args.path.is_file() else ""
    if actual != expected:
        diff = unified_diff(actual, expected, snippets.shown(args.path))
        print(f"{snippets.shown(args.path)} differs from the deck:\n{diff}", file=sys.stderr)
        print(f"Regenerate with: {FIX}", file=sys.stderr)
        return 1
    print(f"{snippets.shown(args.path)} matches the deck")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The deck's code blocks as files in ``snippets/``, so a reader can copy them and blocks can import them.

- A block whose first line names a Python file (``# litmodule.py``) is a module:
  ``snippets/litmodule.py``, which later blocks import (``snippets/`` is on pytest's pythonpath).
  ``<!-- pytest-codeblocks:cont -->`` continues it on a later slide, in the same file.
- Any other block is named by the author, with ``<!-- snippet: fit -->`` on the line before it:
  ``snippets/fit.py`` (or ``.sh``). Names never follow slide numbers, so inserting or moving a
  slide renames nothing.
- The output the block must print (``<!-- pytest-codeblocks:expected-output -->``) is kept as
  ``<name>.out``.

`make generate` writes them and `make check` compares them (tools/generate.py).
"""

from __future__ import annotations

from pathlib import Path

import deck
from deck.paths import DECKS, SNIPPETS


def files(decks: list[Path] = DECKS) -> dict[str, str]:
    """Snippet file name -> content, for all decks."""
    out: dict[str, str] = {}
    owner: dict[str, str] = {}
    for path in decks:
        for block in deck.load(path).blocks:
            named = {block.name: block.file_text}
            if block.expected_output is not None:
                named[f"{block.name}.out"] = block.expected_output
            for name, text in named.items():
                if name in out:
                    raise deck.DeckError(f"{block.where()}: snippet name {name} is already used by {owner[name]}")
                out[name], owner[name] = text, block.where()
    return out


def locate(filename: str, decks: list[Path] = DECKS) -> deck.Block | None:
    """The block behind a file of ``snippets/`` (as a traceback names it), if any."""
    path = Path(filename)
    if path.parent != SNIPPETS:
        return None
    return next((b for d in decks for b in deck.load(d).blocks if b.name == path.name), None)

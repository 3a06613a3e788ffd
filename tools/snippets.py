"""The deck's code blocks as files in ``snippets/``, so a reader can copy them and blocks can import them:
each under its block's name (deck/model.py: a module's first line, else its ``<!-- snippet: NAME -->``, never
a slide number, so inserting or moving a slide renames nothing), its expected output as ``NAME.out``."""

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


def locate(filename: str) -> deck.Block | None:
    """The block behind a file of ``snippets/`` (as a traceback names it), if any."""
    path = Path(filename)
    if path.parent != SNIPPETS:
        return None
    return next((b for d in DECKS for b in deck.load(d).blocks if b.name == path.name), None)

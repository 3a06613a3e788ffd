"""What is made from the deck is current: generated files match their sources (`make generate`), and a
continued module maps back to its slides (that the model's blocks are pytest-codeblocks' own, `deck.load`
checks on every load). (The generate/check mechanism itself: tests/tooling/test_generate.py.)"""

from __future__ import annotations

import deck
from deck.paths import DECKS
from tools import generate


def test_committed_generated_files_match_their_sources():
    assert generate.check() == [], "stale generated files: run `make generate`"


def test_a_continued_module_maps_back_to_its_slides():
    block = next(b for b in deck.load(DECKS[0]).blocks if b.name == "litmodule.py")
    assert len(block.pieces) > 1, "litmodule.py is continued across slides"
    for number, text in enumerate(block.file_text.splitlines(), start=1):
        if text.strip():
            assert block.deck.line_text(block.deck_line(number, in_file=True)) == text

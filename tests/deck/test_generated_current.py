"""What is made from the deck is current, and the deck's blocks are read alike by the model and by the runner:
generated files match their sources (`make generate`), the model's blocks are pytest-codeblocks' own, and
a continued module maps back to its slides. (The generate/check mechanism itself: tests/tooling/test_generate.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_codeblocks.main import extract_from_file

import deck
from deck.paths import DECKS
from tools import generate


def test_committed_generated_files_match_their_sources():
    assert generate.check() == [], "stale generated files: run `make generate`"


@pytest.mark.parametrize("path", DECKS, ids=lambda p: p.name)
def test_blocks_are_the_ones_pytest_codeblocks_runs(path: Path):
    ours = [(b.line, b.info, b.code, b.expected_output) for b in deck.load(path).blocks]
    theirs = [(b.lineno, b.syntax, b.code, b.expected_output) for b in extract_from_file(path)]
    assert ours == theirs


def test_a_continued_module_maps_back_to_its_slides():
    block = next(b for b in deck.load(DECKS[0]).blocks if b.name == "litmodule.py")
    assert len(block.pieces) > 1, "litmodule.py is continued across slides"
    for number, text in enumerate(block.file_text.splitlines(), start=1):
        if text.strip():
            assert block.deck.line_text(block.deck_line(number, in_file=True)) == text

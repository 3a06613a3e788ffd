"""Every image on the slides has Japanese alt text, and every figure is committed with a current record
(the figure mechanism itself: tests/tooling/test_figures.py)."""

from __future__ import annotations

import deck
from deck.paths import DECKS
from tools import figures


def test_every_image_on_the_slides_has_japanese_alt_text():
    for path in DECKS:
        for slide in deck.load(path).slides:
            for image in slide.images:
                assert any("\u3040" <= c <= "\u9fff" for c in image.alt), f"{path}:{image.line}: alt text in Japanese"


def test_every_figure_on_the_slides_is_committed_with_a_current_record():
    assert figures.stale() == [], "run `make figures` (deck blocks) or `make generate` (the 性能 chart)"

"""Code is readable from the back row: no code on any slide of the built deck, the talk and its
appendix alike, renders under 20px on the 1280×720 slide (the measure and its own test:
tests/tooling/test_page_measures.py). A line fits at 20px when it is at most 90 columns wide
(Noto Sans Mono is 12px a column; a Japanese character is 20px, about 1.7 columns)."""

from __future__ import annotations

import deck
from deck.paths import DECKS
from tests.support.pages import MIN_PX, small_code


def test_code_of_every_slide_is_at_least_20px(deck_page):
    bad = small_code(deck_page, deck.load(DECKS[0]).slides)
    assert not bad, (f"code under {MIN_PX}px on the 1280×720 slide; split or trim, do not shrink:\n"
                     + "\n".join(bad))

"""Code of the talk is readable from the back row: no code on a slide of the main part (title slide
to 「まとめ」, `deck.Deck.main`) renders under 20px on the 1280×720 slide of the built deck (the measure
and its own test: tests/tooling/test_code_size_check.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api")

import deck
from deck.paths import DECKS
from tests.support.pages import MIN_PX, small_code


def test_code_of_the_talk_is_at_least_20px(deck_page):
    d = deck.load(DECKS[0])
    assert deck_page.evaluate("document.querySelectorAll('svg[data-marpit-svg]').length") == len(d.slides)
    bad = small_code(deck_page, d.main)
    assert not bad, (f"code on the main part (slides 1–{d.main[-1].number}) under {MIN_PX}px on the 1280×720 "
                     "slide; split or trim, do not shrink:\n" + "\n".join(bad))

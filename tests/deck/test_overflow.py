"""No slide of the built deck runs out of its frame, and no figure is shown smaller than it was drawn:
measured in a real headless Chromium (the measure and its own test: tests/tooling/test_page_measures.py)."""

from __future__ import annotations

from tests.support.pages import overflowing_slides


def test_no_slide_of_the_deck_overflows(deck_page):
    bad = overflowing_slides(deck_page)
    assert not bad, "slides whose content does not fit:\n" + "\n".join(bad)


SHRUNK = r"""() => [...document.querySelectorAll('svg[data-marpit-svg] > foreignObject > section img')].map(img => {
  const s = img.closest('section');
  const scale = s.getBoundingClientRect().width / s.offsetWidth;
  return { alt: img.alt, shown: img.getBoundingClientRect().width / scale, natural: img.naturalWidth };
})"""


def test_figures_are_shown_at_least_at_their_drawn_size(deck_page):
    """Figure text is drawn at the slide's body size (tools/figures.py); shrinking would make it smaller."""
    images = deck_page.evaluate(SHRUNK)
    assert all(i["natural"] > 0 for i in images), images  # a broken image has no natural size
    shrunk = [i for i in images if i["shown"] < 0.98 * i["natural"]]
    assert not shrunk, shrunk

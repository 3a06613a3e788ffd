"""Pages of a built deck in headless Chromium, for the tests that measure them (tests/deck/, tests/tooling/)."""

from __future__ import annotations

from pathlib import Path

from deck.paths import BUILD, DECKS

HTML = BUILD / f"{DECKS[0].stem}.html"


def laid_out(chromium, html: Path):
    """The built deck in a 1280×720 page, every slide laid out, its fonts loaded."""
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(html.as_uri())
    # Bespoke lays out only the current slide; lay them all out to measure them.
    page.add_style_tag(content="svg.bespoke-marp-slide { content-visibility: visible !important; }")
    page.evaluate("document.fonts.ready")
    return page

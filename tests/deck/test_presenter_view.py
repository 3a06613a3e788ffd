"""The presenter view (`?view=presenter` of the built HTML) shows the speaker notes in Japanese on
any machine: in the embedded font, not in whatever fonts the machine happens to have.

marp-cli's bespoke template shows the notes outside the slides (`.bespoke-marp-note`), where the
theme's rules do not reach; marp.config.mjs gives them the embedded font. This test asks Chromium
which fonts actually drew each note's text (DevTools' CSS.getPlatformFontsForNode): only the
embedded Noto Sans JP may appear. On a machine without Japanese fonts a system font there would
draw boxes (□□□); on one with them the slides and the notes would differ from machine to machine.
"""

from __future__ import annotations

import pytest

import deck
from deck.paths import BUILD, DECKS

DECK = DECKS[0]
HTML = BUILD / f"{DECK.stem}.html"
FAMILY = "Noto Sans JP"  # the embedded family (tools/fonts.py) the theme sets for the slides
POSTSCRIPT = "NotoSansJP"


@pytest.fixture(scope="module")
def presenter(chromium):
    assert HTML.is_file(), "run `make slides` first"
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(HTML.as_uri() + "?view=presenter")
    assert page.evaluate("document.body.dataset.bespokeView") == "presenter"
    # The view shows one note at a time; lay them all out to ask how each is drawn.
    page.add_style_tag(content=".bespoke-marp-note { display: block !important; }")
    page.evaluate("document.fonts.ready")
    yield page
    page.close()


def drawn_with(page) -> list[dict]:
    """For each paragraph of each note: the slide, its text, its computed font-family and the
    fonts Chromium drew its glyphs with."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    paragraphs = []
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": ".bespoke-marp-note p"})["nodeIds"]:
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        remote = cdp.send("DOM.resolveNode", {"nodeId": node})["object"]["objectId"]
        info = cdp.send("Runtime.callFunctionOn", {
            "objectId": remote, "returnByValue": True,
            "functionDeclaration": "function () { return { index: +this.closest('.bespoke-marp-note').dataset.index,"
                                   " text: this.textContent, family: getComputedStyle(this).fontFamily } }",
        })["result"]["value"]
        paragraphs.append({**info, "fonts": fonts})
    cdp.detach()
    return paragraphs


def test_presenter_notes_are_drawn_in_the_embedded_font(presenter):
    slides = deck.load(DECK).slides
    paragraphs = drawn_with(presenter)
    noted = {p["index"] for p in paragraphs}
    assert noted == {s.number - 1 for s in slides if s.notes}, "the presenter view's notes are not the deck's"
    bad = []
    for p in paragraphs:
        slide = slides[p["index"]]
        # A web font is an embedded one (the HTML loads nothing: test_build.py); its PostScript
        # name is the subset's own, as in the PDF (NotoSansJP…).
        others = sorted({f["familyName"] for f in p["fonts"]
                         if not (f["isCustomFont"] and f["postScriptName"].startswith(POSTSCRIPT))})
        if not p["family"].strip("'\" ").startswith(FAMILY) or others or not p["fonts"]:
            text = " ".join(p["text"].split())[:20]
            bad.append(f"slide {slide.number}「{slide.title}」: the note「{text}…」has font-family "
                       f"{p['family']} and is drawn with {others or 'nothing'}")
    assert not bad, (f"speaker notes in the presenter view not drawn in the embedded {FAMILY} "
                     "(see marp.config.mjs):\n" + "\n".join(bad))

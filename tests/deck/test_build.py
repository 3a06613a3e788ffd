"""The built deck (HTML and PDF from `make slides`): complete, offline, Japanese everywhere."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

import deck
from deck.paths import BUILD, DECKS

DECK = DECKS[0]
HTML = BUILD / f"{DECK.stem}.html"
PDF = BUILD / f"{DECK.stem}.pdf"
FONT_THEME = BUILD / "themes" / "lightning-fonts.css"


@pytest.fixture(scope="module", autouse=True)
def built():
    for output in (HTML, PDF, FONT_THEME):
        assert output.is_file(), f"{output} is missing: run `make slides` first"
        assert output.stat().st_mtime >= DECK.stat().st_mtime, f"{output} is older than the deck: run `make slides`"


def pdf_fonts() -> list[dict[str, str]]:
    lines = subprocess.run(["pdffonts", str(PDF)], capture_output=True, text=True, check=True).stdout.splitlines()
    header = lines[0].split()
    rows = []
    for line in lines[2:]:
        # name type encoding emb sub uni object ID: read from the right, the type has spaces
        parts = line.split()
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4]})
    assert header[0] == "name"
    return rows


def embedded_cmap() -> dict[str, set[int]]:
    """Family -> code points that the theme's embedded fonts can draw."""
    css = FONT_THEME.read_text()
    cover: dict[str, set[int]] = {}
    for family, data in re.findall(r"font-family:'([^']+)'.*?base64,([A-Za-z0-9+/=]+)", css):
        font = TTFont(io.BytesIO(base64.b64decode(data)))
        cover.setdefault(family, set()).update(font.getBestCmap())
    return cover


def test_pdf_embeds_only_our_fonts_including_japanese():
    fonts = pdf_fonts()
    assert fonts, "the PDF has no fonts"
    assert all(f["emb"] == "yes" and f["sub"] == "yes" for f in fonts), fonts
    names = [re.sub(r"^[A-Z]{6}\+", "", f["name"]) for f in fonts]
    assert any(n.startswith("NotoSansJP") for n in names), names
    # A system font here would mean a glyph fell back to whatever this machine has.
    assert all(n.startswith(("NotoSansJP", "NotoSansMono")) for n in names), names


def test_embedded_fonts_cover_every_character_of_the_deck_and_the_pdf():
    cover = embedded_cmap()
    japanese, mono = cover["Noto Sans JP"], cover["Noto Sans Mono"]
    deck_chars = {ord(c) for c in DECK.read_text(encoding="utf-8") if not c.isspace()}
    assert deck_chars - japanese == set(), "characters of the deck missing from the embedded font"
    pdf_text = subprocess.run(["pdftotext", str(PDF), "-"], capture_output=True, text=True, check=True).stdout
    pdf_chars = {ord(c) for c in pdf_text if not c.isspace()}
    assert pdf_chars - japanese == set()
    assert {ord(c) for c in "import pytorch_lightning as pl"} <= mono


def test_html_is_one_file_within_its_size_budget_and_its_fonts_are_small_subsets():
    assert HTML.stat().st_size <= 1_500_000  # fonts and figures embedded (data: URIs)
    assert FONT_THEME.stat().st_size < 400_000  # all of Noto Sans JP would be megabytes


def test_notes_keep_real_notes_but_no_test_markers():
    html = HTML.read_text(encoding="utf-8")
    assert "<!-- pytest-codeblocks:cont -->" in DECK.read_text(encoding="utf-8")  # so this test can fail
    assert "pytest-codeblocks:" not in html
    assert "pytest.mark." not in html
    assert "ダウンロードだけ" in html  # a code comment on a slide
    assert "prepare_data は、ノードごとに 1 つのプロセスでしか呼ばれません" in html  # a speaker note


def test_html_loads_nothing_from_the_network(chromium):
    requests: list[str] = []
    page = chromium.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.goto(HTML.as_uri(), wait_until="networkidle")
    families = page.evaluate("() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    page.close()
    remote = [u for u in requests if not u.startswith(("file:", "data:", "about:"))]
    assert remote == []
    assert any("Noto Sans JP" in f for f in families), families


def page_counters() -> list[str]:
    """The page number each PDF page shows: the words in its bottom-right corner (the theme's
    `section::after`), whose tops are in the page's last tenth (the counter's at 92 %; the lowest
    line of content, on the appendix's first slide, starts at 87 %)."""
    xhtml = subprocess.run(["pdftotext", "-bbox", str(PDF), "-"], capture_output=True, text=True, check=True).stdout
    counters = []
    for page in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', xhtml, re.S):
        width, height, words = float(page[0]), float(page[1]), page[2]
        corner = [w for x, y, w in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', words)
                  if float(x) > 0.7 * width and float(y) > 0.9 * height]
        counters.append(" ".join(corner))
    return counters


def test_page_numbers_count_the_talk_not_the_appendix():
    """まとめ says 「25 / 25」, not 「25 / 49」: the room is not told the talk is half over. The appendix
    (after まとめ, `deck.Deck.main`) has no page number: each of its titles says 付録."""
    d = deck.load(DECK)
    shown = page_counters()
    assert len(shown) == len(d.slides), "the PDF has one page per slide"
    main = len(d.main)
    expected = ["" if s.directives.get("_paginate") == "false" else f"{s.number} / {main}" for s in d.main]
    expected += [""] * len(d.appendix)
    bad = [f"slide {s.number}「{s.title}」 shows「{got}」, expected「{want}」"
           for s, got, want in zip(d.slides, shown, expected) if got != want]
    assert not bad, (f"page numbers must count the {main} slides of the talk and leave the appendix unnumbered: "
                     f"the first appendix slide (slide {main + 1}) carries `<!-- paginate: skip -->`, which "
                     "Marp applies to it and every slide after it:\n" + "\n".join(bad))


def annotations(pdf: Path) -> Counter:
    """The PDF's annotations by /Subtype (Link, Text: a sticky note, ...), read from its bytes and from
    its compressed streams: pdf-lib, with which marp-cli writes outlines and notes, packs objects there."""
    data = pdf.read_bytes()
    parts = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:  # not Flate-compressed (an image)
            pass
    return Counter(m.decode() for part in parts for m in re.findall(rb"/Subtype\s*/(Text|Link)\b", part))


def test_pdf_projects_without_note_icons():
    """The PDF is the copy that is projected: a speaker note in it (marp-cli's pdfNotes) is a sticky-note
    icon on the slide in most viewers. The notes are in the presenter view (`?view=presenter`)."""
    found = annotations(PDF)
    assert found["Link"], f"no link annotations found ({dict(found)}): the references' links should be there"
    assert not found["Text"], (f"{found['Text']} pages of the PDF carry a note (a sticky-note icon when projected): "
                               "keep `pdfNotes` out of marp.config.mjs")

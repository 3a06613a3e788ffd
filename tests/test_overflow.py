"""No slide's content runs out of its frame: checked in a real headless Chromium on the built HTML."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from deck.paths import BUILD, ROOT

HTML = BUILD / "pytorch-lightning.html"

# For every slide: each block element that reaches into the bottom or right padding (where the
# page number sits) or past the slide's edge, and a pinned heading that runs into the content.
MEASURE = r"""() => {
  const sections = [...document.querySelectorAll('svg[data-marpit-svg] > foreignObject > section')];
  return sections.map((s, i) => {
    const box = s.getBoundingClientRect();
    const scale = box.width / s.offsetWidth;
    const cs = getComputedStyle(s);
    const bottom = box.bottom - parseFloat(cs.paddingBottom) * scale;
    const right = box.right - parseFloat(cs.paddingRight) * scale;
    const px = (v) => Math.round(v / scale);
    const problems = [];
    for (const e of s.querySelectorAll('h1, h2, h3, p, li, pre, marp-pre, table, blockquote, img')) {
      const r = e.getBoundingClientRect();
      const what = e.tagName.toLowerCase().replace('marp-', '') + ' "' + e.textContent.trim().replace(/\s+/g, ' ').slice(0, 30) + '"';
      if (r.bottom > bottom + 2 * scale) problems.push(`${what} ends ${px(r.bottom - bottom)}px too low`);
      if (r.right > right + 2 * scale) problems.push(`${what} ends ${px(r.right - right)}px too far right`);
    }
    const heading = s.querySelector(':scope > h1');
    const next = heading && heading.nextElementSibling;
    if (heading && next && getComputedStyle(heading).position === 'absolute') {
      const overlap = heading.getBoundingClientRect().bottom - next.getBoundingClientRect().top;
      if (overlap > 2 * scale) problems.push(`the heading overlaps the content by ${px(overlap)}px`);
    }
    return { slide: i + 1, title: heading ? heading.textContent.trim() : '', problems };
  });
}"""


def laid_out(chromium, html: Path):
    """The built deck in a 1280×720 page, every slide laid out, its fonts loaded."""
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(html.as_uri())
    # Bespoke lays out only the current slide; lay them all out to measure them.
    page.add_style_tag(content="svg.bespoke-marp-slide { content-visibility: visible !important; }")
    page.evaluate("document.fonts.ready")
    return page


@pytest.fixture(scope="module")
def deck_page(chromium):
    assert HTML.is_file(), "run `make slides` first"
    page = laid_out(chromium, HTML)
    yield page
    page.close()


def overflowing_slides(page) -> list[str]:
    """One line per slide whose content does not fit, naming the slide and what sticks out."""
    slides = page.evaluate(MEASURE)
    assert slides, f"{page.url} has no slides"
    return [f"slide {s['slide']}「{s['title']}」: {'; '.join(s['problems'])}" for s in slides if s["problems"]]


@pytest.mark.reads_deck  # Chromium opens build/*.html: not seen by tools/deck_reads.py
def test_no_slide_of_the_deck_overflows(deck_page):
    bad = overflowing_slides(deck_page)
    assert not bad, "slides whose content does not fit:\n" + "\n".join(bad)


def test_an_overflowing_slide_is_named(tmp_path: Path, chromium):
    long_code = "\n".join(f"x{i} = {i}" for i in range(40))
    deck = tmp_path / "deck.md"
    deck.write_text(textwrap.dedent("""\
        ---
        marp: true
        theme: lightning
        ---

        # 収まるスライド

        - 短い

        ---

        <!-- _class: content -->

        # 長すぎるスライド

        ```python
        {code}
        ```
        """).replace("{code}", long_code), encoding="utf-8")
    html = tmp_path / "deck.html"
    cmd = [sys.executable, "-m", "tools.marp_build", str(deck), "-o", str(html)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)

    page = laid_out(chromium, html)
    bad = overflowing_slides(page)
    page.close()
    assert len(bad) == 1
    assert bad[0].startswith("slide 2「長すぎるスライド」: pre")
    assert "too low" in bad[0]


SHRUNK = r"""() => [...document.querySelectorAll('svg[data-marpit-svg] > foreignObject > section img')].map(img => {
  const s = img.closest('section');
  const scale = s.getBoundingClientRect().width / s.offsetWidth;
  return { alt: img.alt, shown: img.getBoundingClientRect().width / scale, natural: img.naturalWidth };
})"""


@pytest.mark.reads_deck  # Chromium opens build/*.html: not seen by tools/deck_reads.py
def test_figures_are_shown_at_least_at_their_drawn_size(deck_page):
    """Figure text is drawn at the slide's body size (tools/figures.py); shrinking would make it smaller."""
    images = deck_page.evaluate(SHRUNK)
    assert all(i["natural"] > 0 for i in images), images  # a broken image has no natural size
    shrunk = [i for i in images if i["shown"] < 0.98 * i["natural"]]
    assert not shrunk, shrunk

"""No slide's content runs out of its frame: checked in a real headless Chromium on the built HTML."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")

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


def overflowing_slides(html: Path, browser_path: str) -> list[str]:
    """One line per slide whose content does not fit, naming the slide and what sticks out."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(html.as_uri())
        # Bespoke lays out only the current slide; lay them all out to measure them.
        page.add_style_tag(content="svg.bespoke-marp-slide { content-visibility: visible !important; }")
        page.evaluate("document.fonts.ready")
        slides = page.evaluate(MEASURE)
        browser.close()
    assert slides, f"{html} has no slides"
    return [f"slide {s['slide']}「{s['title']}」: {'; '.join(s['problems'])}" for s in slides if s["problems"]]


def test_no_slide_of_the_deck_overflows(browser_path: str):
    assert HTML.is_file(), "run `make slides` first"
    bad = overflowing_slides(HTML, browser_path)
    assert not bad, "slides whose content does not fit:\n" + "\n".join(bad)


def test_an_overflowing_slide_is_named(tmp_path: Path, browser_path: str):
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

    bad = overflowing_slides(html, browser_path)
    assert len(bad) == 1
    assert bad[0].startswith("slide 2「長すぎるスライド」: pre")
    assert "too low" in bad[0]


SHRUNK = r"""() => [...document.querySelectorAll('svg[data-marpit-svg] > foreignObject > section img')].map(img => {
  const s = img.closest('section');
  const scale = s.getBoundingClientRect().width / s.offsetWidth;
  return { alt: img.alt, shown: img.getBoundingClientRect().width / scale, natural: img.naturalWidth };
})"""


def test_figures_are_shown_at_least_at_their_drawn_size(browser_path: str):
    """Figure text is drawn at the slide's body size (tools/figures.py); shrinking would make it smaller."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(HTML.as_uri())
        page.add_style_tag(content="svg.bespoke-marp-slide { content-visibility: visible !important; }")
        images = page.evaluate(SHRUNK)
        browser.close()
    assert all(i["natural"] > 0 for i in images), images  # a broken image has no natural size
    shrunk = [i for i in images if i["shown"] < 0.98 * i["natural"]]
    assert not shrunk, shrunk

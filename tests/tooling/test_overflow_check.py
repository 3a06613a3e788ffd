"""The overflow check: in a real headless Chromium, a slide whose content runs out of its frame is named
(tests/deck/test_overflow.py runs it on the built deck)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from deck.paths import ROOT
from tests.pages import laid_out

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


def overflowing_slides(page) -> list[str]:
    """One line per slide whose content does not fit, naming the slide and what sticks out."""
    slides = page.evaluate(MEASURE)
    assert slides, f"{page.url} has no slides"
    return [f"slide {s['slide']}「{s['title']}」: {'; '.join(s['problems'])}" for s in slides if s["problems"]]


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



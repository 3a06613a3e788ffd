"""Code of the talk is readable from the back row: no code on a slide of the main part (title slide
to 「まとめ」, `deck.Deck.main`) renders under 20px on the 1280×720 slide, measured in a real
headless Chromium on the built HTML (tests/deck/test_code_size.py), as the overflow check measures.
Here: the measure, on a scratch deck.

The theme sets code blocks at 20px (slides/themes/lightning.css); what can still make them smaller
is marp-core's auto-scaling, which shrinks a block too wide for the slide to fit its width (an
SVG around it), and a smaller font on one slide. The measure follows the text through those SVGs.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

import deck
from deck.paths import ROOT
from tests.pages import laid_out

MIN_PX = 20

# Every code element of every slide, as [slide, what, px on the slide, shrink factor]. The size is
# the computed font-size times the scale of the innermost SVG the text sits in (marp-core's
# auto-scaling of a block, a fitted heading, or the slide's own SVG), over the slide's scale.
MEASURE = r"""() => {
  const sections = [...document.querySelectorAll('svg[data-marpit-svg] > foreignObject > section')];
  const innermostSvgScale = (e, section) => {
    for (let n = e; n && n !== section; n = n.assignedSlot || n.parentNode || n.host) {
      if (n instanceof SVGSVGElement && n.viewBox.baseVal && n.viewBox.baseVal.width)
        return n.getBoundingClientRect().width / n.viewBox.baseVal.width;
    }
    return null;
  };
  return sections.flatMap((s, i) => {
    const slideScale = s.getBoundingClientRect().width / s.offsetWidth;
    const found = [];
    for (const e of s.querySelectorAll('code, pre, marp-pre')) {
      if (e.localName !== 'code' && e.querySelector('code')) continue;  // measured by its code
      const text = e.textContent.trim().replace(/\s+/g, ' ');
      if (!text) continue;
      const scale = (innermostSvgScale(e, s) ?? slideScale) / slideScale;
      const px = parseFloat(getComputedStyle(e).fontSize) * scale;
      const pre = e.closest('pre, marp-pre');
      found.push({ slide: i + 1, what: (pre ? 'code block "' : 'inline code "') + text.slice(0, 30) + '"',
                   px, shrunk: scale, block: pre ? [...s.querySelectorAll('pre, marp-pre')].indexOf(pre) : -1 });
    }
    return found;
  });
}"""


def settled(page):
    """The page after marp-core's auto-scaling has reacted to the layout (a ResizeObserver)."""
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return page


def small_code(page, main: list[deck.Slide]) -> list[str]:
    """One line per code element of the main part under MIN_PX, naming the slide and the cause."""
    slides = {s.number: s for s in main}
    bad = []
    for c in settled(page).evaluate(MEASURE):
        slide = slides.get(c["slide"])
        if slide is None or c["px"] >= MIN_PX - 0.01:
            continue
        # The n-th code block on a slide is its n-th fence (Marp shows every fence as one).
        line = slide.fences[c["block"]].line if 0 <= c["block"] < len(slide.fences) else slide.line
        shrunk = c["shrunk"] < 0.995
        why = f", shrunk to {c['shrunk']:.0%} to fit the slide's width: shorten its lines" if shrunk else ""
        bad.append(f"slide {slide.number}「{slide.title}」 (line {line}): {c['what']} at {c['px']:.1f}px{why}")
    return bad


def test_small_code_is_named_on_the_main_part_only(tmp_path: Path, chromium):
    wide = "x = " + " + ".join(f"value_{i}" for i in range(14))  # ~190 characters: shrunk to fit
    source = textwrap.dedent("""\
        ---
        marp: true
        theme: lightning
        ---

        # 収まるコード

        ```python
        x = 1
        ```

        ---

        <!-- _class: content -->

        # 横に長いコード

        ```python
        {wide}
        ```

        ---

        # まとめ

        - `inline` のコード

        ---

        # 付録：長くてもよい

        ```python
        {wide}
        ```
        """).replace("{wide}", wide)
    md = tmp_path / "deck.md"
    md.write_text(source, encoding="utf-8")
    html = tmp_path / "deck.html"
    cmd = [sys.executable, "-m", "tools.marp_build", str(md), "-o", str(html)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)

    d = deck.load(md)
    assert [s.number for s in d.main] == [1, 2, 3] and [s.number for s in d.appendix] == [4]
    page = laid_out(chromium, html)
    bad = small_code(page, d.main)
    everywhere = small_code(page, d.slides)
    page.close()
    assert len(bad) == 1, bad
    line = d.slides[1].fences[0].line
    assert bad[0].startswith(f'slide 2「横に長いコード」 (line {line}): code block "x = value_0'), bad
    assert "shrunk to" in bad[0]
    assert len(everywhere) == 2 and everywhere[1].startswith("slide 4「付録：長くてもよい」"), everywhere

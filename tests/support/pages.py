"""Pages of a built deck in headless Chromium and what the tests measure on them: overflow and code size.

tests/deck/ measures the built deck; tests/tooling/test_page_measures.py holds each measure to a scratch deck.
The JavaScript runs in the page (Playwright's `page.evaluate`)."""

from __future__ import annotations

from pathlib import Path

import deck
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


# For every slide: each block element that reaches into the bottom or right padding (where the
# page number sits) or past the slide's edge, and a pinned heading that runs into the content.
OVERFLOW = r"""() => {
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
    slides = page.evaluate(OVERFLOW)
    assert slides, f"{page.url} has no slides"
    return [f"slide {s['slide']}「{s['title']}」: {'; '.join(s['problems'])}" for s in slides if s["problems"]]


MIN_PX = 20

# Every code element of every slide, as [slide, what, px on the slide, shrink factor]. The size is
# the computed font-size times the scale of the innermost SVG the text sits in (marp-core's
# auto-scaling of a block, a fitted heading, or the slide's own SVG), over the slide's scale.
CODE_SIZES = r"""() => {
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
    for c in settled(page).evaluate(CODE_SIZES):
        slide = slides.get(c["slide"])
        if slide is None or c["px"] >= MIN_PX - 0.01:
            continue
        # The n-th code block on a slide is its n-th fence (Marp shows every fence as one).
        line = slide.fences[c["block"]].line if 0 <= c["block"] < len(slide.fences) else slide.line
        shrunk = c["shrunk"] < 0.995
        why = f", shrunk to {c['shrunk']:.0%} to fit the slide's width: shorten its lines" if shrunk else ""
        bad.append(f"slide {slide.number}「{slide.title}」 (line {line}): {c['what']} at {c['px']:.1f}px{why}")
    return bad

"""The measures of a built deck's pages (tests/support/pages.py, run on the built deck by tests/deck/test_overflow.py
and test_code_size.py), here on a scratch deck in a real headless Chromium: a slide whose content runs out of its
frame is named, and so is code of the main part (title slide to 「まとめ」, `deck.Deck.main`) under 20px on the
1280×720 slide.

The theme sets code blocks at 20px (slides/themes/lightning.css); what can still make them smaller is marp-core's
auto-scaling, which shrinks a block too wide for the slide to fit its width (an SVG around it), and a smaller font on
one slide. The measure follows the text through those SVGs.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import deck
from tests.support.pages import laid_out, overflowing_slides, small_code
from tests.support.scratch import marp_build

WIDE = "x = " + " + ".join(f"value_{i}" for i in range(14))  # ~190 characters: shrunk to fit
SCRATCH_DECK = textwrap.dedent("""\
    ---
    marp: true
    theme: lightning
    ---

    # 収まるスライド

    ```python
    x = 1
    ```

    ---

    <!-- _class: content -->

    # 長すぎるスライド

    ```python
    {long}
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
    """).replace("{long}", "\n".join(f"x{i} = {i}" for i in range(40))).replace("{wide}", WIDE)


def test_an_overflowing_slide_and_small_code_of_the_main_part_are_named(tmp_path: Path, chromium):
    md, html = tmp_path / "deck.md", tmp_path / "deck.html"
    md.write_text(SCRATCH_DECK, encoding="utf-8")
    done = marp_build(str(md), "-o", str(html))
    assert done.returncode == 0, done.stderr
    d = deck.load(md)
    page = laid_out(chromium, html)
    overflowing, small, everywhere = overflowing_slides(page), small_code(page, d.main), small_code(page, d.slides)
    page.close()

    assert len(overflowing) == 1, overflowing
    assert overflowing[0].startswith("slide 2「長すぎるスライド」: pre") and "too low" in overflowing[0]
    assert len(small) == 1, small
    line = d.slides[2].fences[0].line
    assert small[0].startswith(f'slide 3「横に長いコード」 (line {line}): code block "x = value_0'), small
    assert "shrunk to" in small[0]
    assert len(everywhere) == 2 and everywhere[1].startswith("slide 5「付録：長くてもよい」"), everywhere

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

import deck
from deck.paths import ROOT
from tests.support.pages import laid_out, small_code


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

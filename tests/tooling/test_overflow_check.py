"""The overflow check: in a real headless Chromium, a slide whose content runs out of its frame is named
(tests/deck/test_overflow.py runs it on the built deck)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from deck.paths import ROOT
from tests.support.pages import laid_out, overflowing_slides


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



"""The numbers of the deck's 性能 slide, rendered from the benchmark's results: none is typed by hand.

``render(results)`` gives the table and the lines under it, on the CPU-time clock; tools/generate.py writes
them from the kept results (``kept``) between the slide's markers. The slide's words are the deck's own, held
to the results by tests/deck/test_performance_slide.py; why the prediction stays off the slide: the README.
"""

from __future__ import annotations

import json

from deck.paths import BENCH_RESULTS

TABLE = """\
| 測定した学習（バッチ {batch}、{steps} ステップ + 検証） | CPU 時間（かっこ内は 95% 信頼区間） |
| --- | ---: |
| 素の PyTorch のループの 1 ステップ | {plain} |
| Lightning のオーバーヘッド（1 ステップあたり） | {cost} |
| オーバーヘッドの割合 | {share} |
| 学習全体の時間（Lightning ÷ PyTorch） | {ratio} |

バッチ {heavy_batch}（1 ステップ {heavy_plain}）では、オーバーヘッドの割合は {heavy_share}。
測定：{date}、CPU {cores} コア（torch は 1 スレッド）、torch {torch}、Lightning {lightning}
"""


def _range(x: dict, f: str, unit: str = "") -> str:
    return f"{x['value']:{f}}{unit}（{x['low']:{f}}〜{x['high']:{f}}）"


def render(results: dict) -> str:
    m, fits, experiments = results["machine"], results["summary"]["cpu"]["fits"], results["experiments"]
    deck, heavy = fits["deck"], fits["batch 512"]  # the deck's fit and a heavier step: bench/__main__.py's FITS
    return TABLE.format(
        batch=experiments["deck"]["batch_size"],
        steps=experiments["deck"]["steps"],
        plain=f"{deck['plain_ms_per_step']:.1f} ms",
        cost=_range(deck["ms_per_step"], ".1f", " ms"),
        share=_range(deck["share"], ".0%"),
        ratio=_range(deck["ratio"], ".3f", " 倍"),
        heavy_batch=experiments["batch 512"]["batch_size"],
        heavy_plain=f"{heavy['plain_ms_per_step']:.1f} ms",
        heavy_share=_range(heavy["share"], ".0%"),
        date=m["date"], cores=m["cores"], torch=m["torch"].split("+")[0], lightning=m["pytorch_lightning"],
    )


def kept() -> str:
    """The region from the kept results, bench/results.json."""
    return render(json.loads(BENCH_RESULTS.read_text(encoding="utf-8")))

"""The numbers of the deck's 性能 slide, rendered from the benchmark's results: none is typed by hand.

``render(results)`` gives the table and the line under it; the deck's generated-region mechanism
(tools/generate.py) writes them between the slide's markers. The slide's words (heading, bullets,
speaker note) are the deck's own, and tests/deck/test_performance_slide.py holds them to the
results. ``python -m bench.slide`` prints the region from the kept results, bench/results.json.
The numbers are on the CPU-time clock (bench/__main__.py). Maintainer notes belong here, not on the
slide: the ratio is the sum of the Lightning fits' times over the plain fits' (same rounds); the
prediction is 1 + per-step cost × steps ÷ the plain fit's time; each interval is a 95 % bootstrap
over rounds.
"""

from __future__ import annotations

import json

from deck.paths import BENCH_RESULTS

FITS = ("deck", "batch 512")  # the deck's fit and a heavier step: bench/__main__.py's experiments

TABLE = """\
| 本資料の学習（バッチ {batch}、{steps} ステップ + 検証） | 測定（95% 信頼区間） |
| --- | ---: |
| PyTorch だけの 1 ステップ | {plain} |
| 1 ステップごとの上乗せ時間 | {cost} |
| 上乗せの割合（バッチ {batch}） | {share} |
| 上乗せの割合（バッチ {heavy_batch}） | {heavy_share} |
| 学習全体の時間の比（予測） | {predicted} |
| 学習全体の時間の比（実測） | {ratio} |

測定：{date}、CPU {cores} コア・1 スレッド、torch {torch}、Lightning {lightning}
"""


def _range(x: dict, f: str, unit: str = "") -> str:
    return f"{x['value']:{f}}{unit}（{x['low']:{f}}〜{x['high']:{f}}）"


def render(results: dict) -> str:
    m, s, experiments = results["machine"], results["summary"]["cpu"], results["experiments"]
    deck, heavy = (s["fits"][name] for name in FITS)
    return TABLE.format(
        batch=experiments[FITS[0]]["batch_size"],
        heavy_batch=experiments[FITS[1]]["batch_size"],
        steps=experiments[FITS[0]]["steps"],
        plain=f"{deck['plain_ms_per_step']:.1f} ms",
        cost=_range(deck["ms_per_step"], ".1f", " ms"),
        share=_range(deck["share"], ".0%"),
        heavy_share=_range(heavy["share"], ".0%"),
        predicted=_range(deck["predicted"], ".3f"),
        ratio=_range(deck["ratio"], ".3f"),
        date=m["date"], cores=m["cores"],
        torch=m["torch"].split("+")[0], lightning=m["pytorch_lightning"],
    )


if __name__ == "__main__":
    print(render(json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))), end="")
